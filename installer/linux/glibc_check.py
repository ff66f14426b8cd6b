"""Which glibc a Linux program needs: the newest GLIBC_x.y symbol version that its ELF files (in a
folder, or inside .whl files) ask for, read from their .gnu.version_r sections (what `objdump -T`
shows), with no tool but Python.

    python installer/linux/glibc_check.py --max 2.28 PATH...   # exit 1 naming every file that needs more

UOS 20 and Kylin V10 have glibc 2.28: the bundled Python and every wheel's extension must ask for
nothing newer.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

SHT_GNU_VERNEED = 0x6FFFFFFE


def glibc_versions(data: bytes) -> set[tuple[int, ...]]:
    """Return the GLIBC_x.y[.z] versions an ELF64 little-endian file needs (empty if none or not ELF)."""
    if len(data) < 64 or data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return set()
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for index in range(shnum):
        base = shoff + index * shentsize
        if base + 64 > len(data):
            return set()
        _name, kind, _flags, _addr, offset, size, link, info = struct.unpack_from(
            "<IIQQQQII", data, base
        )
        sections.append((kind, offset, size, link, info))
    found: set[tuple[int, ...]] = set()
    for kind, offset, _size, link, count in sections:
        if kind != SHT_GNU_VERNEED or link >= len(sections):
            continue
        strings = sections[link][1]
        entry = offset
        for _ in range(count):
            _version, aux_count, _file, aux, following = struct.unpack_from("<HHIII", data, entry)
            aux_at = entry + aux
            for _ in range(aux_count):
                _hash, _flags, _other, name, aux_next = struct.unpack_from("<IHHII", data, aux_at)
                start = strings + name
                text = data[start : data.index(b"\0", start)].decode("ascii", "replace")
                if text.startswith("GLIBC_") and text[6:7].isdigit():
                    found.add(tuple(int(part) for part in text[6:].split(".") if part.isdigit()))
                if not aux_next:
                    break
                aux_at += aux_next
            if not following:
                break
            entry += following
    return found


def elf_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) of every ELF file under a folder, a file, or inside a .whl."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and not child.is_symlink():
                yield from elf_files(child)
    elif path.suffix == ".whl":
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                data = archive.read(member)
                if data[:4] == b"\x7fELF":
                    yield f"{path}!{member}", data
    else:
        with open(path, "rb") as handle:
            if handle.read(4) != b"\x7fELF":
                return
            handle.seek(0)
            yield str(path), handle.read()


def newest(paths: list[Path]) -> dict[str, tuple[int, ...]]:
    """Return, for every ELF file found, the newest glibc version it needs (files needing none: absent)."""
    result = {}
    for path in paths:
        for name, data in elf_files(path):
            versions = glibc_versions(data)
            if versions:
                result[name] = max(versions)
    return result


def version_text(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", default="2.28", help="the oldest glibc to run on (default 2.28)")
    parser.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args(argv)
    limit = tuple(int(part) for part in args.max.split("."))
    needs = newest(args.paths)
    if not needs:
        print("没有找到需要 glibc 的程序文件：" + " ".join(map(str, args.paths)), file=sys.stderr)
        return 2
    too_new = {name: version for name, version in needs.items() if version > limit}
    for name, version in sorted(too_new.items()):
        print(f"{name}: 需要 glibc {version_text(version)}（高于 {args.max}）", file=sys.stderr)
    top = max(needs.values())
    print(f"{len(needs)} 个程序文件，最高需要 glibc {version_text(top)}（上限 {args.max}）")
    return 1 if too_new else 0


if __name__ == "__main__":
    sys.exit(main())
