# TCP wrappers' libwrap, which slapd links, with the libnsl and libtirpc it needs folded in:
# tcp-wrappers-lib only.
debs="libwrap0:$debarch libnsl2:$debarch libtirpc3:$debarch"
subpkgs=lib
section=libraries
license="BSD-3-Clause LGPL-2.1-or-later"
description="TCP wrappers library (libwrap, with libnsl and libtirpc)"
lib_depends="glibc-min krb5-lib"

build() {
    take_libs_into "$pkgdir-lib" libwrap0 libnsl2 libtirpc3
}
