# Dropbear SSH server with the algorithms of Aloofix 0.9's dropbear 2013.58 (see localoptions.h).
# Dropbear picks its algorithms at compile time, so Debian's binary (chacha20, curve25519, ed25519,
# rsa-sha2...) will not do: stage 1 compiles Debian's dropbear source for i686 with localoptions.h
# (compile.sh) and keeps the result as dropbear-legacy_<debver>_<optionshash>_i386.tar.gz in
# build/tarballs/dropbear, like linux's trimmed kernel. <optionshash> covers localoptions.h and
# compile.sh, so editing either recompiles. minifix itself has no compiler: its native rebuild
# only ever finds the kept tarball.
# build-pkg runs stages under `if ! (set -e; ...)`, where set -e has no effect: every step here
# checks its own status.
section=net
license=MIT
depends="zlib-lib"
description="Dropbear SSH server (the algorithms of dropbear 2013.58)"

dropbear_opthash() {
    cat "$specdir/localoptions.h" "$specdir/compile.sh" | sha256sum | cut -c1-12
}
dropbear_glob() { echo "dropbear-legacy_*_$(dropbear_opthash)_i386.tar.gz"; }
# The kept tarball for this localoptions.h + compile.sh (listed in sha256.sums), or nothing.
dropbear_kept() {
    _t=$(newest_match "$tarballs" "$(dropbear_glob)")
    [ -n "$_t" ] && grep -q "  ${_t##*/}\$" "$tarballs/sha256.sums" 2>/dev/null && echo "$_t"
    return 0
}
# Keep only $1 (and its sha256) in $tarballs: drops older tarballs and the .debs earlier recipes kept.
dropbear_keep_only() {
    for _f in "$tarballs"/*; do
        case "${_f##*/}" in
            "$1" | sha256.sums | ORIGIN) ;;
            *) rm -rf "$_f"; echo "dropped stale ${_f##*/}" ;;
        esac
    done
    grep "  $1\$" "$tarballs/sha256.sums" >"$tarballs/sha256.sums.new" \
        || (cd "$tarballs" && sha256sum "$1") >"$tarballs/sha256.sums.new" \
        || die "cannot checksum $tarballs/$1"
    mv "$tarballs/sha256.sums.new" "$tarballs/sha256.sums" || die "cannot write $tarballs/sha256.sums"
}
# The .dsc of Debian's dropbear source in $1, downloaded with apt-get source unless one is there.
dropbear_source() {
    _dsc=$(newest_match "$1" 'dropbear_*.dsc')
    if [ -z "$_dsc" ]; then
        command -v apt-get >/dev/null \
            || die "no $(dropbear_glob) in $tarballs and no apt-get to fetch dropbear's source (minifix cannot compile it)"
        echo "fetching Debian's dropbear source into $1 (apt-get source --download-only)" >&2
        (cd "$1" && apt-get source -q --download-only dropbear >&2) \
            || die "apt-get source dropbear failed: it needs a deb-src entry for bookworm main (make setup adds /etc/apt/sources.list.d/buildstrap-src.sources) and apt-get update"
        _dsc=$(newest_match "$1" 'dropbear_*.dsc')
        [ -n "$_dsc" ] || die "apt-get source dropbear left no .dsc in $1"
    fi
    echo "$_dsc"
}

