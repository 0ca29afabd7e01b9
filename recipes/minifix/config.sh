# minifix distribution settings, sourced by every script under scripts/ (POSIX sh:
# the same scripts run under dash on a Debian build host and under busybox ash in minifix).

arch=i686
debarch=i386
distroname=Minifix
distroversion=0.9
distroversionname="Small and offline"
maintainer='Buildstrap <buildstrap@localhost>'

export TMPDIR=${TMPDIR:-/var/tmp}

# name uid group gid shell comment: users every minifix system has (see busybox/etc/passwd).
users="web 24 web 24 /bin/false Web
ntpd 25 ntpd 25 /bin/false OpenNTPD
build 999 build 999 /bin/sh Build
"

imagetrees="$top/build/imagetrees"
logtree="$top/build/logs"
pkgtrees="$top/build/pkgtrees"
srctree="$top/build/src"
statusdir="$top/build/status"
tarballdir="$top/build/tarballs"
pkgstree="$top/pkgs"
imagedir="$top/images"

spectree="$top/specs/pkgs"
imagespectree="$top/specs/images"

# Kernel modules minifix needs (closure resolved from modules.dep): disks on virtio/IDE/SATA/SCSI,
# the CD on IDE (ata_piix -> sr0), ext2/ext4, iso9660, virtio-net and e1000 NICs, and the ACPI
# power button as an input event device (button, evdev) for busybox acpid (the acpid-bb service).
live_modules="virtio_pci virtio_blk virtio_net virtio_scsi ata_piix ata_generic ahci sd_mod sr_mod cdrom
	isofs ext4 crc32c_generic crct10dif_generic e1000 button evdev"
# The subset the installed system's initramfs loads before mounting the root filesystem.
disk_modules="virtio_pci virtio_blk virtio_scsi ata_piix ata_generic ahci sd_mod ext4 crc32c_generic
	crct10dif_generic"
