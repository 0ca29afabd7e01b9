# socklog, runit's syslog daemon (by runit's author, as Aloofix's runit world would use it): here for
# a log host that receives remote syslog over UDP, which busybox's syslogd only sends (-R). The runit
# service /etc/sv/all/socklog-inet (down until `svadmin enable socklog-inet`) runs `socklog inet`
# on the address and port of /etc/sysconfig/socklog-inet (default 0 514) as the user socklog (uid 27, added by the postinst), and its log/
# service writes what arrives with svlogd (package runit) into /var/log/socklog/inet/current.
debs="socklog:$debarch"
section=admin
license=BSD-3-Clause
depends="glibc-min runit"
description="System and kernel logging services for runit (socklog inet: a remote syslog receiver)"

build() {
    take_from "$srcdir/socklog" "$pkgdir" usr/sbin/socklog usr/bin/tryto usr/bin/uncat
    copy_spec_files etc
    chmod 755 "$pkgdir/etc/sv/all/socklog-inet/run" "$pkgdir/etc/sv/all/socklog-inet/log/run"
}
