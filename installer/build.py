"""Build the township app's installers from pinned versions: the Linux offline bundle, the .deb for
UOS/Kylin, and the Windows build (NSIS script, and the setup .exe where the embeddable Python is).

Usage: python installer/build.py [--out dist/installer] [--only bundle,deb,windows] [--version V]

One version runs through a build: pyproject.toml's (or --version, e.g. 0.1.0+20261207 for a
rebuild) is stamped into the app's wheel, so `bianmin-township --version`, the admin page, the
artifacts' names and the .deb's control file all say the same.

Every runtime dependency comes from installer/requirements.lock (exact versions). The app's own
wheel carries its templates and static files (copied into township_app/web/ of a staged copy of
the source, since the repository keeps them beside the packages).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import icon  # noqa: E402 - beside this script, not a package

sys.path.insert(0, str(HERE / "linux"))
import glibc_check  # noqa: E402 - beside this script, not a package

log = logging.getLogger("installer")

APPID = "cn.bianmin.township"
NAME_ZH = "便民服务"
# The township PC's wheel: no central_api (and no `bianmin-central` command, which would only crash
# there without the central server's dependencies).
PACKAGES = ("township_app", "sync", "staff_pages")
# The guides shipped in the offline bundle (its README points to them).
DOCS = ("install.md", "user-guide.md")
WINDOWS_PYTHON = "3.11"
# The oldest glibc of the Linux fleet (UOS 20, Kylin V10): every Linux wheel and the bundled Python
# ask for nothing newer. pip does not widen a manylinux_2_28 platform to the older tags by itself,
# so each tag a glibc 2.28 PC accepts is named.
LINUX_GLIBC = "2.28"
LINUX_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)
# The relocatable CPython made by installer/linux/build_python.sh (its OUT/python); shipped in the
# bundle and the .deb when it is there, so the PC needs no Python of its own.
PYTHON_TREE_DEFAULT = (
    Path(os.environ.get("BIANMIN_BUILD_CACHE", "/work/cache/uos")) / "python" / "python"
)
BUNDLED_PYTHON = "bin/python3.11"


def version() -> str:
    """Return the app's version from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def township_pyproject(text: str, ver: str) -> str:
    """Return pyproject.toml for the township wheel: the build's version, no central parts."""
    replaced = {
        f'version = "{version()}"': f'version = "{ver}"',
        'bianmin-central = "central_api.cli:main"\n': "",
        '"central_api*", ': "",
    }
    for old, new in replaced.items():
        if old not in text:
            raise SystemExit(f"pyproject.toml has changed: cannot find {old!r}")
        text = text.replace(old, new, 1)
    return (
        "\n".join(line for line in text.splitlines() if not line.startswith("central_api = ["))
        + "\n"
    )


def check_version(ver: str) -> str:
    """Refuse a version that pip or dpkg would read differently (PEP 440, a digit first)."""
    if not re.fullmatch(
        r"\d+(\.\d+)*([ab]\d+|rc\d+)?(\.post\d+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?", ver
    ):
        raise SystemExit(f"版本号格式不对：{ver}（例如 0.1.0 或 0.1.0+20261207）")
    return ver


def stage_source(build: Path, ver: str | None = None) -> Path:
    """Copy the source into ``build/src`` with templates and static inside the package."""
    src = build / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(ROOT / "README.md", src / "README.md")
    (src / "pyproject.toml").write_text(
        township_pyproject((ROOT / "pyproject.toml").read_text(encoding="utf-8"), ver or version()),
        encoding="utf-8",
    )
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    for folder in ("templates", "static"):
        shutil.copytree(ROOT / folder, src / "township_app" / "web" / folder, ignore=ignore)
    translations = src / "township_app" / "translations"
    _run(
        [sys.executable, "-m", "babel.messages.frontend", "compile", "--use-fuzzy"]
        + ["-d", str(translations)]
    )
    return src


