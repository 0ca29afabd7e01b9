# The GNU C library's shared objects (no locales, no gconv), libgcc_s and libcrypt.
debs="libc6:$debarch libgcc-s1:$debarch libcrypt1:$debarch"
section=core
priority=required
license="LGPL-2.1-or-later"
description="GNU C library runtime (shared libraries only)"

build() {
    take_from "$srcdir/libc6" "$pkgdir" lib/ld-linux.so.2 lib/i386-linux-gnu
    take_from "$srcdir/libgcc-s1" "$pkgdir" lib/i386-linux-gnu/libgcc_s.so.1
    cp -a "$srcdir"/libcrypt1/lib/i386-linux-gnu/libcrypt.so.1* "$pkgdir/lib/i386-linux-gnu/"
    rm -f "$pkgdir"/lib/i386-linux-gnu/libmemusage.so "$pkgdir"/lib/i386-linux-gnu/libpcprofile.so \
        "$pkgdir"/lib/i386-linux-gnu/libc_malloc_debug.so.0
}
