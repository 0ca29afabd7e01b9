# flock and mountpoint, which Debian's busybox lacks and minifix's scripts use.
debs="util-linux:$debarch"
section=utils
license=GPL-2.0-or-later
depends=glibc
description="flock and mountpoint from util-linux"

build() {
    take_from "$srcdir/util-linux" "$pkgdir" usr/bin/flock bin/mountpoint
}
