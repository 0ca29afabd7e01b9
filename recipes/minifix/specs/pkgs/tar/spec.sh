# GNU tar as /usr/bin/tar (busybox's /bin/tar stays first on PATH): build-pkg needs --owner=0.
debs="tar:$debarch libacl1:$debarch libselinux1:$debarch libpcre2-8-0:$debarch"
section=devel
license=GPL-3.0-or-later
depends=glibc-min
description="GNU tar"

build() {
    mkdir -p "$pkgdir/usr/bin"
    cp "$srcdir/tar/bin/tar" "$pkgdir/usr/bin/tar"
    take_libs libacl1 libselinux1 libpcre2-8-0
}