def build_wheelhouse(src: Path, wheels: Path) -> None:
    """Build the app's wheel and fetch the pinned wheels of every dependency for a glibc 2.28 PC
    (manylinux_2_28 or older tags, CPython 3.11); stop if any of them needs a newer glibc."""
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), str(src))
    _pure_python_wheels(wheels)
    platforms = [arg for platform in LINUX_PLATFORMS for arg in ("--platform", platform)]
    _pip(
        "download", "--only-binary=:all:", *platforms, "--python-version", "3.11",
        "--implementation", "cp", "--find-links", str(wheels), "--dest", str(wheels),
        "-r", str(HERE / "requirements.lock"),
    )  # fmt: skip
    check_glibc([wheels])


def check_glibc(paths: list[Path]) -> None:
    """Stop the build if a program file under ``paths`` (or in their wheels) needs a glibc newer
    than the fleet's."""
    limit = tuple(int(part) for part in LINUX_GLIBC.split("."))
    too_new = {
        name: version for name, version in glibc_check.newest(paths).items() if version > limit
    }
    if too_new:
        lines = [f"  {name}: glibc {glibc_check.version_text(v)}" for name, v in too_new.items()]
        raise SystemExit(f"这些文件需要比 {LINUX_GLIBC} 新的 glibc：\n" + "\n".join(lines))


def python_tree(path: Path | None) -> Path | None:
    """Return the relocatable Python to ship (checked against glibc 2.28), or None without one."""
    tree = path or PYTHON_TREE_DEFAULT
    if not (tree / BUNDLED_PYTHON).is_file():
        if path:
            raise SystemExit(
                f"{path} 里没有 {BUNDLED_PYTHON}：先运行 installer/linux/build_python.sh"
            )
        log.warning("没有自带的 Python（%s）：安装包将使用电脑上的 python3 >= 3.11。", tree)
        return None
    check_glibc([tree])
    return tree


def copy_python(tree: Path, target: Path) -> None:
    """Copy the relocatable Python (its symlinks kept; of the compiled caches only the plain .pyc,
    which a PC cannot write under /opt itself)."""
    shutil.copytree(
        tree, target, symlinks=True, ignore=shutil.ignore_patterns("*.opt-1.pyc", "*.opt-2.pyc")
    )


# Pinned dependencies published only as source (pywebview's proxy_tools, lunar_python): built here
# once into pure-Python wheels, which then serve Linux and Windows alike. No wheel is ever built on
# a PC.
SOURCE_ONLY = ("proxy_tools", "lunar_python")


def _pure_python_wheels(wheels: Path) -> None:
    pins = [
        line.strip()
        for line in (HERE / "requirements.lock").read_text().splitlines()
        if line.split("==")[0].strip() in SOURCE_ONLY
    ]
    if pins:
        _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), *pins)


def make_bundle(out: Path, wheels: Path, ver: str, python: Path | None = None) -> Path:
    """Write the offline bundle folder and its .tar.gz (with the relocatable Python in
    ``python/`` when there is one); return the tarball."""
    name = f"bianmin-township-{ver}-linux-offline"
    folder = out / name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(wheels, folder / "wheels")
    if python:
        copy_python(python, folder / "python")
    needs = (
        "自带 Python 3.11，只需要 glibc >= 2.28（统信 UOS 20、麒麟 V10 及更新），不需要网络"
        if python
        else "需要 python3 >= 3.11 和 python3-venv，不需要网络"
    )
    shutil.copy2(HERE / "requirements.lock", folder / "requirements.lock")
    shutil.copy2(HERE / "linux" / "install.sh", folder / "install.sh")
    shutil.copy2(HERE / "linux" / f"{APPID}.desktop", folder / f"{APPID}.desktop")
    shutil.copy2(HERE / "icons" / f"{APPID}.svg", folder / f"{APPID}.svg")
    (folder / "install.sh").chmod(0o755)
    (folder / "docs").mkdir()
    for doc in DOCS:
        shutil.copy2(ROOT / "docs" / doc, folder / "docs" / doc)
    (folder / "README.txt").write_text(
        f"便民（乡镇版）{ver} 离线安装包\n\n"
        f"安装：./install.sh [安装目录]    （{needs}）\n"
        "安装、备份、恢复、升级：见本文件夹里的 docs/install.md（第 3 节）\n"
        "使用说明：见本文件夹里的 docs/user-guide.md\n",
        encoding="utf-8",
    )
    tarball = out / f"{name}.tar.gz"
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(folder, arcname=name)
    return tarball


