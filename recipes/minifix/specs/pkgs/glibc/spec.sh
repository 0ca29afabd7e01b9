# The GNU C library, split as Aloofix splits it: glibc-min (the dynamic loader and the libraries
# every minifix system needs: the live CD has only this one), glibc-lib (every other shared
# library: libutil, librt, libanl, libgcc_s, ...) and glibc (ldconfig and the rest). No locales,
# no gconv. build-pkg adds glibc-license and the automatic Depends: glibc-min and glibc-lib on
# glibc-license, glibc on glibc-lib and glibc-license.
debs="libc6:$debarch libc-bin:$debarch libgcc-s1:$debarch libcrypt1:$debarch"
subpkgs="lib min"
section=core
priority=standard
license="LGPL-2.1-or-later"
description="GNU C library"
depends="base glibc-min"
# libgcc-s1's doc directory is a link into gcc-12-base, which minifix does not unpack.
license_files="libc6/usr/share/doc/libc6/copyright libcrypt1/usr/share/doc/libcrypt1/copyright"

min_priority=required
min_section=base
min_description="Minimal required glibc libraries"
lib_description="Shared library files for glibc"

multiarch=lib/i386-linux-gnu
# Aloofix's min_pkg_files, in Debian's multiarch layout (ld-linux.so.2 in /lib, the libraries in
# /lib/i386-linux-gnu; glibc 2.36 has no lib*-<version>.so files and no usr/lib .so links).
min_pkg_files="etc/ld.so.conf
	lib/ld-linux.so.2
	$multiarch/ld-linux.so.2
	$multiarch/libc.so.6
	$multiarch/libcrypt.so.1
	$multiarch/libcrypt.so.1.1.0
	$multiarch/libm.so.6
	$multiarch/libdl.so.2
	$multiarch/libnss_files.so.2
	$multiarch/libnss_dns.so.2
	$multiarch/libresolv.so.2
	$multiarch/libpthread.so.0"

build() {
    # Everything of the three runtime packages first, as a make install would leave it.
    inst=$srcdir/install
    rm -rf "$inst"
    mkdir -p "$inst/$multiarch" "$inst/etc" "$inst/sbin"
    take_from "$srcdir/libc6" "$inst" lib/ld-linux.so.2 "$multiarch"
    cp -a "$srcdir"/libcrypt1/$multiarch/libcrypt.so.1* "$inst/$multiarch/"
    cp -a "$srcdir"/libgcc-s1/$multiarch/libgcc_s.so.1 "$inst/$multiarch/"
    rm -f "$inst/$multiarch/libmemusage.so" "$inst/$multiarch/libpcprofile.so" \
        "$inst/$multiarch/libc_malloc_debug.so.0"
    printf '%s\n' "/$multiarch" "/usr/$multiarch" >"$inst/etc/ld.so.conf"
    cp "$srcdir/libc-bin/sbin/ldconfig" "$inst/sbin/ldconfig"
    mkdir -p "$inst/var/cache/ldconfig"
    chmod 700 "$inst/var/cache/ldconfig"

    # glibc-min: exactly its file list, plus nsswitch.conf (Aloofix's pkg_min_hook).
    take_from "$inst" "$pkgdir-min" $min_pkg_files
    cp "$specdir/etc/nsswitch.conf" "$pkgdir-min/etc/"
    # glibc-lib: the remaining shared libraries.
    for l in "$inst/$multiarch"/lib*.so*; do
        rel=$multiarch/${l##*/}
        case " $(echo $min_pkg_files) " in *" $rel "*) continue ;; esac
        take_from "$inst" "$pkgdir-lib" "$rel"
    done
    [ -e "$pkgdir-lib/$multiarch/libutil.so.1" ] || die "glibc-lib lacks libutil.so.1"
    # glibc: what is left (ldconfig and its cache directory).
    take_from "$inst" "$pkgdir" sbin/ldconfig var/cache/ldconfig
}
