# GnuTLS for OpenLDAP's libldap (Debian builds OpenLDAP with GnuTLS, not OpenSSL): gnutls-lib, with
# the small libraries only it needs folded in (libtasn1, p11-kit, libffi, libidn2, libunistring).
# nettle-lib and gmp-lib are packages of their own (lighttpd uses nettle too).
debs="libgnutls30:$debarch libtasn1-6:$debarch libp11-kit0:$debarch libffi8:$debarch libidn2-0:$debarch libunistring2:$debarch"
subpkgs=lib
section=libraries
license="LGPL-2.1-or-later"
description="GnuTLS TLS library"
lib_depends="glibc-min nettle-lib gmp-lib"

build() {
    take_libs_into "$pkgdir-lib" libgnutls30 libtasn1-6 libp11-kit0 libffi8 libidn2-0 libunistring2
}
