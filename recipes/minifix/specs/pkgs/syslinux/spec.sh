# extlinux (i386 binary), the MBR and the BIOS modules, plus ISOLINUX for the CD.
debs="extlinux:$debarch syslinux-common isolinux"
section=core
license=GPL-2.0-or-later
depends=glibc-min
description="SYSLINUX boot loaders: extlinux, MBR, ISOLINUX and BIOS modules"

build() {
    mods=$srcdir/syslinux-common/usr/lib/syslinux/modules/bios
    mkdir -p "$pkgdir/sbin" "$pkgdir/usr/share/syslinux" "$pkgdir/boot/isolinux"
    cp "$srcdir/extlinux/usr/bin/extlinux" "$pkgdir/sbin/"
    cp "$srcdir/syslinux-common/usr/lib/syslinux/mbr/mbr.bin" "$pkgdir/usr/share/syslinux/"
    # What a minifix CD's /boot/isolinux holds (mkimage copies it from here).
    cp "$srcdir/isolinux/usr/lib/ISOLINUX/isolinux.bin" "$pkgdir/boot/isolinux/"
    for f in ldlinux.c32 menu.c32 libutil.c32 libcom32.c32 chain.c32; do
        cp "$mods/$f" "$pkgdir/boot/isolinux/"
    done
    cp "$srcdir/syslinux-common/usr/lib/syslinux/mbr/mbr.bin" "$pkgdir/boot/isolinux/"
    copy_spec_files boot
}
