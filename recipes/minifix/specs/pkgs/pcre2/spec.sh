# PCRE2's 8-bit library for lighttpd (Aloofix's nginx depends on pcre-lib): pcre2-lib. tar's
# libselinux keeps a private copy in tar's package (stage 1's toolchain set stays as it is).
debs="libpcre2-8-0:$debarch"
subpkgs=lib
section=libraries
license="BSD-3-Clause"
description="Perl compatible regular expressions library (8-bit)"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libpcre2-8-0
}
