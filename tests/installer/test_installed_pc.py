"""What IT staff meet on a PC after the installers (issue 21), each on a real install: the offline
bundle unpacked and installed with install.sh, and the .deb installed by dpkg itself into a root of
its own (`dpkg --root --force-script-chrootless`: the maintainer scripts really run, with
DPKG_ROOT), both with no network."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.installer.conftest import APPID, BUILD_VERSION

NOBODY = 65534
NO_NETWORK = {
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
}


def _env(**more: str) -> dict[str, str]:
    env = {**os.environ, **NO_NETWORK, **more}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


def _open_folder() -> Path:
    # Another user must be able to reach the install (pytest's tmp_path is private to root).
    base = Path(tempfile.mkdtemp(prefix="bianmin-installed-"))
    base.chmod(0o755)
    return base


def _serve(launcher: Path, home: Path, env: dict[str, str], cwd: Path) -> subprocess.Popen:
    port_file = cwd / f"port-{time.monotonic_ns()}"
    server = subprocess.Popen(
        [str(launcher), "serve", "--port", "0", "--port-file", str(port_file), "--no-sync"],
        env={**env, "BIANMIN_HOME": str(home)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, cwd=cwd,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()):
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        assert time.monotonic() < deadline, "the installed app did not start"
        time.sleep(0.1)
    server.url = f"http://127.0.0.1:{port_file.read_text().strip()}"  # type: ignore[attr-defined]
    return server


def _gone_within(process: subprocess.Popen, seconds: float) -> bool:
    try:
        process.wait(seconds)
        return True
    except subprocess.TimeoutExpired:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(10)


# The offline bundle


@pytest.fixture(scope="module")
def bundle(built: Path) -> Iterator[dict[str, Path]]:
    """The offline bundle unpacked and installed (as root) into a folder others can reach."""
    base = _open_folder()
    [tarball] = built.glob("bianmin-township-*-linux-offline.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(base / "stick", filter="data")
    [folder] = (base / "stick").iterdir()
    places = {"base": base, "bundle": folder, "prefix": base / "opt" / "bianmin",
              "share": base / "share", "home": base / "data"}  # fmt: skip
    installed = _install_bundle(places)
    assert installed.returncode == 0, installed.stderr + installed.stdout
    yield places
    shutil.rmtree(base, ignore_errors=True)


def _install_bundle(places: dict[str, Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(places["bundle"] / "install.sh"), str(places["prefix"])],
        env=_env(BIANMIN_SYSTEM_SITE="0", XDG_DATA_HOME=str(places["share"])),
        capture_output=True, text=True, timeout=300, cwd=places["base"],
    )  # fmt: skip


def test_the_bundle_and_its_command_carry_the_builds_version(built: Path, bundle):
    assert (built / f"bianmin-township-{BUILD_VERSION}-linux-offline.tar.gz").is_file()
    shown = subprocess.run(
        [str(bundle["prefix"] / "bin" / "bianmin-township"), "--version"],
        env=_env(), capture_output=True, text=True, check=True, cwd=bundle["base"],
    ).stdout  # fmt: skip
    assert shown.strip() == f"bianmin-township {BUILD_VERSION}"


def test_the_township_install_has_no_central_command(bundle):
    venv = bundle["prefix"] / "venv"
    assert (venv / "bin" / "bianmin-township").exists()
    assert not (venv / "bin" / "bianmin-central").exists()
    [site] = venv.glob("lib/python3*/site-packages")
    assert not (site / "central_api").exists()


def test_every_doc_the_bundles_readme_points_to_is_in_the_bundle(bundle):
    readme = (bundle["bundle"] / "README.txt").read_text(encoding="utf-8")
    named = re.findall(r"[\w./-]+\.(?:md|txt|sh)\b", readme)
    assert "docs/install.md" in named and "docs/user-guide.md" in named
    for path in named:
        assert (bundle["bundle"] / path).is_file(), path
    guide = (bundle["bundle"] / "docs" / "install.md").read_text(encoding="utf-8")
    assert "## 3. 安装：Linux 离线安装包" in guide


def test_installing_again_stops_the_running_app_and_says_so(bundle):
    server = _serve(bundle["prefix"] / "bin" / "bianmin-township", bundle["home"], _env(),
                    bundle["base"])  # fmt: skip
    try:
        assert requests.get(server.url + "/auth/login", timeout=10).status_code == 200
        again = _install_bundle(bundle)
        assert again.returncode == 0, again.stderr + again.stdout
        assert "已关闭正在运行的便民程序" in again.stdout and str(server.pid) in again.stdout
        assert _gone_within(server, 10), "the old copy still runs against the new files"
    finally:
        _stop(server)
    # The new copy starts on the same data.
    server = _serve(bundle["prefix"] / "bin" / "bianmin-township", bundle["home"], _env(),
                    bundle["base"])  # fmt: skip
    try:
        assert requests.get(server.url + "/auth/login", timeout=10).status_code == 200
    finally:
        _stop(server)


def test_uninstall_by_another_user_stops_with_one_message_and_removes_nothing(bundle):
    uninstall = bundle["prefix"] / "uninstall.sh"
    before = sorted(p.name for p in bundle["prefix"].iterdir())
    wrong = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "sh",
         str(uninstall)],
        env=_env(HOME=str(bundle["base"])), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert wrong.returncode == 1
    assert wrong.stdout == ""
    assert wrong.stderr.strip().splitlines() == [
        "请用安装时的用户（root）运行卸载程序；当前用户是 nobody。什么都没有删除。"
    ]
    assert sorted(p.name for p in bundle["prefix"].iterdir()) == before
    right = subprocess.run(
        ["sh", str(uninstall)], env=_env(XDG_DATA_HOME=str(bundle["share"])),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert right.returncode == 0 and "已卸载" in right.stdout
    assert not (bundle["prefix"] / "venv").exists()
    assert not (bundle["share"] / "applications" / f"{APPID}.desktop").exists()
    assert (bundle["home"] / "township.db").exists()  # the data stays


# The .deb, installed by dpkg into a root of its own


@pytest.fixture(scope="module")
def deb_root(built: Path) -> Iterator[Path]:
    """A root with an empty dpkg database, the .deb installed into it by dpkg."""
    root = _open_folder()
    for folder in ("info", "updates", "triggers"):
        (root / "var" / "lib" / "dpkg" / folder).mkdir(parents=True)
    for name in ("status", "available"):
        (root / "var" / "lib" / "dpkg" / name).touch()
    done = _dpkg(root, "-i", str(_deb(built)))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "便民已安装（版本 " + BUILD_VERSION + "）" in done.stdout
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _deb(built: Path) -> Path:
    return built / f"{APPID}_{BUILD_VERSION}_amd64.deb"


def _dpkg(root: Path, *args: str) -> subprocess.CompletedProcess:
    # No python3 package in this empty root: its dependencies are the host's (Debian 12, 3.11).
    return subprocess.run(
        ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-not-root",
         "--force-depends", f"--log={root}/dpkg.log", *args],
        env=_env(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_after_the_deb_bianmin_township_is_on_the_path_with_the_builds_version(deb_root):
    for command in ("bianmin-township", "bianmin-desktop"):
        link = deb_root / "usr" / "bin" / command
        assert link.is_symlink()
        assert os.readlink(link) == f"../../opt/apps/{APPID}/files/bin/{command}"
    shown = subprocess.run(
        [str(deb_root / "usr" / "bin" / "bianmin-township"), "--version"],
        env=_env(), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert shown.strip() == f"bianmin-township {BUILD_VERSION}"
    venv = deb_root / "opt" / "apps" / APPID / "files" / "venv"
    assert not (venv / "bin" / "bianmin-central").exists()


def test_the_debs_version_and_installed_size_are_the_builds(built: Path, deb_root):
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(_deb(built)), "Version", "Installed-Size"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    version = re.search(r"^Version: (.+)$", fields, re.M).group(1)
    declared = int(re.search(r"^Installed-Size: (\d+)$", fields, re.M).group(1))
    assert version == BUILD_VERSION
    used = int(
        subprocess.run(["du", "-sk", "--apparent-size", str(deb_root / "opt")],
                       capture_output=True, text=True, check=True).stdout.split()[0]
    )  # fmt: skip
    # The program environment postinst makes is most of it: counted, within 15 %.
    assert abs(declared - used) <= used * 0.15, (declared, used)


def test_upgrading_the_deb_stops_the_running_app_and_says_so(built: Path, deb_root):
    home = deb_root / "home" / "clerk" / "bianmin"
    launcher = deb_root / "usr" / "bin" / "bianmin-township"
    done = subprocess.run(
        [str(launcher), "init", "--org", "370613004"], env=_env(BIANMIN_HOME=str(home)),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    server = _serve(launcher, home, _env(), deb_root)
    try:
        again = _dpkg(deb_root, "-i", str(_deb(built)))
        assert again.returncode == 0, again.stderr + again.stdout
        assert "已关闭正在运行的便民程序" in again.stdout and str(server.pid) in again.stdout
        assert _gone_within(server, 10)
    finally:
        _stop(server)


def test_removing_the_deb_takes_its_commands_and_keeps_the_data(deb_root):
    home = deb_root / "home" / "clerk" / "bianmin"
    assert (home / "township.db").exists()
    done = _dpkg(deb_root, "--remove", APPID)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "数据目录" in done.stdout and "已保留" in done.stdout
    assert not (deb_root / "usr" / "bin" / "bianmin-township").exists()
    assert not (deb_root / "usr" / "bin" / "bianmin-township").is_symlink()
    assert not (deb_root / "opt" / "apps" / APPID / "files" / "venv").exists()
    assert (home / "township.db").exists()


def test_the_wheel_carries_the_builds_version_and_no_central_parts(built: Path):
    [wheel] = (built / "wheels").glob("bianmin-*.whl")
    assert wheel.name == f"bianmin-{BUILD_VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(points).decode()
    assert not any(name.startswith("central_api/") for name in names)
    assert "bianmin-township" in entry_points and "bianmin-central" not in entry_points
