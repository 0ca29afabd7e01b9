# libzstd for rsync's compression: zstd-lib only.
debs="libzstd1:$debarch"
subpkgs=lib
section=libraries
license="BSD-3-Clause"
description="Zstandard compression library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libzstd1
}
