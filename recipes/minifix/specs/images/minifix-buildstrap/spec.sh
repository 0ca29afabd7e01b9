# The installation/buildstrap CD: ISOLINUX menu, kernel, live initrd, installer and packages.
imagetype=iso
output=minifix-buildstrap.iso
volumeid="MINIFIX_0_9"
appid="Minifix Buildstrap CD"
initrd=iso_initrd.gz

# Files the CD itself carries (not installed anywhere): the boot loader, kernel and installer.
cd_files="syslinux:boot/isolinux linux:boot/vmlinuz install2hd:bin install2hd:usr/share/install2hd"

# As Aloofix's sets: every package with its -license (and -lib) packages, so that one opkg call
# of a set's files satisfies every Depends.
add_pkgset base \
    base-license base \
    syslinux-license syslinux \
    linux-license linux linux-modules \
    glibc-license glibc-min glibc-lib glibc \
    busybox-license busybox \
    opkg-license opkg \
    e2fsprogs-license e2fsprogs-lib e2fsprogs \
    zlib-license zlib-lib \
    dropbear-license dropbear \
    runit-license runit \
    openntpd-license openntpd
add_pkgset toolchain \
    tar-license tar \
    util-linux-license util-linux \
    genisoimage-license genisoimage \
    minifix-src-license minifix-src
default_pkgsets=toolchain
