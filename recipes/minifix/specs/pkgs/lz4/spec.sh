# liblz4 for rsync's compression: lz4-lib only.
debs="liblz4-1:$debarch"
subpkgs=lib
section=libraries
license="BSD-2-Clause"
description="LZ4 compression library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" liblz4-1
}
