# runit's supervision tools: Debian's busybox has no runsvdir/runsv/sv applets.
debs="runit:$debarch"
section=core
priority=required
license=BSD-3-Clause
depends=glibc-min
description="runit service supervision (runsvdir, runsv, sv, chpst, svlogd)"

build() {
    take_from "$srcdir/runit" "$pkgdir" usr/bin/runsvdir usr/bin/runsv usr/bin/sv usr/bin/chpst usr/bin/svlogd
}
