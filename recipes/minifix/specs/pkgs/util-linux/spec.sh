# flock from util-linux: Debian's busybox lacks it and build-pkg needs it. (mountpoint, which
# Debian's busybox also lacks, is busybox's /bin/mountpoint script, so the live CD has it too.)
debs="util-linux:$debarch"
section=utils
license=GPL-2.0-or-later
depends=glibc-min
description="flock from util-linux"

build() {
    take_from "$srcdir/util-linux" "$pkgdir" usr/bin/flock
}
