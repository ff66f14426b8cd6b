"""The Linux bundle on a PC older than the build machine (issue 21): its own Python and wheels ask
for nothing newer than glibc 2.28 (UOS 20, Kylin V10), and it installs and serves the log-in page
in a clean root filesystem of an older Debian (bullseye, glibc 2.31: the oldest the reachable
archive serves) that has no python3 at all, in a chroot with no network.

Needs root, the bundled Python (installer/linux/build_python.sh) and the older root
(installer/linux/old_root.sh); each is skipped with the reason when missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from tests.installer.conftest import BUILD_VERSION, ROOT

sys.path.insert(0, str(ROOT / "installer" / "linux"))
sys.path.insert(0, str(ROOT / "installer"))
import build  # noqa: E402 - installer/build.py, not a package
import glibc_check  # noqa: E402 - installer/linux/glibc_check.py, not a package

FLEET_GLIBC = (2, 28)
PYTHON_TREE = build.PYTHON_TREE_DEFAULT
OLD_ROOT = Path(os.environ.get("BIANMIN_OLD_ROOT", PYTHON_TREE.parents[1] / "bullseye-root"))


def _no_bundled_python() -> str:
    if not (PYTHON_TREE / "bin" / "python3.11").is_file():
        return f"no bundled Python at {PYTHON_TREE}: build it with installer/linux/build_python.sh"
    return ""


def _no_old_root() -> str:
    if os.geteuid() != 0:
        return "needs root (chroot and network namespaces)"
    for tool in ("unshare", "chroot", "ip"):
        if not shutil.which(tool):
            return f"needs {tool}"
    if not (OLD_ROOT / "bin" / "bash").is_file():
        return f"no older Debian root at {OLD_ROOT}: make it once with installer/linux/old_root.sh"
    return _no_bundled_python()


# The check itself (fast: no build)


def test_the_glibc_check_names_a_program_built_for_a_newer_glibc(tmp_path: Path):
    # Debian 12's own python3.11 asks for glibc 2.34+: the check must say so, as objdump does.
    host_python = Path(os.path.realpath("/usr/bin/python3.11"))
    if not host_python.is_file():
        pytest.skip("no /usr/bin/python3.11 of the system to check")
    found = glibc_check.glibc_versions(host_python.read_bytes())
    assert max(found) > FLEET_GLIBC
    if shutil.which("objdump"):
        dump = subprocess.run(
            ["objdump", "-T", str(host_python)], capture_output=True, text=True, check=True
        ).stdout
        shown = {tuple(map(int, v.split("."))) for v in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", dump)}
        assert max(shown) == max(found)
    refused = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "linux" / "glibc_check.py"), "--max", "2.28",
         str(host_python)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode == 1
    assert f"{host_python}: 需要 glibc " in refused.stderr and "（高于 2.28）" in refused.stderr
    # A text file is no program: nothing to judge, said plainly.
    (tmp_path / "notes.txt").write_text("不是程序")
    empty = subprocess.run(
        [sys.executable, str(ROOT / "installer" / "linux" / "glibc_check.py"), str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert empty.returncode == 2 and "没有找到需要 glibc 的程序文件" in empty.stderr


def test_the_bundled_python_needs_no_glibc_newer_than_2_28():
    if reason := _no_bundled_python():
        pytest.skip(reason)
    needs = glibc_check.newest([PYTHON_TREE])
    assert str(PYTHON_TREE / "bin" / "python3.11") in needs
    too_new = {name: v for name, v in needs.items() if v > FLEET_GLIBC}
    assert not too_new
    # Everything the app uses is inside it (no system library of the PC is asked for).
    shown = subprocess.run(
        [str(PYTHON_TREE / "bin" / "python3.11"), "-I", "-c",
         "import ssl, sqlite3, ctypes, zlib, bz2, lzma, venv, ensurepip; "
         "print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("OpenSSL 3.")


# The built bundle


def test_every_wheel_of_the_linux_bundle_runs_on_glibc_2_28(built: Path):
    [folder] = [p for p in built.glob("bianmin-township-*-linux-offline") if p.is_dir()]
    wheels = sorted((folder / "wheels").glob("*.whl"))
    binary = [w for w in wheels if not w.name.endswith("-none-any.whl")]
    assert any(w.name.startswith("cryptography-") for w in binary)
    for wheel in binary:
        # One of its platform tags is one a glibc 2.28 PC accepts.
        tags = set(wheel.name[: -len(".whl")].split("-")[-1].split("."))
        assert tags & set(build.LINUX_PLATFORMS), wheel.name
    too_new = {n: v for n, v in glibc_check.newest(binary).items() if v > FLEET_GLIBC}
    assert not too_new


def test_the_bundle_installs_and_serves_the_login_page_on_an_older_debian_without_python(
    built: Path,
):
    if reason := _no_old_root():
        pytest.skip(reason)
    [tarball] = built.glob("bianmin-township-*-linux-offline.tar.gz")
    with tarfile.open(tarball) as archive:
        assert any(n.endswith("/python/bin/python3.11") for n in archive.getnames())
    # The root is the older Debian as debootstrap left it: no Python of its own.
    assert not list((OLD_ROOT / "usr" / "bin").glob("python3*"))
    work = Path(tempfile.mkdtemp(prefix="bianmin-oldpc-", dir=OLD_ROOT / "tmp"))
    inside = "/tmp/" + work.name
    try:
        with tarfile.open(tarball) as archive:
            archive.extractall(work / "stick", filter="data")
        (work / "run.sh").write_text(
            f"""set -e
