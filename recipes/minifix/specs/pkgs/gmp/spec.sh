# GMP (Aloofix has a gmp recipe): gmp-lib, needed by nettle's libhogweed.
debs="libgmp10:$debarch"
subpkgs=lib
section=libraries
license="LGPL-3.0-or-later"
description="GNU multiple precision arithmetic library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libgmp10
}
