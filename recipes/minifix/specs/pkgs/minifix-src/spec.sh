# minifix's own source tree, installed as /usr/src/minifix-<version>: config.sh, COPYING, README.md,
# the scripts and the recipes, with an EMPTY build/ like Aloofix's aloofix-src. The native rebuild
# (./scripts/buildstrap as build) needs the kept sources in build/tarballs/<pkg>/ (the files and
# their sha256.sums, as stage 1 left them in <out>/src/build/tarballs): minifix has no apt-get, so
# they must be seeded from outside, or build-pkg stops with "no kept sources in build/tarballs/<pkg>".
arch=noarch
version=$distroversion
section=devel
license=GPL-3.0-or-later
license_files=minifix
description="minifix source tree (recipes and scripts; build/ is empty)"

build() {
    dst=$pkgdir/usr/src/minifix-$distroversion
    mkdir -p "$dst/build" "$dst/pkgs" "$dst/images"
    cp -a "$top/config.sh" "$top/scripts" "$top/specs" "$dst/"
    for f in COPYING README.md; do
        [ ! -f "$top/$f" ] || cp "$top/$f" "$dst/"
    done
}
