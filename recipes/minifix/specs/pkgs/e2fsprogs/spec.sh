# mke2fs/e2fsck/tune2fs in /usr/sbin: busybox's mke2fs applet link in /sbin comes first on PATH
# (as on Aloofix), so callers that need the real tool use its full path.
debs="e2fsprogs:$debarch libext2fs2:$debarch libss2:$debarch libcom-err2:$debarch libblkid1:$debarch libuuid1:$debarch"
section=core
priority=required
license=GPL-2.0-only
depends=glibc
description="ext2/ext3/ext4 filesystem utilities"

build() {
    mkdir -p "$pkgdir/usr/sbin" "$pkgdir/etc" "$pkgdir/lib/i386-linux-gnu"
    for t in mke2fs e2fsck tune2fs dumpe2fs resize2fs e2label; do
        cp -a "$srcdir/e2fsprogs/sbin/$t" "$pkgdir/usr/sbin/"
    done
    for fs in ext2 ext3 ext4; do
        ln -sf mke2fs "$pkgdir/usr/sbin/mkfs.$fs"
        ln -sf e2fsck "$pkgdir/usr/sbin/fsck.$fs"
    done
    cp "$srcdir/e2fsprogs/etc/mke2fs.conf" "$pkgdir/etc/"
    take_libs libext2fs2 libss2 libcom-err2 libblkid1 libuuid1
}
