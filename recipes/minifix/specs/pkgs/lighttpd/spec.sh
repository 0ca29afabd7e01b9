# lighttpd, a web server for minifix package feeds and client roles (busybox httpd stays too: both
# serve /srv/www on port 80 as web:web, so enable one of them). /etc/lighttpd/lighttpd.conf is
# minifix's own (Debian's needs perl scripts for its mime types); the runit service
# /etc/sv/all/lighttpd is down until `svadmin enable lighttpd`. All of Debian's modules are kept
# (mod_authn_file needs libcrypt, in glibc-min; mod_auth and mod_wstunnel need nettle).
debs="lighttpd:$debarch"
section=web
license=BSD-3-Clause
depends="glibc-min pcre2-lib nettle-lib xxhash-lib"
description="Fast lightweight web server"

build() {
    take_from "$srcdir/lighttpd" "$pkgdir" usr/sbin/lighttpd usr/sbin/lighttpd-angel usr/lib/lighttpd
    copy_spec_files etc
    chmod 755 "$pkgdir/etc/sv/all/lighttpd/run"
}