retrieve() {
    mkdir -p "$tarballs" && touch "$tarballs/sha256.sums" || die "cannot write $tarballs"
    have=$(dropbear_kept)
    if [ -n "$have" ]; then
        echo "kept: ${have##*/}"
        dropbear_keep_only "${have##*/}"
        return 0
    fi
    glob=$(dropbear_glob)
    cached=
    [ -n "${DEB_CACHE:-}" ] && cached=$(newest_match "$DEB_CACHE" "$glob")
    if [ -n "$cached" ]; then
        out=${cached##*/}
        echo "cached: $out (compiled by an earlier build)"
        cp "$cached" "$tarballs/$out" || die "cannot copy $cached"
    else
        srccache=${DEB_CACHE:-$top/build/cache}/dropbear-src
        mkdir -p "$srccache" || die "cannot create $srccache"
        dsc=$(dropbear_source "$srccache") || exit 1
        debver=$(sed -n 's/^Version: //p' "$dsc" | head -n 1)
        debver=${debver#*:}
        # The .orig tarball named in the .dsc, checked against the .dsc's sha256.
        orig=$(awk '/^Checksums-Sha256:/ { on = 1; next } /^[^ ]/ { on = 0 }
                    on && $3 ~ /\.orig\.tar\./ { print $1 "  " $3 }' "$dsc" | head -n 1)
        [ -n "$orig" ] || die "${dsc##*/} names no .orig tarball"
        (cd "$srccache" && echo "$orig" | sha256sum -c -) || die "${orig##* } does not match ${dsc##*/}"
        out=dropbear-legacy_${debver}_$(dropbear_opthash)_i386.tar.gz
        echo "compiling dropbear $debver for i686 with localoptions.h -> $out"
        sh "$specdir/compile.sh" "$srccache/${orig##* }" "$debver" "$specdir/localoptions.h" "$TMPDIR/$out" \
            || die "compiling dropbear failed"
        if [ -n "${DEB_CACHE:-}" ]; then
            cp "$TMPDIR/$out" "$DEB_CACHE/$out.tmp" && mv "$DEB_CACHE/$out.tmp" "$DEB_CACHE/$out" \
                || die "cannot copy $out into $DEB_CACHE"
            echo "cached $out in $DEB_CACHE for later builds"
        fi
        mv "$TMPDIR/$out" "$tarballs/$out" || die "cannot move $out into $tarballs"
    fi
    grep -v "  $out\$" "$tarballs/sha256.sums" >"$tarballs/sha256.sums.new" || :
    (cd "$tarballs" && sha256sum "$out") >>"$tarballs/sha256.sums.new" || die "cannot checksum $out"
    mv "$tarballs/sha256.sums.new" "$tarballs/sha256.sums" || die "cannot write $tarballs/sha256.sums"
    dropbear_keep_only "$out"
    # What it was compiled from, for the stage-1 manifest.
    "$TAR" -xzOf "$tarballs/$out" usr/share/doc/dropbear/BUILDINFO | sed -n 's/^source: //p' >"$tarballs/ORIGIN"
    [ -s "$tarballs/ORIGIN" ] || die "$out has no usr/share/doc/dropbear/BUILDINFO"
    echo "kept $out ($(cat "$tarballs/ORIGIN"))"
}

checksigs() {
    [ -s "$tarballs/sha256.sums" ] || die "no $tarballs/sha256.sums"
    (cd "$tarballs" && sha256sum -c sha256.sums) || die "checksum mismatch in $tarballs"
    [ -n "$(dropbear_kept)" ] || die "no $(dropbear_glob) listed in $tarballs/sha256.sums"
}

unpack() {
    t=$(dropbear_kept)
    [ -n "$t" ] || die "no $(dropbear_glob) in $tarballs"
    rm -rf "$srcdir"
    mkdir -p "$srcdir/dropbear" && tar -xzf "$t" -C "$srcdir/dropbear" || die "cannot unpack $t"
    v=${t##*/dropbear-legacy_}
    echo "${v%%_*}" >"$srcdir/dropbear.version"
    echo "dropbear $(cat "$srcdir/dropbear.version") from ${t##*/}"
}

build() {
    take_from "$srcdir/dropbear" "$pkgdir" usr/sbin/dropbear usr/bin/dropbearkey || exit 1
    mkdir -p "$pkgdir/etc/dropbear" && copy_spec_files etc && chmod 755 "$pkgdir/etc/sv/all/dropbear/run" \
        || die "cannot copy dropbear's run script"
}

package() {
    # The version and Source: line come from the Debian source version the tarball was built from.
    debs=dropbear
    default_package
}
