# GNU less, as Aloofix packages it: /usr/bin/less.gnu, registered by the postinst as the /usr/bin/less
# alternative with priority 100 over busybox's (10).
debs="less:$debarch"
section=misc
license="GPL-3.0-or-later OR BSD-2-Clause"
depends="glibc-min ncurses-lib ncurses"
description="Opposite of more"

build() {
    mkdir -p "$pkgdir/usr/bin"
    cp -a "$srcdir/less/usr/bin/less" "$pkgdir/usr/bin/less.gnu"
    take_from "$srcdir/less" "$pkgdir" usr/bin/lesskey
}
