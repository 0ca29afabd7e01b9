# minifix's opkg: a shell implementation of the opkg 0.1.8 commands Aloofix's tools use, and the
# update-alternatives script opkg ships (busybox registers its applets as alternatives).
arch=noarch
version=$distroversion
section=core
priority=required
license=GPL-3.0-or-later
license_files=minifix
depends=busybox
description="Lightweight package management system"

build() {
    copy_spec_files usr etc
    chmod 755 "$pkgdir/usr/bin/opkg" "$pkgdir/usr/bin/update-alternatives"
    mkdir -p "$pkgdir/usr/lib/opkg/alternatives"
}
