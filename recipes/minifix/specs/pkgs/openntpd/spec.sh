# OpenNTPD as /usr/sbin/ntpd: Debian's busybox has no ntpd applet, and Aloofix's ntpd service
# (busybox's /etc/sv/all/ntpd) runs /usr/sbin/ntpd. Its privilege-separated process runs as the
# ntpd user (see base's passwd) chrooted to /var/run/openntpd.
debs="openntpd:$debarch"
section=net
license=ISC
depends=glibc-min
description="OpenNTPD network time daemon (/usr/sbin/ntpd, ntpctl)"

build() {
    take_from "$srcdir/openntpd" "$pkgdir" usr/sbin/ntpd usr/sbin/ntpctl
}
