# Debian's static busybox, its applet links, svadmin and the busybox-based services.
debs="busybox-static:$debarch"
section=core
priority=required
license=GPL-2.0-only
depends=base
description="BusyBox multi-call binary, applet links, svadmin and runit service definitions"

build() {
    bb=$srcdir/busybox-static/bin/busybox
    mkdir -p "$pkgdir/bin"
    cp "$bb" "$pkgdir/bin/busybox"
    # setuid root so su/passwd work for normal users; busybox drops privileges for other applets.
    chmod 4755 "$pkgdir/bin/busybox"
    "$bb" --list-full | while read -r applet; do
        case "$applet" in bin/busybox|linuxrc) continue ;; esac
        mkdir -p "$pkgdir/$(dirname "$applet")"
        ln -sf /bin/busybox "$pkgdir/$applet"
    done
    ln -sf busybox "$pkgdir/bin/sh"
    ln -sf /bin/busybox "$pkgdir/linuxrc"
    copy_spec_files etc sbin usr
    chmod 755 "$pkgdir/sbin/svadmin" "$pkgdir"/etc/sv/all/*/run "$pkgdir/usr/share/udhcpc/default.script"
    # Services are enabled by linking them into a runlevel (/etc/sv/default).
    mkdir -p "$pkgdir/etc/sv/default" "$pkgdir/var"
    ln -sfn ../etc/sv/default "$pkgdir/var/service"
}
