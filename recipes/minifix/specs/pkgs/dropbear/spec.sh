# Dropbear SSH server; its crypto libraries ride along in the same package.
debs="dropbear-bin:$debarch libtomcrypt1:$debarch libtommath1:$debarch libgmp10:$debarch"
section=net
license=MIT
depends="glibc, zlib"
description="Dropbear SSH server and client"

build() {
    take_from "$srcdir/dropbear-bin" "$pkgdir" usr/sbin/dropbear usr/bin/dropbearkey usr/bin/dbclient
    mkdir -p "$pkgdir/etc/dropbear"
    take_libs libtomcrypt1 libtommath1 libgmp10
    copy_spec_files etc
    chmod 755 "$pkgdir/etc/sv/all/dropbear/run"
}
