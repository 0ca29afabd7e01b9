# libxxhash for rsync's checksums and lighttpd: xxhash-lib only.
debs="libxxhash0:$debarch"
subpkgs=lib
section=libraries
license="BSD-2-Clause"
description="xxHash hashing library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libxxhash0
}