def make_deb(out: Path, wheels: Path, ver: str, python: Path | None = None) -> Path:
    """Lay out /opt/apps/<appid>/ as UOS expects and build the .deb with dpkg-deb; return it.
    With the relocatable Python it goes to files/python and the package depends on no python3."""
    root = out / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    app = root / "opt" / "apps" / APPID
    files = app / "files"
    shutil.copytree(wheels, files / "wheels")
    if python:
        copy_python(python, files / "python")
    shutil.copy2(HERE / "requirements.lock", files / "requirements.lock")
    (files / "bin").mkdir()
    _launcher(files / "bin" / "bianmin-desktop", "bianmin-desktop", fallback=True)
    _launcher(files / "bin" / "bianmin-township", "bianmin-township")
    entries = app / "entries"
    (entries / "applications").mkdir(parents=True)
    shutil.copy2(HERE / "linux" / f"{APPID}.desktop", entries / "applications" / f"{APPID}.desktop")
    scalable = entries / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(HERE / "icons" / f"{APPID}.svg", scalable / f"{APPID}.svg")
    for size in (48, 128):
        folder = entries / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        (folder / f"{APPID}.png").write_bytes(icon.png(size))
    # UOS wants four numbers: the release's (a rebuild's +local part is in the .deb's Version).
    release = re.match(r"\d+(\.\d+)*", ver).group(0).split(".")  # type: ignore[union-attr]
    uos_version = ".".join((release + ["0", "0", "0"])[:4])
    info = {
        "appid": APPID,
        "name": NAME_ZH,
        "version": uos_version,
        "arch": ["amd64"],
        "permissions": {
            "autostart": True,
            "notification": False,
            "trayicon": False,
            "clipboard": False,
            "account": False,
            "bluetooth": False,
            "camera": False,
            "audio_record": False,
            "installed_apps": False,
        },
    }
    (app / "info").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", "utf-8")
    debian = root / "DEBIAN"
    debian.mkdir()
    # What dpkg unpacks plus the program environment postinst makes from the wheels.
    size_kb = disk_kb(root) + venv_kb(wheels)
    (debian / "control").write_text(
        f"Package: {APPID}\n"
        f"Version: {ver}\n"
        "Architecture: amd64\n"
        "Maintainer: Bianmin <it@bianmin.invalid>\n"
        f"Installed-Size: {size_kb}\n"
        # The bundled wheels are built for CPython 3.11 (cp311 / abi3); with the Python in the
        # package only glibc 2.28 is asked of the PC.
        + (
            f"Depends: libc6 (>= {LINUX_GLIBC})\n"
            if python
            else "Depends: python3 (>= 3.11), python3 (<< 3.12), python3-venv\n"
        )
        + "Recommends: python3-gi, gir1.2-webkit2-4.1\n"
        "Section: misc\n"
        "Priority: optional\n"
        "Description: 便民 township convenience-service app (便民服务中心)\n"
        " Registers and tracks applications at the township window, works offline and syncs\n"
        " signed case bundles with the central server. Data stays in each user's data folder.\n",
        encoding="utf-8",
    )
    for script in ("preinst", "postinst", "prerm", "postrm"):
        shutil.copy2(HERE / "deb" / script, debian / script)
        (debian / script).chmod(0o755)
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    deb = out / f"{APPID}_{ver}_amd64.deb"
    _run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)])
    return deb


WINDOWS_PYTHON_FULL = "3.11.9"
EMBED_NAME = f"python-{WINDOWS_PYTHON_FULL}-embed-amd64.zip"
# The one download of the Windows build: put the zip here (or pass --python-embed). Its SHA-256 is
# pinned in EMBED_PIN (compare it once with python.org's release page and commit it).
EMBED_DEFAULT = HERE / "windows" / EMBED_NAME
EMBED_PIN = HERE / "windows" / "python-embed.sha256"


