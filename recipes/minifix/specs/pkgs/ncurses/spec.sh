# ncurses, as Aloofix's less needs it: ncurses-lib (libtinfo) and ncurses, a few terminfo entries
# (the console, serial and ssh terminals minifix meets) from Debian's ncurses-base.
debs="libtinfo6:$debarch ncurses-base"
subpkgs=lib
section=libraries
license=MIT
depends=glibc-min
lib_depends=glibc-min
description="ncurses terminfo entries (linux, vt100, vt102, vt220, xterm, screen, dumb, ansi)"
lib_description="ncurses terminal library (libtinfo)"
terminfo="a/ansi d/dumb l/linux v/vt100 v/vt102 v/vt220 x/xterm x/xterm-256color x/xterm-color s/screen s/screen-256color"

build() {
    take_from "$srcdir/libtinfo6" "$pkgdir-lib" lib/i386-linux-gnu/libtinfo.so.6 \
        "$(cd "$srcdir/libtinfo6" && ls lib/i386-linux-gnu/libtinfo.so.6.*)"
    for t in $terminfo; do
        take_from "$srcdir/ncurses-base" "$pkgdir" "lib/terminfo/$t"
    done
}
