#!/bin/sh
# Compile Debian's dropbear source for i686 with localoptions.h and pack the result as a kept
# binary tarball. Runs on the stage-1 build host only (minifix has no compiler): spec.sh's retrieve
# calls it when no tarball for this localoptions.h + compile.sh is kept or cached.
#
#   compile.sh ORIG_TARBALL DEBIAN_VERSION LOCALOPTIONS_H OUT_TARBALL
#
# The tarball holds usr/sbin/dropbear, usr/bin/dropbearkey and usr/share/doc/dropbear/{LICENSE,
# localoptions.h,BUILDINFO}. Both binaries are dynamically linked against the i386 glibc, and
# dropbear needs libc.so.6, libcrypt.so.1, libz.so.1 and libutil.so.1 (glibc 2.34+ has openpty in
# libc, so libutil is linked by name on purpose: Aloofix's dropbear needs it, and minifix's live
# system, like Aloofix's, lacks it).
# Debian's patches are not applied: 2013.58 had no kex-strict (Terrapin) extension and Debian's
# CVE-2023-48795 patch cannot be switched off.
set -eu

orig=$1 debver=$2 options=$3 out=$4
started=$(date +%s)
say() { echo "dropbear compile: $*"; }
die() { echo "dropbear compile: $*" >&2; exit 1; }

case "$(uname -m)" in
    x86_64) cc="gcc -m32" ;;
    i?86) cc=gcc ;;
    *) die "cannot build i686 binaries on $(uname -m)" ;;
esac
command -v gcc >/dev/null && command -v make >/dev/null && command -v readelf >/dev/null \
    || die "gcc, make and readelf are needed (on Debian: make setup installs gcc-multilib lib32z1-dev libcrypt-dev:i386)"

work=$(mktemp -d "${TMPDIR:-/tmp}/dropbear-compile.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/src
mkdir -p "$src"
say "unpacking ${orig##*/}"
tar -xf "$orig" -C "$src" --strip-components=1
cp "$options" "$src/localoptions.h"

# 2013.58's server offered plain "zlib" besides zlib@openssh.com; 2022.83's server only the delayed
# form unless its compress mode is "on" (the client's default), which has no option: set it here.
sed -i 's/^\([[:space:]]*opts\.compress_mode = \)DROPBEAR_COMPRESS_DELAYED;/\1DROPBEAR_COMPRESS_ON;/' \
    "$src/svr-runopts.c"
grep -q 'opts.compress_mode = DROPBEAR_COMPRESS_ON;' "$src/svr-runopts.c" \
    || die "svr-runopts.c changed upstream: cannot enable the server's plain zlib compression"

say "configuring for i686 ($cc)"
# --host makes configure cross-compile (no test programs run); -l:libutil.so.1 puts libutil in
# DT_NEEDED although glibc 2.36 no longer needs it; --no-as-needed keeps it there.
(cd "$src" && CC="$cc" LDFLAGS="-Wl,--no-as-needed" LIBS="-l:libutil.so.1" \
    ./configure --host=i686-linux-gnu --prefix=/usr \
    --enable-bundled-libtom --disable-pam >"$work/configure.log" 2>&1) \
    || { tail -n 30 "$work/configure.log" >&2; die "configure failed (32-bit zlib/libcrypt dev files missing? run make setup)"; }
grep -q '^#define HAVE_CRYPT 1' "$src/config.h" || die "configure found no crypt(): password logins would not work"
grep -q '^#define HAVE_LIBZ 1' "$src/config.h" || die "configure found no zlib"

jobs=$(nproc 2>/dev/null || echo 2)
say "compiling dropbear and dropbearkey (make -j$jobs)"
(cd "$src" && make -j"$jobs" PROGRAMS="dropbear dropbearkey" >"$work/make.log" 2>&1) \
    || { tail -n 30 "$work/make.log" >&2; die "make failed"; }

for b in dropbear dropbearkey; do
    readelf -h "$src/$b" | grep -q 'Machine:.*Intel 80386' || die "$b is not an i386 binary"
    readelf -l "$src/$b" | grep -q 'Requesting program interpreter: /lib/ld-linux.so.2' \
        || die "$b is not dynamically linked against the i386 glibc"
done
needed=$(readelf -d "$src/dropbear" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | tr '\n' ' ')
for lib in libc.so.6 libcrypt.so.1 libutil.so.1 libz.so.1; do
    case " $needed" in *" $lib "*) ;; *) die "dropbear does not need $lib (NEEDED: $needed)" ;; esac
done
say "dropbear NEEDED: $needed"
strings "$src/dropbear" | grep -qx 'diffie-hellman-group1-sha1' || die "localoptions.h was not applied (no diffie-hellman-group1-sha1)"

root=$work/root
mkdir -p "$root/usr/sbin" "$root/usr/bin" "$root/usr/share/doc/dropbear"
cp "$src/dropbear" "$root/usr/sbin/dropbear"
cp "$src/dropbearkey" "$root/usr/bin/dropbearkey"
strip "$root/usr/sbin/dropbear" "$root/usr/bin/dropbearkey"
chmod 755 "$root/usr/sbin/dropbear" "$root/usr/bin/dropbearkey"
cp "$src/LICENSE" "$options" "$root/usr/share/doc/dropbear/"
chmod 644 "$root/usr/share/doc/dropbear/"*
{
    echo "source: $(sha256sum "$orig" | cut -d' ' -f1)  ${orig##*/} (Debian dropbear $debver, Debian patches not applied)"
    echo "options: localoptions.h sha256 $(sha256sum "$options" | cut -d' ' -f1)"
    echo "compiler: $cc: $(gcc --version | head -n 1)"
    echo "configure: --host=i686-linux-gnu --enable-bundled-libtom --disable-pam LIBS=-l:libutil.so.1"
    echo "dropbear NEEDED: $needed"
} >"$root/usr/share/doc/dropbear/BUILDINFO"

mkdir -p "$(dirname "$out")"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -C "$root" usr | gzip -9n >"$out.tmp"
mv "$out.tmp" "$out"
say "wrote ${out##*/} in $(( $(date +%s) - started )) s"