cd {inside}
echo "glibc: $(ldd --version | head -n 1)"
sh stick/bianmin-township-*/install.sh {inside}/opt/bianmin
export BIANMIN_HOME={inside}/data
{inside}/opt/bianmin/bin/bianmin-township init --org 370613004
{inside}/opt/bianmin/bin/bianmin-township serve --port 0 --port-file {inside}/port --no-sync \\
    > {inside}/serve.log 2>&1 &
for i in $(seq 150); do [ -s {inside}/port ] && break; sleep 0.2; done
for path in /auth/login /static/css/app.css; do
    exec 3<>/dev/tcp/127.0.0.1/$(cat {inside}/port)
    printf 'GET %s HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' "$path" >&3
    cat <&3 > "{inside}/got$(echo "$path" | tr / _)"
    exec 3<&-
done
kill %1
wait || true
""",
            encoding="utf-8",
        )
        # A new network namespace (only loopback: no network) and its own /proc, then the chroot.
        done = subprocess.run(
            ["unshare", "--net", "--mount", "--pid", "--fork", f"--mount-proc={OLD_ROOT}/proc",
             "sh", "-c", f"ip link set lo up && exec chroot {OLD_ROOT} /bin/bash {inside}/run.sh"],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": inside, "LANG": "C.UTF-8",
                 "XDG_DATA_HOME": f"{inside}/share"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "GLIBC 2.31" in done.stdout  # the older Debian's own glibc ran it
        assert f"便民已安装到 {inside}/opt/bianmin" in done.stdout
        assert f"版本：  bianmin-township {BUILD_VERSION}" in done.stdout
        login = (work / "got_auth_login").read_text(encoding="utf-8")
        assert login.startswith(("HTTP/1.0 200", "HTTP/1.1 200")), login[:300]
        assert "<title>登录 · 便民</title>" in login
        css = (work / "got_static_css_app.css").read_text(encoding="utf-8")
        assert css.startswith(("HTTP/1.0 200", "HTTP/1.1 200")), css[:300]
        # The venv was made from the bundle's Python, not from anything of the PC.
        cfg = (work / "opt" / "bianmin" / "venv" / "pyvenv.cfg").read_text()
        assert f"home = {inside}/opt/bianmin/python/bin" in cfg
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_a_pc_whose_glibc_cannot_run_the_bundled_python_is_told_so_and_nothing_changes(
    built: Path, tmp_path: Path
):
    if reason := _no_bundled_python():
        pytest.skip(reason)
    [tarball] = built.glob("bianmin-township-*-linux-offline.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "stick", filter="data")
    [bundle] = (tmp_path / "stick").iterdir()
    # What the loader does on a PC with too old a glibc: the interpreter does not start.
    interpreter = bundle / "python" / "bin" / "python3.11"
    interpreter.unlink()
    interpreter.write_text(
        '#!/bin/sh\necho "python3.11: /lib/x86_64-linux-gnu/libc.so.6: version GLIBC_2.28 not found" >&2\n'
        "exit 1\n"
    )
    interpreter.chmod(0o755)
    prefix = tmp_path / "opt" / "bianmin"
    (prefix / "venv").mkdir(parents=True)
    (prefix / "venv" / "old-install").write_text("上一版")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV", "PYTHONPATH")}
    refused = subprocess.run(
        ["sh", str(bundle / "install.sh"), str(prefix)],
        env={**env, "XDG_DATA_HOME": str(tmp_path / "share")},
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "本安装包自带的 Python 在这台电脑上无法运行（需要 glibc 2.28 或更新，即统信 UOS 20、麒麟 V10 "
        "或更新的系统）。什么都没有改动。"
    )
    assert sorted(p.name for p in prefix.iterdir()) == ["venv"]
    assert (prefix / "venv" / "old-install").read_text() == "上一版"
    assert not (tmp_path / "share").exists()
