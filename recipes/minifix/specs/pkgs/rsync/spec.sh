# rsync: what make-buildserver --minimal installs, for push-packages. Its libraries are packages of
# their own, with Aloofix's names where Aloofix has the recipe (popt-lib, openssl-lib, zlib-lib).
debs="rsync:$debarch"
section=admin
license=GPL-3.0-or-later
depends="glibc-min acl-lib popt-lib lz4-lib zstd-lib xxhash-lib openssl-lib zlib-lib"
description="Rsync file transfer program"

build() {
    take_from "$srcdir/rsync" "$pkgdir" usr/bin/rsync
}
