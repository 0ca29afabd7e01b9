# zlib: like Aloofix's, the library goes to zlib-lib (Depends: zlib-license only) and the base
# package is left without files, so there is no `zlib` package.
debs="zlib1g:$debarch"
subpkgs=lib
section=libraries
priority=standard
license=Zlib
description="Zlib data compression library"

build() {
    take_libs_into "$pkgdir-lib" zlib1g
}
