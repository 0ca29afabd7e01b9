"""minifix's extra packages (lighttpd, openldap, sqlite, rsync, less, tree, strace and their libraries): stage 1
keeps their Debian packages in build/tarballs without building them; a copy of the stage-1 tree seeded with those
kept sources (as the native tree is) builds them offline; every ELF file finds its libraries in its package's
Depends closure; and the programs run for real, in an i386 chroot made of those packages (lighttpd serves a page,
slapd takes an entry that ldapsearch reads back, sqlite3 and rsync do their work)."""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from recipes.minifix import build as minifix_build
from tests.integration.minifix.cd import Package
from tests.integration.minifix.trees import Node, Tree, add_data, closure, depends, missing_libraries, opk_members, \
    parse_control

SPECS = minifix_build.RECIPE_DIR / "specs" / "pkgs"
BUILDSTRAP = minifix_build.RECIPE_DIR / "scripts" / "buildstrap"

# What the extra recipes make: -license for every recipe, the -lib packages, the programs.
EXTRA_PACKAGES = {
    "acl-lib", "popt-lib", "lz4-lib", "zstd-lib", "xxhash-lib", "openssl-lib", "gmp-lib", "nettle-lib", "pcre2-lib",
    "cyrus-sasl-lib", "libtool-lib", "krb5-lib", "tcp-wrappers-lib", "gnutls-lib", "ncurses-lib", "ncurses",
    "readline-lib", "sqlite-lib", "sqlite", "openldap-lib", "openldap", "lighttpd", "rsync", "less", "tree",
    "strace",
}
PROGRAMS = {
    "lighttpd": ["usr/sbin/lighttpd", "etc/lighttpd/lighttpd.conf", "etc/sv/all/lighttpd/run"],
    "openldap": ["usr/sbin/slapd", "usr/sbin/slapadd", "usr/bin/ldapsearch", "usr/bin/ldapadd",
                 "usr/lib/ldap/back_mdb.so", "etc/ldap/slapd.conf", "etc/ldap/schema/core.schema",
                 "etc/sv/all/slapd/run"],
    "openldap-lib": ["lib/i386-linux-gnu/libldap-2.5.so.0", "lib/i386-linux-gnu/liblber-2.5.so.0"],
    "sqlite": ["usr/bin/sqlite3"],
    "sqlite-lib": ["lib/i386-linux-gnu/libsqlite3.so.0"],
    "rsync": ["usr/bin/rsync"],
    "less": ["usr/bin/less.gnu"],
    "tree": ["usr/bin/tree"],
    "strace": ["usr/bin/strace"],
}
# Sizes (bytes) the packages must stay under: no perl, no documentation, no unused modules.
MAX_SIZE = {"openldap": 3 * 2**20, "gnutls-lib": 3 * 2**20, "openssl-lib": 3 * 2**20, "lighttpd": 2**20,
            "rsync": 2**20}


def _stage1_recipes() -> set[str]:
    text = BUILDSTRAP.read_text()
    names = set()
    for var in ("pkglist", "finalpkgs"):
        names |= set(re.search(rf'^{var}="([^"]*)"', text, re.MULTILINE).group(1).split())
    return names


def extra_recipes() -> list[str]:
    """The recipes stage 1 does not build: every recipe but buildstrap's lists."""
    return sorted(p.name for p in SPECS.iterdir() if (p / "spec.sh").is_file() and p.name not in _stage1_recipes())


def _recipe_debs(recipe: str) -> list[str]:
    out = subprocess.run(["sh", "-c", f'top=$(pwd); . ./config.sh; debs=; . specs/pkgs/{recipe}/spec.sh; echo $debs'],
                         cwd=minifix_build.RECIPE_DIR, capture_output=True, text=True, check=True).stdout
    return out.split()


def read_packages(pkgs: Path) -> dict[str, Package]:
    packages = {}
    for opk in sorted(pkgs.glob("*.opk")):
        control, data, scripts = opk_members(opk.read_bytes())
        package = Package(opk.name, parse_control(control), data, scripts)
        packages[package.name] = package
    return packages


