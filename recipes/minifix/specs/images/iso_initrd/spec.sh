# The live system on the CD: a gzip'd newc cpio the kernel unpacks; /init is busybox init.
imagetype=initrd
output=iso_initrd.gz

packages="base glibc zlib busybox opkg e2fsprogs syslinux linux-modules"

localize() {
    cp -a "$specdir/etc/." "$tree/etc/"
    chmod 755 "$tree/etc/init.d/rcS"
    mv "$tree/linuxrc" "$tree/init"
    rm -rf "$tree/boot" "$tree/var/service"
    sed -i -e 's/^root:[^:]*:/root::/' "$tree/etc/shadow"
    echo initrd >"$tree/etc/hostname"
    printf '\ndest hd /mnt/hd\nsrc cdrom file:///mnt/cdrom/pkgs\n' >>"$tree/etc/opkg/opkg.conf"
}