def make_windows(out: Path, src: Path, ver: str, embed: Path | None = None) -> Path:
    """Lay out the Windows build folder: the win_amd64 wheels unpacked into ``pkgs/``, the NSIS
    script (Chinese screens, desktop shortcut, WebView2 check, uninstall keeping data) and the
    icon; with the embeddable Python present (and its SHA-256 as pinned), build the setup .exe
    with makensis. Return the folder."""
    folder = out / f"bianmin-township-{ver}-windows"
    shutil.rmtree(folder, ignore_errors=True)
    wheels = folder / "wheels"
    wheels.mkdir(parents=True)
    _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), str(src))
    _pure_python_wheels(wheels)
    _pip(
        "download", "--only-binary=:all:", "--platform", "win_amd64",
        "--python-version", WINDOWS_PYTHON, "--implementation", "cp", "--find-links", str(wheels),
        "--dest", str(wheels), "-r", str(HERE / "requirements.lock"),
        "-r", str(HERE / "windows" / "requirements-windows.lock"),
    )  # fmt: skip
    unpack_wheels(wheels, folder / "pkgs")
    (folder / "bianmin.ico").write_bytes(icon.ico())
    (folder / "bianmin-township.cmd").write_text(
        '@echo off\r\n"%~dp0Python\\python.exe" -m township_app.cli %*\r\n', encoding="ascii"
    )
    # UTF-8 with a byte-order mark: makensis then reads the Chinese text as Unicode.
    (folder / "installer.nsi").write_text(nsis_script(ver), encoding="utf-8-sig")
    embed = embed or EMBED_DEFAULT
    if embed.is_file():
        unpack_python(embed, folder / "Python")
        setup = out / f"bianmin-township-{ver}-win64-setup.exe"
        _run(["makensis", "-V2", "-INPUTCHARSET", "UTF8", "installer.nsi"], cwd=folder)
        shutil.move(folder / setup.name, setup)
        log.info("windows setup: %s", setup)
    else:
        log.warning(
            "没有嵌入式 Python（%s）：只生成了 %s，没有生成 setup.exe。", embed,
            folder / "installer.nsi",
        )  # fmt: skip
    return folder


def unpack_wheels(wheels: Path, target: Path) -> None:
    """Unpack every wheel into one folder on the embeddable Python's path (what pip does for a
    pure or platlib wheel; no wheel's tags are judged here, so pythonnet's cp311.cp312… wheel is
    taken as it is)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for wheel in sorted(wheels.glob("*.whl")):
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                name = member.filename
                parts = name.split("/")
                if parts[0].endswith(".data"):
                    if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                        continue  # scripts and headers: not used on a township PC
                    name = "/".join(parts[2:])
                if not name or name.endswith("/"):
                    continue
                destination = target / name
                if not destination.resolve().is_relative_to(target.resolve()):
                    raise SystemExit(f"wheel {wheel.name} has a path outside its folder: {name}")
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(member))


def check_embed(zip_path: Path) -> str:
    """Return the embeddable zip's SHA-256 if it is the pinned one; else stop and say why."""
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    pinned = ""
    if EMBED_PIN.is_file():
        for line in EMBED_PIN.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[1] == EMBED_NAME and not line.startswith("#"):
                pinned = fields[0].lower()
    if not pinned:
        raise SystemExit(
            f"{EMBED_PIN.name} 中没有 {EMBED_NAME} 的 SHA-256。这个文件的 SHA-256 是 {digest}："
            "与 python.org 发布页核对一致后，把“<sha256>  文件名”一行写进该文件并提交。"
        )
    if digest != pinned:
        raise SystemExit(
            f"{zip_path} 的 SHA-256 是 {digest}，不是固定的 {pinned}：文件不对或已损坏，请重新获取。"
        )
    return digest