@pytest.fixture(scope="module")
def extras_tree(minifix):
    """A copy of the stage-1 tree seeded with build/tarballs only (as the native tree is), in which build-pkg
    builds every extra recipe as the build user, with no DEB_CACHE."""
    root = Path(tempfile.mkdtemp(prefix="minifix-extras-", dir="/var/tmp"))
    tree = root / "src"
    try:
        tree.mkdir()
        for entry in minifix_build.TREE_ENTRIES:
            origin = minifix.out / "src" / entry
            (shutil.copytree if origin.is_dir() else shutil.copy2)(origin, tree / entry)
        shutil.copytree(minifix.out / "src" / "build" / "tarballs", tree / "build" / "tarballs", symlinks=True)
        (tree / "build" / "tmp").mkdir()
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C", "HOME": str(tree),
               "TMPDIR": str(tree / "build" / "tmp")}
        argv = ["./scripts/build-pkg", *extra_recipes()]
        if os.geteuid() == 0:
            user = minifix_build.ensure_build_user()
            minifix_build.chown_tree(root, user.pw_uid, user.pw_gid)
            argv = ["runuser", "-u", minifix_build.BUILD_USER, "--", "env", "-i",
                    *(f"{k}={v}" for k, v in env.items()), *argv]
        started = time.monotonic()
        result = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        print(f"extras built in {time.monotonic() - started:.1f} s")
        yield tree
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def all_packages(minifix, extras_tree) -> dict[str, Package]:
    """Stage 1's packages and the extras."""
    return read_packages(minifix.out / "src" / "pkgs") | read_packages(extras_tree / "pkgs")


def test_extra_recipes_are_the_client_package_set():
    assert {"lighttpd", "openldap", "sqlite", "rsync", "less", "tree", "strace", "cyrus-sasl", "openssl", "popt",
            "lz4", "xxhash", "zstd", "acl"} <= set(extra_recipes())


def test_stage1_keeps_the_extras_sources_without_building_them(minifix):
    src = minifix.out / "src"
    log = (minifix.out / "buildstrap.log").read_text()
    built = set(re.findall(r"^Building (\S+) package$", log, re.MULTILINE))
    opks = {p.name for p in (src / "pkgs").glob("*.opk")}
    for recipe in extra_recipes():
        assert recipe not in built, f"stage 1 built {recipe}"
        assert not [n for n in opks if n.startswith((f"{recipe}_", f"{recipe}-"))], f"stage 1 packaged {recipe}"
        assert (src / "build" / "status" / recipe).read_text().strip() == "retrieve", recipe
        sums = (src / "build" / "tarballs" / recipe / "sha256.sums").read_text()
        for deb in _recipe_debs(recipe):
            pattern = minifix_build._deb_glob(deb.replace("$debarch", "i386"))
            kept = sorted((src / "build" / "tarballs" / recipe).glob(pattern))
            assert kept and f"  {kept[-1].name}\n" in sums, (recipe, deb)
    assert re.search(r"^Retrieving sources of .*\brsync\b", log, re.MULTILINE)
    # build.py fetched them with everything else, in its one apt-get call: they are in the cache
    cache = minifix.out.parent / "cache" / "debs"
    assert any(cache.glob("slapd_*_i386.deb")) and any(cache.glob("lighttpd_*_i386.deb"))


def test_extras_build_offline_from_kept_sources(extras_tree, all_packages):
    assert EXTRA_PACKAGES <= set(all_packages)
    for recipe in extra_recipes():
        retrieved = (extras_tree / "build" / "logs" / recipe / "retrieve.log").read_text().splitlines()
        assert retrieved and all(line.startswith("kept: ") for line in retrieved), (recipe, retrieved)
    for name, paths in PROGRAMS.items():
        names = {n.removeprefix("./") for n in tarfile.open(fileobj=io.BytesIO(all_packages[name].data)).getnames()}
        assert set(paths) <= names, (name, set(paths) - names)


def test_extras_leave_out_perl_and_stay_small(extras_tree, all_packages):
    openldap = tarfile.open(fileobj=io.BytesIO(all_packages["openldap"].data)).getnames()
    assert not [n for n in openldap if "perl" in n or "back_sql" in n]
    for name in EXTRA_PACKAGES:
        size = (extras_tree / "pkgs" / all_packages[name].filename).stat().st_size
        assert size <= MAX_SIZE.get(name, 1024 * 1024), (name, size)


def test_extra_packages_have_license_packages_they_depend_on_first(all_packages):
    for recipe in extra_recipes():
        lic = all_packages[f"{recipe}-license"]
        assert lic.control["Architecture"] == "noarch" and "Depends" not in lic.control
        files = [n for n in tarfile.open(fileobj=io.BytesIO(lic.data)).getnames()
                 if n.startswith(f"./usr/share/licenses/{recipe}/") and not n.endswith("/")]
        assert files, recipe
    for name in EXTRA_PACKAGES:
        recipe = name.removesuffix("-lib")
        deps = depends(all_packages[name].control)
        if name == recipe and f"{recipe}-lib" in all_packages:
            assert deps[:2] == [f"{recipe}-lib", f"{recipe}-license"], (name, deps)
        else:
            assert deps[0] == f"{recipe}-license", (name, deps)


