# strace (Aloofix has the recipe; Debian's needs only libc, no perl: strace-log-merge is left out).
debs="strace:$debarch"
section=devel
license=LGPL-2.1-or-later
depends=glibc-min
description="System call trace utility"

build() {
    take_from "$srcdir/strace" "$pkgdir" usr/bin/strace
}
