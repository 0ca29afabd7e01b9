# OpenSSL 3's libssl and libcrypto (Aloofix's recipe makes openssl-lib; minifix has no openssl
# command, so there is no base package), with the legacy provider (MD4) that rsync may ask for.
debs="libssl3:$debarch"
subpkgs=lib
section=libraries
license="Apache-2.0"
description="OpenSSL TLS and cryptography libraries"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libssl3
    take_from "$srcdir/libssl3" "$pkgdir-lib" usr/lib/i386-linux-gnu/ossl-modules/legacy.so
}
