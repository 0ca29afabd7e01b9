# Cyrus SASL's libsasl2 for OpenLDAP: cyrus-sasl-lib only (no mechanism plugins: slapd and the
# ldap tools use simple binds; libsasl2 itself needs nothing but libc).
debs="libsasl2-2:$debarch"
subpkgs=lib
section=libraries
license="BSD-4-Clause-UC"
description="Cyrus SASL authentication library"
lib_depends="glibc-min"

build() {
    take_libs_into "$pkgdir-lib" libsasl2-2
}
