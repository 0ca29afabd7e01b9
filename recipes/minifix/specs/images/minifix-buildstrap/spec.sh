# The installation/buildstrap CD: ISOLINUX menu, kernel, live initrd, installer and packages.
imagetype=iso
output=minifix-buildstrap.iso
volumeid="MINIFIX_0_9"
appid="Minifix Buildstrap CD"
initrd=iso_initrd.gz

# Files the CD itself carries (not installed anywhere): the boot loader, kernel and installer.
cd_files="syslinux:boot/isolinux linux:boot/vmlinuz install2hd:bin install2hd:usr/share/install2hd"

add_pkgset base base glibc zlib busybox runit opkg e2fsprogs syslinux linux linux-modules dropbear
add_pkgset toolchain tar util-linux genisoimage minifix-src
default_pkgsets=toolchain
