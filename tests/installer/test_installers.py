"""The installers, built once per session from the pinned versions: the offline bundle installs and
serves without any network, and the .deb is laid out as UOS expects with safe maintainer scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

import requests

from tests.installer.conftest import APPID, ROOT

APP = f"./opt/apps/{APPID}"


def test_every_runtime_dependency_is_pinned_in_the_lock_file():
    lock = {}
    for line in (ROOT / "installer" / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, pinned = line.partition("==")
            assert pinned, f"not pinned exactly: {line}"
            lock[re.sub(r"[-_.]+", "-", name).lower()] = pinned
    with open(ROOT / "pyproject.toml", "rb") as handle:
        wanted = tomllib.load(handle)["project"]["dependencies"]
    for requirement in wanted:
        name, _, pinned = requirement.partition("==")
        assert lock.get(re.sub(r"[-_.]+", "-", name).lower()) == pinned, requirement


def test_the_offline_bundle_installs_with_no_index_and_serves_the_login_page(
    built: Path, tmp_path: Path
):
    [tarball] = built.glob("bianmin-township-*-linux-offline.tar.gz")
    with tarfile.open(tarball) as archive:
        archive.extractall(tmp_path / "stick", filter="data")
    [bundle] = (tmp_path / "stick").iterdir()
    prefix, home = tmp_path / "opt" / "bianmin", tmp_path / "data"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "BIANMIN_SYSTEM_SITE": "0",  # the wheelhouse alone must be enough
        "XDG_DATA_HOME": str(tmp_path / "share"),
        # No way to reach an index even if the script asked for one.
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    installed = subprocess.run(
        ["sh", str(bundle / "install.sh"), str(prefix)],
        env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr + installed.stdout
    launcher = prefix / "bin" / "bianmin-township"
    entry = (tmp_path / "share" / "applications" / f"{APPID}.desktop").read_text()
    assert f"Exec={prefix}/bin/bianmin-desktop" in entry and "Name[zh_CN]=便民服务" in entry
    # The window's pywebview came from the wheelhouse too (its GTK binding is the system's).
    webview = subprocess.run(
        [str(prefix / "venv" / "bin" / "python"), "-c", "import webview, sys; print(webview.__file__)"],
        env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert webview.returncode == 0 and str(prefix) in webview.stdout, webview.stderr

    run_env = {**env, "BIANMIN_HOME": str(home)}
    done = subprocess.run(
        [str(launcher), "init", "--org", "370613004"],
        env=run_env, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    port_file = tmp_path / "port"
    server = subprocess.Popen(
        [str(launcher), "serve", "--port", "0", "--port-file", str(port_file), "--no-sync"],
        env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the installed app did not start"
            time.sleep(0.1)
        base = f"http://127.0.0.1:{port_file.read_text().strip()}"
        page = requests.get(base + "/auth/login", timeout=10)
        assert page.status_code == 200 and "<title>登录 · 便民</title>" in page.text
        # Templates and static files come from the installed wheel, not from this checkout.
        assert requests.get(base + "/static/css/app.css", timeout=10).status_code == 200
    finally:
        server.terminate()
        server.wait(10)
    where = subprocess.run(
        [str(prefix / "venv" / "bin" / "python"), "-c",
         "import township_app; print(township_app.__file__, township_app.ROOT)"],
        capture_output=True, text=True, check=True, cwd=tmp_path, env=env,
    ).stdout  # fmt: skip
    assert str(prefix) in where and str(ROOT) not in where


def dpkg(*args: str) -> str:
    return subprocess.run(["dpkg-deb", *args], capture_output=True, text=True, check=True).stdout


def test_the_deb_is_laid_out_under_opt_apps_with_info_entries_icons_and_files(built: Path):
    [deb] = built.glob(f"{APPID}_*_amd64.deb")
    # a symlink (the bundled Python's bin/python3 ...) is listed as "path -> target"
    names = [line.split(" -> ")[0].split()[-1] for line in dpkg("-c", str(deb)).splitlines()]
    for path in names:
        assert path.startswith(f"{APP}/") or f"{APP}/".startswith(path), path
    assert f"{APP}/info" in names
    assert f"{APP}/entries/applications/{APPID}.desktop" in names
    assert f"{APP}/entries/icons/hicolor/scalable/apps/{APPID}.svg" in names
    assert f"{APP}/entries/icons/hicolor/48x48/apps/{APPID}.png" in names
    assert f"{APP}/files/requirements.lock" in names
    assert f"{APP}/files/bin/bianmin-desktop" in names
    assert any(re.match(rf"{APP}/files/wheels/bianmin-.*\.whl$", n) for n in names)

    fields = dpkg("-I", str(deb))
    assert f"Package: {APPID}" in fields
    if f"{APP}/files/python/bin/python3.11" in names:
        # The package's own Python: nothing asked of the PC but glibc 2.28 (UOS 20, Kylin V10).
        assert "Depends: libc6 (>= 2.28)" in fields and "python3 (" not in fields
    else:
        assert "python3 (>= 3.11)" in fields
    for script in ("preinst", "postinst", "prerm", "postrm"):
        assert re.search(rf"\b\d+ bytes,\s+\d+ lines\s+\*\s+{script}\b", fields), script


def test_the_deb_maintainer_scripts_install_offline_and_keep_the_data(built: Path, tmp_path: Path):
    [deb] = built.glob(f"{APPID}_*_amd64.deb")
    subprocess.run(["dpkg-deb", "-e", str(deb), str(tmp_path / "DEBIAN")], check=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp_path / "root")], check=True)
    scripts = {name: (tmp_path / "DEBIAN" / name).read_text() for name in
               ("preinst", "postinst", "prerm", "postrm")}  # fmt: skip
    for name, text in scripts.items():
        assert subprocess.run(["sh", "-n", str(tmp_path / "DEBIAN" / name)]).returncode == 0
        assert os.access(tmp_path / "DEBIAN" / name, os.X_OK), name
        # Data lives in each user's folder: no command of a script goes near it.
        commands = "\n".join(
            line for line in text.splitlines() if not line.strip().startswith(("#", "echo"))
        )
        assert ".local/share" not in commands and "BIANMIN_HOME" not in commands, name
        assert "http://" not in commands and "https://" not in commands, name
    postinst = scripts["postinst"]
    assert (
        "--no-index" in postinst and "--find-links" in postinst and '"$PYTHON" -m venv' in postinst
    )
    # Autostart only when asked for.
    assert re.search(
        r'BIANMIN_AUTOSTART:-0}" = 1 \] \|\| \[ -e "\$ROOT/etc/bianmin/autostart', postinst
    )
    app = tmp_path / "root" / "opt" / "apps" / APPID
    info = json.loads((app / "info").read_text())
    assert info["appid"] == APPID and info["name"] == "便民服务"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", info["version"])
    entry = (app / "entries" / "applications" / f"{APPID}.desktop").read_text()
    assert "Name[zh_CN]=便民服务" in entry
    assert f"Exec=/opt/apps/{APPID}/files/bin/bianmin-desktop" in entry
    assert f"Icon={APPID}" in entry
    launcher = (app / "files" / "bin" / "bianmin-desktop").read_text()
    # Found beside the launcher (also through /usr/bin/bianmin-desktop, a link to it).
    assert 'VENV=$(dirname "$(readlink -f "$0")")/../venv/bin' in launcher
    assert 'exec "$VENV/bianmin-desktop"' in launcher