def unpack_python(zip_path: Path, target: Path) -> None:
    """Unpack the checked embeddable Python and point its ._pth at ``..\\pkgs``."""
    check_embed(zip_path)
    shutil.rmtree(target, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        tag = "python" + WINDOWS_PYTHON.replace(".", "")
        for needed in ("python.exe", "pythonw.exe", f"{tag}.dll", f"{tag}._pth"):
            if needed not in names:
                raise SystemExit(f"{zip_path.name} 不是嵌入式 Python：里面没有 {needed}")
        archive.extractall(target)
    # The embeddable Python ignores PYTHONPATH: its ._pth names every folder on the path.
    (target / f"{tag}._pth").write_text(
        f"{tag}.zip\r\n.\r\n..\\pkgs\r\nimport site\r\n", encoding="ascii"
    )


def nsis_script(ver: str) -> str:
    """Return the NSIS script of the Windows installer (installer/windows/installer.nsi.in with
    this build's version), read by makensis in the Windows build folder."""
    release = re.match(r"\d+(\.\d+)*", ver).group(0).split(".")  # type: ignore[union-attr]
    text = (HERE / "windows" / "installer.nsi.in").read_text(encoding="utf-8")
    for field, value in {
        "@VERSION@": ver,
        "@NUMERIC@": ".".join((release + ["0", "0", "0"])[:4]),  # Windows wants four numbers
        "@APPID@": APPID,
        "@NAME@": NAME_ZH,
    }.items():
        text = text.replace(field, value)
    return text


def disk_kb(folder: Path) -> int:
    """Return the disk space of a tree's files in KiB, as dpkg counts it (each file rounded up)."""
    return sum(-(-path.lstat().st_size // 1024) for path in folder.rglob("*") if not path.is_dir())


def venv_kb(wheels: Path) -> int:
    """Make the program environment as postinst does (offline, from the wheels) and measure it."""
    with tempfile.TemporaryDirectory(prefix="bianmin-venv-size-") as scratch:
        venv = Path(scratch) / "venv"
        _run([sys.executable, "-m", "venv", str(venv)])
        _run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index",
             "--disable-pip-version-check", "--find-links", str(wheels),
             "-r", str(HERE / "requirements.lock"), *map(str, wheels.glob("bianmin-*.whl"))]
        )  # fmt: skip
        return disk_kb(venv)


def _launcher(path: Path, command: str, *, fallback: bool = False) -> None:
    # Found beside the launcher itself (also through the /usr/bin link), wherever the tree is.
    venv = '$(dirname "$(readlink -f "$0")")/../venv/bin'
    body = f"#!/bin/sh\nVENV={venv}\n"
    venv = "$VENV"
    if fallback:
        # Without the window's entry point (or its GUI backend) the server runs for a browser.
        body += (
            f'if [ ! -x "{venv}/{command}" ]; then exec "{venv}/bianmin-township" serve "$@"; fi\n'
        )
    body += f'exec "{venv}/{command}" "$@"\n'
    path.write_text(body)
    path.chmod(0o755)


def _pip(*args: str) -> None:
    _run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args])


def _run(command: list[str], cwd: Path | None = None) -> None:
    log.info("$ %s", " ".join(command))
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd)


def main(argv: list[str] | None = None) -> int:
    """Build the installers named by --only (all by default) into --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "dist" / "installer"))
    parser.add_argument("--only", default="bundle,deb,windows")
    parser.add_argument("--version", help="the build's version (default: pyproject.toml's)")
    parser.add_argument(
        "--python-tree",
        type=Path,
        help="the relocatable Linux Python from installer/linux/build_python.sh "
        f"(default: {PYTHON_TREE_DEFAULT} when it exists)",
    )
    parser.add_argument(
        "--python-embed",
        type=Path,
        help=f"the Windows embeddable Python zip (default: installer/windows/{EMBED_NAME})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    wanted = set(args.only.split(","))
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    ver = check_version(args.version or version())
    src = stage_source(out / "build", ver)
    if wanted & {"bundle", "deb"}:
        wheels = out / "wheels"
        build_wheelhouse(src, wheels)
        python = python_tree(args.python_tree)
        if "bundle" in wanted:
            log.info("offline bundle: %s", make_bundle(out, wheels, ver, python))
        if "deb" in wanted:
            log.info("deb: %s", make_deb(out, wheels, ver, python))
    if "windows" in wanted:
        log.info("windows build folder: %s", make_windows(out, src, ver, args.python_embed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
