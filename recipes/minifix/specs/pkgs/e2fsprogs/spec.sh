# e2fsprogs in /sbin, as Aloofix installs it (--sbindir=/sbin), with its libraries split into
# e2fsprogs-lib. One exception keeps an Aloofix pitfall: Debian's busybox has a mke2fs applet at
# /sbin/mke2fs (first on PATH, and without -t), so the real mke2fs lives in /usr/sbin and
# /sbin/mkfs.ext2|3|4 point at it: callers get e2fsprogs by full path or through mkfs.<type>.
# /etc/mke2fs.conf gives ext4 the features of Aloofix's e2fsprogs 1.42 (no 64bit, no metadata_csum).
debs="e2fsprogs:$debarch libext2fs2:$debarch libss2:$debarch libcom-err2:$debarch libblkid1:$debarch libuuid1:$debarch"
subpkgs=lib
section=admin
priority=standard
license="GPL-2.0-only LGPL-2.0-only MIT"
description="Ext[234] filesystem management utilities"

build() {
    mkdir -p "$pkgdir/sbin" "$pkgdir/usr/sbin" "$pkgdir/etc"
    for t in e2fsck tune2fs dumpe2fs resize2fs e2label; do
        cp -a "$srcdir/e2fsprogs/sbin/$t" "$pkgdir/sbin/"
    done
    cp -a "$srcdir/e2fsprogs/sbin/mke2fs" "$pkgdir/usr/sbin/"
    for fs in ext2 ext3 ext4; do
        ln -sf ../usr/sbin/mke2fs "$pkgdir/sbin/mkfs.$fs"
        ln -sf e2fsck "$pkgdir/sbin/fsck.$fs"
    done
    cp "$specdir/etc/mke2fs.conf" "$pkgdir/etc/"
    take_libs_into "$pkgdir-lib" libext2fs2 libss2 libcom-err2 libblkid1 libuuid1
}
