# minifix's own source tree, installed as /usr/src/minifix-<version>: the recipes, the scripts
# and build/tarballs (the kept Debian packages and the trimmed kernel), so the native rebuild
# needs no network.
arch=noarch
version=$distroversion
section=devel
license=GPL-3.0-or-later
description="minifix source tree with its kept sources (for the native rebuild)"

build() {
    dst=$pkgdir/usr/src/minifix-$distroversion
    mkdir -p "$dst/build" "$dst/pkgs" "$dst/images"
    cp -a "$top/config.sh" "$top/scripts" "$top/specs" "$dst/"
    [ ! -f "$top/README.md" ] || cp "$top/README.md" "$dst/"
    mkdir -p "$dst/build/tarballs"
    for d in "$top"/build/tarballs/*/; do
        p=$(basename "$d")
        [ "$p" != "$name" ] || continue
        mkdir -p "$dst/build/tarballs/$p"
        # the kernel .deb itself stays on the build host; its trimmed tarball is kept
        for f in "$d"*; do
            [ -f "$f" ] && cp -a "$f" "$dst/build/tarballs/$p/"
        done
    done
}
