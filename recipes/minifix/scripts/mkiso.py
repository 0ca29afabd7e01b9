#!/usr/bin/env python3
"""Master an ISOLINUX-bootable ISO of a directory tree with pycdlib.

minifix's mkimage calls this on build hosts whose python3 has pycdlib (the stage-1 host);
minifix itself has no python and uses genisoimage with the same layout:
El Torito no-emulation boot of boot/isolinux/isolinux.bin, load size 4, boot-info-table,
boot catalog at boot/isolinux.boot.cat, Rock Ridge names and modes.
"""

import argparse
import os
import stat
import sys

import pycdlib

BOOT_IMAGE = "/boot/isolinux/isolinux.bin"
BOOT_CATALOG = "/boot/isolinux.boot.cat"


def iso_path(rel: str) -> str:
    """ISO-9660 path for a tree-relative path (interchange level 4 keeps names as they are)."""
    return "/" + rel.replace(os.sep, "/")


def walk_tree(top: str):
    """Yield (relative path, is_dir, mode) for everything below top, parents first, sorted."""
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in dirnames + sorted(filenames):
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                raise SystemExit(f"mkiso: symlinks are not supported: {full}")
            yield os.path.relpath(full, top), stat.S_ISDIR(st.st_mode), st.st_mode


def master(tree: str, output: str, volume_id: str, application_id: str) -> None:
    """Write the ISO of tree to output (through a temporary file)."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=4, rock_ridge="1.09", vol_ident=volume_id, app_ident_str=application_id)
    handles = []
    try:
        for rel, is_dir, mode in walk_tree(tree):
            path = iso_path(rel)
            name = os.path.basename(rel)
            if is_dir:
                iso.add_directory(path, rr_name=name, file_mode=stat.S_IFDIR | 0o555)
                continue
            fp = open(os.path.join(tree, rel), "rb")
            handles.append(fp)
            size = os.fstat(fp.fileno()).st_size
            perm = 0o555 if mode & 0o111 else 0o444
            iso.add_fp(fp, size, path, rr_name=name, file_mode=stat.S_IFREG | perm)
        iso.add_eltorito(BOOT_IMAGE, bootcatfile=BOOT_CATALOG, rr_bootcatname="isolinux.boot.cat",
                         media_name="noemul", boot_load_size=4, boot_info_table=True)
        tmp = output + ".tmp"
        iso.write(tmp)
        os.replace(tmp, output)
    finally:
        iso.close()
        for fp in handles:
            fp.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volume-id", required=True)
    parser.add_argument("--application-id", default="")
    parser.add_argument("--output", required=True)
    parser.add_argument("tree")
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.tree, BOOT_IMAGE.lstrip("/"))):
        print(f"mkiso: {args.tree} has no {BOOT_IMAGE}", file=sys.stderr)
        return 1
    master(args.tree, args.output, args.volume_id, args.application_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
