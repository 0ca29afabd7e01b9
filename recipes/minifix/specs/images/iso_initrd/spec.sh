# The live system on the CD: a gzip'd newc cpio the kernel unpacks; /init is busybox itself.
# Like Aloofix's: the packages' files only (no opkg status: the live opkg knows of nothing
# installed; no postinsts: no /bin/sh and no other busybox alternative until rcS runs
# `/bin/busybox --install -s`), glibc-min but not glibc-lib, no zlib, no dropbear, and an opkg
# configuration without any feed (`dest hd /mnt/hd` added).
imagetype=initrd
output=iso_initrd.gz

packages="base-license base
	syslinux-license syslinux
	glibc-license glibc-min
	busybox-license busybox
	opkg-license opkg
	e2fsprogs-license e2fsprogs-lib e2fsprogs
	linux-license linux-modules"

localize() {
    cp -a "$specdir/etc/." "$tree/etc/"
    chmod 755 "$tree/etc/init.d/rcS"
    mv "$tree/linuxrc" "$tree/init"
    rm -rf "$tree/boot" "$tree/var/service"
    sed -i -e 's/^root:[^:]*:/root::/' "$tree/etc/shadow"
    echo initrd >"$tree/etc/hostname"
    printf '\ndest hd /mnt/hd\n' >>"$tree/etc/opkg/opkg.conf"
}
