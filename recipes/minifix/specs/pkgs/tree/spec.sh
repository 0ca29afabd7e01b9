# tree: lists directories as a tree.
debs="tree:$debarch"
section=utils
license=GPL-2.0-or-later
depends=glibc-min
description="Directory listing as a tree"

build() {
    take_from "$srcdir/tree" "$pkgdir" usr/bin/tree
}
