# libacl for rsync. Like zlib, only acl-lib is made. (tar keeps a private copy in its own package so that
# stage 1's toolchain set stays as it is.)
debs="libacl1:$debarch"
subpkgs=lib
section=libraries
license="LGPL-2.1-or-later"
description="POSIX access control list library (libacl)"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libacl1
}
