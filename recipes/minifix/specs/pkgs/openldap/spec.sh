# OpenLDAP 2.5 from Debian's slapd and ldap-utils: openldap-lib (liblber, libldap, libslapi), and
# openldap: slapd with its slap* tools (links to slapd, which picks the tool by its name), the
# ldap* client tools, the overlay/backend modules in /usr/lib/ldap (without back_perl, back_sql and
# argon2, which need perl, ODBC and libargon2), the schemas, /etc/ldap/slapd.conf (an mdb database
# for dc=minifix,dc=local with no rootpw: whoever configures the server sets it) and the runit
# service /etc/sv/all/slapd, down until `svadmin enable slapd`. The postinst adds the ldap user
# (uid 26) slapd runs as, appending it to /etc/passwd, group and shadow.
debs="slapd:$debarch ldap-utils:$debarch libldap-2.5-0:$debarch"
subpkgs=lib
section=net
license=OLDAP-2.8
depends="glibc-min libtool-lib tcp-wrappers-lib cyrus-sasl-lib"
lib_depends="glibc-min cyrus-sasl-lib gnutls-lib"
description="OpenLDAP server (slapd) and client tools (ldapsearch, ldapadd, ...)"
lib_description="OpenLDAP libraries (liblber, libldap, libslapi)"
# modules that would pull in perl, unixODBC or libargon2
skip_modules="back_perl back_sql argon2"

build() {
    take_libs_into "$pkgdir-lib" libldap-2.5-0 slapd
    take_from "$srcdir/slapd" "$pkgdir" usr/sbin/slapd
    for t in slapacl slapadd slapauth slapcat slapdn slapindex slapmodify slappasswd slapschema slaptest; do
        ln -s slapd "$pkgdir/usr/sbin/$t"
    done
    take_from "$srcdir/ldap-utils" "$pkgdir" usr/bin/ldapadd usr/bin/ldapcompare usr/bin/ldapdelete \
        usr/bin/ldapexop usr/bin/ldapmodify usr/bin/ldapmodrdn usr/bin/ldappasswd usr/bin/ldapsearch \
        usr/bin/ldapurl usr/bin/ldapwhoami
    mkdir -p "$pkgdir/usr/lib/ldap"
    for m in "$srcdir"/slapd/usr/lib/ldap/*.so*; do
        b=${m##*/}
        skip=
        for s in $skip_modules; do
            case "$b" in "$s".so* | "$s"-*) skip=y ;; esac
        done
        [ -n "$skip" ] || cp -a "$m" "$pkgdir/usr/lib/ldap/"
    done
    mkdir -p "$pkgdir/etc/ldap/schema"
    cp -a "$srcdir"/slapd/etc/ldap/schema/*.schema "$pkgdir/etc/ldap/schema/"
    copy_spec_files etc
    chmod 755 "$pkgdir/etc/sv/all/slapd/run"
    mkdir -p "$pkgdir/var/lib/ldap"
    chmod 700 "$pkgdir/var/lib/ldap"
}
