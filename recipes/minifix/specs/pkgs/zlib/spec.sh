debs="zlib1g:$debarch"
section=libs
license=Zlib
depends=glibc
description="zlib compression library"

build() {
    take_libs zlib1g
}
