# popt, as Aloofix's recipe makes it: popt-lib (rsync depends on it).
debs="libpopt0:$debarch"
subpkgs=lib
section=libraries
license="MIT"
description="Popt option-handling library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libpopt0
}
