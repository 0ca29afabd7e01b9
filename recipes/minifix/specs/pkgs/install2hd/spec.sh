# The installer, unpacked onto the CD (/bin/install2hd, /usr/share/install2hd/<step>).
arch=noarch
version=$distroversion
section=admin
license=GPL-3.0-or-later
license_files=minifix
description="Install minifix from its CD to a hard disk"
depends=busybox

build() {
    copy_spec_files bin usr
    chmod 755 "$pkgdir/bin/install2hd"
}
