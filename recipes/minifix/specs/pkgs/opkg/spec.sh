# minifix's opkg: a small shell implementation of the opkg 0.1.8 commands Aloofix's tools use.
arch=noarch
version=$distroversion
section=core
priority=required
license=GPL-3.0-or-later
depends=busybox
description="Package manager for .opk files (update, list, install, remove)"

build() {
    copy_spec_files usr etc
    chmod 755 "$pkgdir/usr/bin/opkg"
}
