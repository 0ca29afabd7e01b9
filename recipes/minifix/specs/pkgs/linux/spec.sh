# Debian's 686 kernel. Its .deb is 50 MB, so stage 1 keeps a trimmed source instead:
# linux-min_<debver>_<kver>.tar.gz holds vmlinuz, the config, the kernel's copyright and only the
# modules minifix needs ($live_modules and their dependencies), and that is what build/tarballs/linux
# keeps. It records the module list it was trimmed for (minifix.modules): when config.sh's
# $live_modules changes, or the tarball lacks the copyright, retrieve trims the kernel again.
# The disk initramfs is built from busybox-static plus $disk_modules.
debs="busybox-static:$debarch"
subpkgs=modules
section=core
priority=required
license=GPL-2.0-only
description="Linux kernel and boot initramfs"
modules_description="Linux kernel modules (the subset minifix needs)"
depends=linux-modules
license_files="kernel/usr/share/doc/linux-image-*/copyright busybox-static/usr/share/doc/busybox-static/copyright"

retrieve() {
    default_retrieve
    have=$(newest_match "$tarballs" 'linux-min_*.tar.gz')
    if [ -n "$have" ] && grep -q "  ${have##*/}\$" "$tarballs/sha256.sums"; then
        if [ "$(tar -xzOf "$have" minifix.modules 2>/dev/null)" = "$(echo $live_modules)" ] \
            && tar -tzf "$have" | grep -q '^usr/share/doc/linux-image-[^/]*/copyright$'; then
            echo "kept: ${have##*/}"
            return 0
        fi
        command -v apt-get >/dev/null || [ -n "${DEB_CACHE:-}" ] \
            || die "build/tarballs/linux/${have##*/} was trimmed for other modules than \$live_modules and there is no apt-get to trim it again"
    fi
    kglob='linux-image-[0-9]*-686_*_i386.deb'
    deb=
    [ -n "${DEB_CACHE:-}" ] && deb=$(newest_match "$DEB_CACHE" "$kglob")
    if [ -z "$deb" ]; then
        command -v apt-get >/dev/null || no_kept_sources "linux-min_*.tar.gz"
        image=$(apt-cache depends "linux-image-686:$debarch" | sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -n 1)
        [ -n "$image" ] || die "cannot resolve linux-image-686:$debarch"
        dldir=${DEB_CACHE:-$srcdir.dl}
        mkdir -p "$dldir"
        (cd "$dldir" && apt-get download -q "$image:$debarch")
        deb=$(newest_match "$dldir" "$kglob")
    fi
    tmp=$(mktemp -d "$TMPDIR/linux.XXXXXX")
    debver=$(deb_extract "$deb" "$tmp/k")
    bbdeb=$(newest_match "$tarballs" "$(deb_glob "busybox-static:$debarch")")
    deb_extract "$bbdeb" "$tmp/bb" >/dev/null
    kver=$(ls "$tmp/k/lib/modules")
    "$tmp/bb/bin/busybox" depmod -b "$tmp/k" "$kver"
    mods=$(module_closure "$tmp/k/lib/modules/$kver/modules.dep" $live_modules)
    echo $live_modules >"$tmp/k/minifix.modules"
    out=linux-min_${debver}_$kver.tar.gz
    (cd "$tmp/k" && "$TAR" --owner=0 --group=0 --numeric-owner -czf "$tarballs/$out" \
        minifix.modules "boot/vmlinuz-$kver" "boot/config-$kver" usr/share/doc/linux-image-*/copyright \
        "lib/modules/$kver/modules.order" "lib/modules/$kver/modules.builtin" \
        "lib/modules/$kver/modules.builtin.modinfo" \
        $(for m in $mods; do echo "lib/modules/$kver/$m"; done))
    rm -rf "$tmp"
    for old in $(ls -1 "$tarballs"/linux-min_*.tar.gz); do
        grep -v "  ${old##*/}\$" "$tarballs/sha256.sums" >"$tarballs/sha256.sums.new" || :
        mv "$tarballs/sha256.sums.new" "$tarballs/sha256.sums"
        [ "$old" = "$tarballs/$out" ] || rm -f "$old"
    done
    (cd "$tarballs" && sha256sum "$out") >>"$tarballs/sha256.sums"
    echo "$(sha256sum "$deb" | cut -d' ' -f1)  ${deb##*/}" >"$tarballs/ORIGIN"
    echo "trimmed ${deb##*/} -> $out"
}

unpack() {
    default_unpack
    t=$(newest_match "$tarballs" 'linux-min_*.tar.gz')
    mkdir -p "$srcdir/kernel"
    tar -xzf "$t" -C "$srcdir/kernel"
    v=${t##*/linux-min_}
    echo "${v%%_*}" >"$srcdir/linux-image.version"
}

build() {
    bb=$srcdir/busybox-static/bin/busybox
    kver=$(ls "$srcdir/kernel/lib/modules")
    mkdir -p "$pkgdir/boot" "$pkgdir-modules/lib/modules" "$pkgdir-modules/etc"
    cp "$srcdir/kernel/boot/vmlinuz-$kver" "$pkgdir/boot/vmlinuz"
    cp -a "$srcdir/kernel/lib/modules/$kver" "$pkgdir-modules/lib/modules/"
    "$bb" depmod -b "$pkgdir-modules" "$kver"
    # Loaded by rcS once the root filesystem is up (NICs, CD, the ACPI power button for acpid).
    printf '%s\n' virtio_net e1000 sr_mod isofs button evdev >"$pkgdir-modules/etc/modules"

    # The disk initramfs: busybox, the disk/ext4 modules and an /init that mounts root=.
    ird=$srcdir/initramfs
    rm -rf "$ird"
    mkdir -p "$ird/bin" "$ird/proc" "$ird/sys" "$ird/dev" "$ird/newroot" "$ird/lib/modules/$kver"
    cp "$bb" "$ird/bin/busybox"
    ln -s busybox "$ird/bin/sh"
    cp "$specdir/initramfs/init" "$ird/init"
    chmod 755 "$ird/init"
    for m in $(module_closure "$pkgdir-modules/lib/modules/$kver/modules.dep" $disk_modules); do
        mkdir -p "$ird/lib/modules/$kver/$(dirname "$m")"
        cp "$pkgdir-modules/lib/modules/$kver/$m" "$ird/lib/modules/$kver/$m"
    done
    cp "$srcdir/kernel/lib/modules/$kver"/modules.builtin* "$srcdir/kernel/lib/modules/$kver/modules.order" \
        "$ird/lib/modules/$kver/"
    "$bb" depmod -b "$ird" "$kver"
    echo $disk_modules >"$ird/etc.modules"
    make_initramfs "$ird" "$pkgdir/boot/initrd.gz"
}

package() {
    version=$(upstream_version "$(cat "$srcdir/linux-image.version")")
    debs="$debs linux-image"
    default_package
}
