# libltdl, with which slapd loads its modules (Aloofix has a libtool recipe): libtool-lib only.
debs="libltdl7:$debarch"
subpkgs=lib
section=libraries
license="LGPL-2.1-or-later"
description="GNU libtool's libltdl dynamic module loader"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libltdl7
}
