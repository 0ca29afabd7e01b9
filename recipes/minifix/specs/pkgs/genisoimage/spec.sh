# The ISO tool minifix masters its own CD with (mkimage prefers pycdlib where python3 has it).
debs="genisoimage:$debarch libmagic1:$debarch libbz2-1.0:$debarch liblzma5:$debarch"
section=devel
license=GPL-2.0-only
depends="glibc-min zlib-lib"
description="genisoimage ISO-9660 mastering tool"

build() {
    mkdir -p "$pkgdir/usr/bin"
    cp "$srcdir/genisoimage/usr/bin/genisoimage" "$pkgdir/usr/bin/"
    ln -sf genisoimage "$pkgdir/usr/bin/mkisofs"
    take_libs libmagic1 libbz2-1.0 liblzma5
}