def closure_tree(packages: dict[str, Package], roots: list[str]) -> Tree:
    controls = {name: p.control for name, p in packages.items()}
    tree = Tree()
    for name in sorted(closure(roots, controls)):
        add_data(tree, packages[name].data)
    return tree


@pytest.mark.parametrize("name", sorted(EXTRA_PACKAGES))
def test_extra_package_finds_its_libraries_in_its_depends_closure(all_packages, name):
    """Every ELF file of the package and of what it depends on loads with that closure alone."""
    assert missing_libraries(closure_tree(all_packages, [name])) == {}


def test_rsync_closure_is_what_upstream_names(all_packages):
    controls = {name: p.control for name, p in all_packages.items()}
    assert {"popt-lib", "openssl-lib", "zlib-lib", "acl-lib", "lz4-lib", "zstd-lib", "xxhash-lib",
            "glibc-min"} <= closure(["rsync"], controls)
    assert {"openldap-lib", "cyrus-sasl-lib", "gnutls-lib"} <= closure(["openldap"], controls)


# --- the programs, run in an i386 chroot ---------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroot(root: Path, *argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(["chroot", str(root), *argv], capture_output=True, text=True,
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "TERM": "linux"}, check=False,
                            **kw)
    if check:
        assert result.returncode == 0, (argv, result.stdout[-2000:], result.stderr[-2000:])
    return result


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def extras_root(all_packages, tmp_path_factory):
    """A root holding the extras' closure, busybox and base: the packages' data unpacked, the openldap and less
    postinsts run in it (ldap user, less alternative), ldconfig run."""
    assert os.geteuid() == 0 and shutil.which("chroot"), "these tests need root (chroot)"
    root = tmp_path_factory.mktemp("extras-root") / "root"
    root.mkdir()
    controls = {name: p.control for name, p in all_packages.items()}
    for name in sorted(closure(sorted(EXTRA_PACKAGES) + ["busybox", "base", "glibc", "opkg"], controls)):
        with tarfile.open(fileobj=io.BytesIO(all_packages[name].data)) as data:
            data.extractall(root, filter="fully_trusted")
    os.symlink("busybox", root / "bin/sh")
    os.mknod(root / "dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for alt in ("less",):  # busybox's alternative, as its postinst would register it
        chroot(root, "/bin/sh", "-c", f"update-alternatives --install /usr/bin/{alt} {alt} ../../bin/busybox 10")
    for name in ("openldap", "less"):
        (root / "tmp/postinst").write_text(all_packages[name].scripts["postinst"])
        chroot(root, "/bin/sh", "/tmp/postinst")
    chroot(root, "/sbin/ldconfig")
    return root


def test_tools_run(extras_root):
    root = extras_root
    assert os.readlink(root / "usr/bin/less") == "less.gnu"  # the alternative, over busybox's
    assert "less 590" in chroot(root, "/usr/bin/less", "--version").stdout
    assert "tree v2" in chroot(root, "/usr/bin/tree", "--version").stdout
    assert "strace -- version 6" in chroot(root, "/usr/bin/strace", "-V").stdout
    listing = chroot(root, "/usr/bin/tree", "/etc/ldap").stdout
    assert "-- schema" in listing and "core.schema" in listing
    assert chroot(root, "/usr/bin/sqlite3", "/tmp/t.db",
                  "create table t(x); insert into t values (42); select x * 2 from t;").stdout.strip() == "84"
    chroot(root, "/usr/bin/rsync", "-a", "--delete", "/etc/ldap/", "/tmp/copy/")
    assert (root / "tmp/copy/slapd.conf").read_bytes() == (root / "etc/ldap/slapd.conf").read_bytes()
    assert "xxhash" in chroot(root, "/usr/bin/rsync", "--version").stdout


def test_lighttpd_serves_srv_www(extras_root):
    root = extras_root
    port = _free_port()
    conf = (root / "etc/lighttpd/lighttpd.conf").read_text()
    assert 'server.document-root = "/srv/www"' in conf and "server.port = 80\n" in conf
    (root / "etc/lighttpd/test.conf").write_text(conf.replace("server.port = 80\n", f"server.port = {port}\n"))
    chroot(root, "/usr/sbin/lighttpd", "-tt", "-f", "/etc/lighttpd/test.conf")
    (root / "srv/www/minifix").mkdir(parents=True, exist_ok=True)
    (root / "srv/www/minifix/Packages").write_text("Package: x\n")
    proc = subprocess.Popen(["chroot", str(root), "/usr/sbin/lighttpd", "-D", "-f", "/etc/lighttpd/test.conf"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/minifix/Packages", timeout=10) as response:
            assert response.read() == b"Package: x\n"
            assert response.headers["Content-Type"].startswith("text/plain")
            assert response.headers["Server"] == "lighttpd"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_slapd_takes_an_entry_that_ldapsearch_reads(extras_root):
    root = extras_root
    assert "ldap:x:26:26:" in (root / "etc/passwd").read_text()
    port = _free_port()
    conf = (root / "etc/ldap/slapd.conf").read_text()
    (root / "etc/ldap/test.conf").write_text(conf + "rootpw\t\tsecret\n")
    chroot(root, "/bin/sh", "-c", "mkdir -p /var/run/slapd && chown ldap:ldap /var/run/slapd /var/lib/ldap")
    chroot(root, "/usr/sbin/slaptest", "-u", "-f", "/etc/ldap/test.conf")
    url = f"ldap://127.0.0.1:{port}/"
    proc = subprocess.Popen(["chroot", str(root), "/usr/sbin/slapd", "-d", "0", "-u", "ldap", "-g", "ldap",
                             "-f", "/etc/ldap/test.conf", "-h", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_port(port, proc)
        ldif = ("dn: dc=minifix,dc=local\nobjectClass: dcObject\nobjectClass: organization\no: minifix\ndc: minifix\n\n"
                "dn: uid=alice,dc=minifix,dc=local\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice\nsn: A\n")
        chroot(root, "/usr/bin/ldapadd", "-x", "-H", url, "-D", "cn=admin,dc=minifix,dc=local", "-w", "secret",
               input=ldif)
        found = chroot(root, "/usr/bin/ldapsearch", "-x", "-LLL", "-H", url, "-b", "dc=minifix,dc=local",
                       "(uid=alice)", "cn").stdout
        assert "dn: uid=alice,dc=minifix,dc=local" in found and "cn: Alice" in found
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert list((root / "var/lib/ldap").glob("data.mdb"))


def test_list_pkg_dependencies_follows_depends_and_lib_packages():
    def listed(*args):
        return subprocess.run(["./scripts/list-pkg-dependencies", *args], cwd=minifix_build.RECIPE_DIR,
                              capture_output=True, text=True, check=False)
    rsync = listed("--withargs", "rsync").stdout.split()
    assert rsync[-1] == "rsync" and set(rsync) == {"glibc-min", "acl-lib", "popt-lib", "lz4-lib", "zstd-lib",
                                                   "xxhash-lib", "openssl-lib", "zlib-lib", "rsync"}
    openldap = listed("openldap").stdout.split()
    # a base package needs its recipe's -lib package, and what that needs, before it
    assert openldap.index("gmp-lib") < openldap.index("nettle-lib") < openldap.index("gnutls-lib") \
        < openldap.index("openldap-lib")
    assert listed("--builddepends", *extra_recipes()).stdout == ""
    unknown = listed("rsync", "nosuch")
    assert unknown.returncode != 0 and "unknown package: nosuch" in unknown.stderr


@pytest.mark.parametrize("package, service", [("lighttpd", "lighttpd"), ("openldap", "slapd")])
def test_services_are_runit_definitions_that_are_down_by_default(all_packages, package, service):
    """/etc/sv/all/<service>/run, executable, its shebang and daemon in the package's closure; not linked
    into a runlevel (svadmin enable does that), as busybox's httpd."""
    tree = closure_tree(all_packages, [package, "busybox"])
    tree.add("bin/sh", Node("link", 0o120777, target="busybox"))  # busybox's postinst makes it
    run_script = f"/etc/sv/all/{service}/run"
    assert tree.is_executable(run_script)
    text = tree.node(run_script).data.decode()
    assert tree.is_executable(text.splitlines()[0][2:].split()[0])
    daemon = re.search(r"^exec (/\S+)", text, re.MULTILINE).group(1)
    assert tree.is_executable(daemon)
    assert not [n for n in tree.nodes if n.startswith("etc/sv/default/")]
