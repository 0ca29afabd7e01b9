# Filesystem layout, accounts and boot scripts (Aloofix keeps most of these in its busybox package).
arch=noarch
version=$distroversion
section=core
priority=required
license=GPL-3.0-or-later
license_files=minifix
description="minifix filesystem layout, accounts and boot scripts"

build() {
    for d in bin sbin lib usr/bin usr/sbin usr/lib usr/share usr/src etc/profile.d \
        proc sys dev tmp root home/build mnt/cdrom mnt/hd srv/www \
        var/log var/run var/tmp var/spool/cron/crontabs var/lib; do
        mkdir -p "$pkgdir/$d"
    done
    chmod 1777 "$pkgdir/tmp" "$pkgdir/var/tmp"
    chmod 700 "$pkgdir/root"
    copy_spec_files etc
    chmod 600 "$pkgdir/etc/shadow"
    chmod 755 "$pkgdir"/etc/init.d/* "$pkgdir"/etc/sv/1 "$pkgdir"/etc/sv/2 "$pkgdir"/etc/sv/3
    echo "$distroname $distroversion ($distroversionname)" >"$pkgdir/etc/minifix-release"
    echo minifix >"$pkgdir/etc/hostname"
    ln -s ../proc/mounts "$pkgdir/etc/mtab"
}
