# GNU readline for sqlite3's shell (Aloofix has a readline recipe): readline-lib only.
debs="libreadline8:$debarch"
subpkgs=lib
section=libraries
license=GPL-3.0-or-later
description="GNU readline and history libraries"
lib_depends="glibc-min ncurses-lib"

build() {
    take_libs_into "$pkgdir-lib" libreadline8
}
