# Nettle and its public-key half hogweed (Aloofix has a nettle recipe): nettle-lib, for lighttpd and gnutls.
debs="libnettle8:$debarch libhogweed6:$debarch"
subpkgs=lib
section=libraries
license="LGPL-3.0-or-later OR GPL-2.0-or-later"
description="Nettle low-level cryptographic library"
lib_depends="glibc-min gmp-lib"

build() {
    take_libs_into "$pkgdir-lib" libnettle8 libhogweed6
}
