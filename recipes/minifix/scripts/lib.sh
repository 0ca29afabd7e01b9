# Helpers shared by minifix's scripts. POSIX sh: runs under dash (Debian build host) and
# busybox ash (minifix itself). Callers set $top and source config.sh first.

die() { echo "$*" >&2; exit 1; }
warn() { echo "$*" >&2; }
say() { [ -n "${quiet:-}" ] || echo "$*"; }

# GNU tar writes root-owned archives as a normal user (--owner=0); busybox tar cannot.
# minifix ships GNU tar as /usr/bin/tar in its toolchain set; busybox's /bin/tar stays first on PATH.
find_gnu_tar() {
    for t in /usr/bin/tar /bin/tar tar; do
        "$t" --version 2>/dev/null | grep -q 'GNU tar' && { echo "$t"; return 0; }
    done
    return 1
}
TAR=$(find_gnu_tar) || TAR=
require_gnu_tar() { [ -n "$TAR" ] || die "GNU tar is required (install the tar package)"; }

# "busybox-static:i386" -> busybox-static_*_i386.deb; an unqualified name is an arch-all package.
deb_glob() {
    case "$1" in
        *:*) echo "${1%%:*}_*_${1##*:}.deb" ;;
        *) echo "${1}_*_all.deb" ;;
    esac
}
deb_basename() { echo "${1%%:*}"; }

# Newest file in $1 matching glob $2 (empty when none).
newest_match() {
    ls -1 "$1"/$2 2>/dev/null | { sort -V 2>/dev/null || sort; } | tail -n 1
}

# Debian version -> minifix version: drop the epoch and the Debian revision.
upstream_version() {
    v=${1#*:}
    case "$v" in *-*) v=${v%-*} ;; esac
    echo "$v"
}

# Unpack a .deb's data into $2 (created); print the package's Debian version.
deb_extract() {
    _deb=$1 _dest=$2
    _tmp=$(mktemp -d "${TMPDIR:-/tmp}/deb.XXXXXX")
    (cd "$_tmp" && ar x "$_deb") || { rm -rf "$_tmp"; die "cannot read $_deb"; }
    mkdir -p "$_dest"
    for _m in data.tar.xz data.tar.gz data.tar; do
        [ -f "$_tmp/$_m" ] || continue
        case "$_m" in
            *.xz) xzcat "$_tmp/$_m" ;;
            *.gz) gzip -dc "$_tmp/$_m" ;;
            *) cat "$_tmp/$_m" ;;
        esac | tar -xf - -C "$_dest" || { rm -rf "$_tmp"; die "cannot unpack $_deb"; }
        break
    done
    for _m in control.tar.xz control.tar.gz; do
        [ -f "$_tmp/$_m" ] || continue
        case "$_m" in
            *.xz) xzcat "$_tmp/$_m" ;;
            *) gzip -dc "$_tmp/$_m" ;;
        esac | tar -xOf - ./control | sed -n 's/^Version: //p'
        break
    done
    rm -rf "$_tmp"
}

# Copy paths (relative to a source root) into a destination root, keeping links and modes.
take_from() {
    _from=$1 _to=$2
    shift 2
    for _p in "$@"; do
        [ -e "$_from/$_p" ] || [ -L "$_from/$_p" ] || die "missing $_p in $_from"
        mkdir -p "$_to/$(dirname "$_p")"
        cp -a "$_from/$_p" "$_to/$(dirname "$_p")/"
    done
}

# A newc cpio archive of device nodes, so a normal user can give an initramfs /dev/console.
# newc headers are ASCII hex, so plain printf can write them. Args: "path mode major minor"...
_cpio_entry() { # name mode(octal, with type) rdevmajor rdevminor ino
    _n=$1 _mode=$2 _maj=$3 _min=$4 _ino=$5
    _nl=$(( ${#_n} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$_ino" "$_mode" 0 0 1 0 0 0 0 "$_maj" "$_min" "$_nl" 0
    printf '%s\0' "$_n"
    _pad=$(( (4 - (110 + _nl) % 4) % 4 ))
    while [ $_pad -gt 0 ]; do printf '\0'; _pad=$((_pad - 1)); done
}
# cpio_devices PATH TYPE MAJOR MINOR MODE ... (e.g. dev/console c 5 1 0600) > devices.cpio
cpio_devices() {
    _ino=900000
    _cpio_entry dev $((0040755)) 0 0 $_ino
    while [ $# -ge 5 ]; do
        _ino=$((_ino + 1))
        case "$2" in c) _m=$((0020000 | 0$5)) ;; b) _m=$((0060000 | 0$5)) ;; *) die "bad node type $2" ;; esac
        _cpio_entry "$1" "$_m" "$3" "$4" "$_ino"
        shift 5
    done
    _cpio_entry 'TRAILER!!!' 0 0 0 0
}

# Print the module files (relative to /lib/modules/KVER) that the named modules need,
# dependencies included, from a modules.dep written by depmod. Args: modules.dep module...
module_closure() {
    _dep=$1
    shift
    awk -v want="$*" -F': *' '
        function base(p) { sub(/.*\//, "", p); sub(/\.ko.*/, "", p); gsub(/-/, "_", p); return p }
        BEGIN { n = split(want, w, /[ \t\n]+/); for (i = 1; i <= n; i++) if (w[i] != "") need[w[i]] = 1 }
        { m = base($1); path[m] = $1; deps[m] = $2 }
        END {
            changed = 1
            while (changed) {
                changed = 0
                for (m in need) {
                    if (!(m in path)) continue
                    k = split(deps[m], d, / +/)
                    for (i = 1; i <= k; i++) { x = base(d[i]); if (x != "" && !(x in need)) { need[x] = 1; changed = 1 } }
                }
            }
            for (m in need) if (m in path) print path[m]; else print "module_closure: no module " m > "/dev/stderr"
        }' "$_dep"
}

# Pack a directory as a gzip'd newc cpio owned by root, plus /dev/console and /dev/null nodes.
make_initramfs() { # tree output.gz
    { (cd "$1" && find . | sort | cpio -o -H newc -R 0:0 2>/dev/null) || die "cpio failed on $1"
      cpio_devices dev/console c 5 1 0600 dev/null c 1 3 0666
    } | gzip -9 >"$2"
}

# Copy every shared library (lib*.so.N*) of unpacked Debian packages into $pkgdir/lib/i386-linux-gnu
# (take_libs) or DEST/lib/i386-linux-gnu (take_libs_into DEST, e.g. "$pkgdir-lib").
take_libs() { take_libs_into "$pkgdir" "$@"; }
take_libs_into() {
    _dest=$1/lib/i386-linux-gnu
    shift
    mkdir -p "$_dest"
    for _d in "$@"; do
        _n=0
        for _l in "$srcdir/$_d"/lib/i386-linux-gnu/lib*.so.* "$srcdir/$_d"/usr/lib/i386-linux-gnu/lib*.so.*; do
            [ -e "$_l" ] || [ -L "$_l" ] || continue
            cp -a "$_l" "$_dest/"
            _n=$((_n + 1))
        done
        [ $_n -gt 0 ] || die "no shared libraries in $_d"
    done
}
