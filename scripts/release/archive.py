"""Write one release archive, reproducibly: entries sorted by name, every mtime the given epoch,
owner and group 0 with no names, modes 0755 (directories, executables) or 0644, and for .tar.gz
a gzip header without a file name or time. Called by scripts/release/package.sh; python3's
tarfile and zipfile behave the same on Linux, macOS and Windows runners, which system tar
(GNU on Linux, bsdtar on macOS and Windows) does not.

usage: archive.py tar.gz|zip OUT MTIME TOPDIR [KIND NAME SRC]...
  KIND is x (an executable) or f (a plain file); NAME is the entry's name under TOPDIR/; SRC
  is its own argument so that Git Bash converts it to a Windows path like any other.
"""

import gzip
import os
import shutil
import sys
import tarfile
import time
import zipfile

# zip cannot store a time before 1980-01-01.
ZIP_EPOCH_MIN = 315532800


def entries(args):
    if len(args) % 3:
        sys.exit("archive.py: entries come in threes: KIND NAME SRC")
    out = []
    for kind, name, src in zip(args[0::3], args[1::3], args[2::3]):
        if kind not in ("x", "f") or not name or "/" in name or not src:
            sys.exit(f"archive.py: bad entry {kind} {name!r} {src!r}")
        out.append((name, src, 0o755 if kind == "x" else 0o644))
    return sorted(out)


def write_tar_gz(out, mtime, top, items):
    with open(out, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=9
    ) as gz, tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def info(name, mode, size=0, type_=tarfile.REGTYPE):
            ti = tarfile.TarInfo(name)
            ti.mode, ti.size, ti.type, ti.mtime = mode, size, type_, mtime
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            return ti

        tar.addfile(info(top + "/", 0o755, type_=tarfile.DIRTYPE))
        for name, src, mode in items:
            with open(src, "rb") as f:
                tar.addfile(info(f"{top}/{name}", mode, os.fstat(f.fileno()).st_size), f)


def write_zip(out, mtime, top, items):
    stamp = time.gmtime(max(mtime, ZIP_EPOCH_MIN))[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        d = zipfile.ZipInfo(top + "/", date_time=stamp)
        d.create_system = 3  # unix, so unzip honours the modes below
        d.external_attr = (0o40755 << 16) | 0x10
        zf.writestr(d, b"")
        for name, src, mode in items:
            zi = zipfile.ZipInfo(f"{top}/{name}", date_time=stamp)
            zi.create_system = 3
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            with open(src, "rb") as f, zf.open(zi, "w") as dst:
                shutil.copyfileobj(f, dst, 1 << 20)


def main(argv):
    if len(argv) < 5 or argv[1] not in ("tar.gz", "zip"):
        sys.exit("usage: archive.py tar.gz|zip OUT MTIME TOPDIR [KIND NAME SRC]...")
    fmt, out, mtime, top = argv[1], argv[2], int(argv[3]), argv[4]
    items = entries(argv[5:])
    tmp = out + ".partial"
    (write_tar_gz if fmt == "tar.gz" else write_zip)(tmp, mtime, top, items)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
