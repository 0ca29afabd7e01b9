# MIT Kerberos' client libraries (with libkeyutils folded in): krb5-lib, needed by libtirpc (for
# tcp-wrappers). libcom_err comes from e2fsprogs-lib. No plugins (spake would need openssl).
debs="libgssapi-krb5-2:$debarch libkrb5-3:$debarch libk5crypto3:$debarch libkrb5support0:$debarch libkeyutils1:$debarch"
subpkgs=lib
section=libraries
license="MIT LGPL-2.0-or-later"
description="MIT Kerberos libraries (GSS-API, krb5, keyutils)"
lib_depends="glibc-min e2fsprogs-lib"

build() {
    take_libs_into "$pkgdir-lib" libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libkeyutils1
}
