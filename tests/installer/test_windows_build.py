"""The Windows build, as far as it goes here without the internet: the win_amd64 wheels unpacked
for the embeddable Python (pythonnet's wheel included, which pynsist refused), the NSIS script
with Chinese screens, a desktop shortcut, a WebView2 check and an uninstall that keeps the data,
makensis refusing to make a setup without Python, the embeddable zip's SHA-256 checked, and the
.exe itself where the embeddable zip has been put in place."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.installer.conftest import BUILD_VERSION, ROOT


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "installer_build", ROOT / "installer" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _build_module()


@pytest.fixture(scope="module")
def windows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("windows")
    subprocess.run(
        [sys.executable, str(ROOT / "installer" / "build.py"), "--out", str(out),
         "--only", "windows", "--version", BUILD_VERSION],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    return out


def folder_of(out: Path) -> Path:
    return out / f"bianmin-township-{BUILD_VERSION}-windows"


def test_the_windows_folder_carries_every_package_unpacked_pythonnet_included(windows: Path):
    pkgs = folder_of(windows) / "pkgs"
    for package in ("township_app", "sync", "staff_pages", "flask", "webview", "pythonnet",
                    "clr_loader", "cryptography", "argon2"):  # fmt: skip
        assert (pkgs / package).is_dir(), package
    assert not (pkgs / "central_api").exists()
    assert list(pkgs.glob("cryptography/hazmat/bindings/_rust.pyd"))  # Windows binaries
    assert list(pkgs.glob(f"bianmin-{BUILD_VERSION}.dist-info/METADATA"))
    cmd = (folder_of(windows) / "bianmin-township.cmd").read_bytes()
    assert cmd == b'@echo off\r\n"%~dp0Python\\python.exe" -m township_app.cli %*\r\n'


def test_the_nsis_script_has_chinese_screens_shortcuts_a_webview2_check_and_keeps_data(
    windows: Path,
):
    raw = (folder_of(windows) / "installer.nsi").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: makensis reads it as Unicode
    script = raw.decode("utf-8-sig")
    assert "Unicode true" in script and '!insertmacro MUI_LANGUAGE "SimpChinese"' in script
    assert f'!define VERSION "{BUILD_VERSION}"' in script
    assert 'VIProductVersion "0.1.0.0"' in script
    assert 'CreateShortCut "$DESKTOP\\${NAME}.lnk" "$INSTDIR\\Python\\pythonw.exe"' in script
    assert "Call StopRunning" in script and "Call un.StopRunning" in script
    # WebView2: looked up where the Evergreen runtime registers, and the person is told what to install.
    assert "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}" in script
    assert "MicrosoftEdgeWebView2RuntimeInstallerX64.exe" in script
    uninstall = script[script.index('Section "Uninstall"') :]
    uninstall = uninstall[: uninstall.index("SectionEnd")]
    commands = [line.strip() for line in uninstall.splitlines()
                if line.strip() and not line.strip().startswith(";")]  # fmt: skip
    assert not any("LOCALAPPDATA" in c or "APPDATA" in c for c in commands if
                   not c.startswith("DetailPrint"))  # fmt: skip
    assert 'RMDir /r "$INSTDIR"' not in uninstall  # only the program's own folders
    assert "数据目录" in uninstall and "已保留" in uninstall


def test_makensis_refuses_to_make_a_setup_without_the_embeddable_python(windows: Path):
    if shutil.which("makensis") is None:
        pytest.skip("makensis is not installed (apt-get install nsis; `make test` does)")
    folder = folder_of(windows)
    if (folder / "Python").exists():
        pytest.skip("the embeddable Python is present: the full build is tested below")
    done = subprocess.run(
        ["makensis", "-INPUTCHARSET", "UTF8", "installer.nsi"],
        cwd=folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "缺少嵌入式 Python" in done.stdout + done.stderr
    assert not list(folder.glob("*.exe"))


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return path


def test_an_embeddable_zip_is_used_only_with_its_pinned_sha256(tmp_path: Path, monkeypatch):
    made = _zip(tmp_path / build.EMBED_NAME, ["python.exe"])
    digest = hashlib.sha256(made.read_bytes()).hexdigest()
    pin = tmp_path / "python-embed.sha256"
    monkeypatch.setattr(build, "EMBED_PIN", pin)
    pin.write_text("# nothing pinned yet\n")
    with pytest.raises(SystemExit, match=f"SHA-256 是 {digest}"):
        build.check_embed(made)
    pin.write_text(f"{'0' * 64}  {build.EMBED_NAME}\n")
    with pytest.raises(SystemExit, match="文件不对或已损坏"):
        build.check_embed(made)
    pin.write_text(f"{digest}  {build.EMBED_NAME}\n")
    assert build.check_embed(made) == digest
    # Pinned, but not an embeddable Python: refused before anything is unpacked.
    with pytest.raises(SystemExit, match="不是嵌入式 Python"):
        build.unpack_python(made, tmp_path / "Python")
    assert not (tmp_path / "Python").exists()


def test_the_setup_exe_is_built_where_the_embeddable_python_is_present(windows: Path):
    if not build.EMBED_DEFAULT.is_file():
        pytest.skip(
            f"no {build.EMBED_NAME} in installer/windows/ (the one download of the Windows "
            "build; see docs/install.md section 5): the .exe is not built here"
        )
    setup = windows / f"bianmin-township-{BUILD_VERSION}-win64-setup.exe"
    assert setup.is_file() and setup.read_bytes()[:2] == b"MZ"
    pth = (folder_of(windows) / "Python" / "python311._pth").read_text()
    assert re.search(r"^\.\.\\pkgs$", pth, re.M)
