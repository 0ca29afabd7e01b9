# SQLite, split as Aloofix splits its recipe: sqlite-lib (libsqlite3) and sqlite (the sqlite3 shell).
debs="sqlite3:$debarch libsqlite3-0:$debarch"
subpkgs=lib
section=databases
license=blessing
depends="glibc-min readline-lib zlib-lib"
lib_depends=glibc-min
description="SQLite database (the sqlite3 command-line shell)"
lib_description="SQLite database library (libsqlite3)"

build() {
    take_from "$srcdir/sqlite3" "$pkgdir" usr/bin/sqlite3
    take_libs_into "$pkgdir-lib" libsqlite3-0
}
