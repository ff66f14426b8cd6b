"""First start of a PC that never sees the network: one trip of a USB stick. The PC (made with
its admin at `init`) writes its request; central answers onto the stick with the unit's feed; one
`import` on the PC completes the enrollment and installs the org tree and catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.support.central import central_cli
from township_app.backup.upgrade import open_migrated
from township_app.cli import main as township
from township_app.device_sync import worker

PASSWORD = "Admin-pass-2026"


def run(home: Path, *args: str) -> str:
    done = CliRunner().invoke(township, ["--home", str(home), *args])
    assert done.exit_code == 0, done.output
    return done.output


def test_one_usb_trip_carries_the_enrollment_answer_and_the_first_feed(
    central_home: Path, database_url: str, new_code, tmp_path: Path
) -> None:
    home, stick = tmp_path / "pc", tmp_path / "stick"
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSWORD)
    run(home, "init", "--org", "370613004", "--admin", "it1", "--admin-name", "李工",
        "--admin-password-file", str(secret))  # fmt: skip
    request = tmp_path / "request.json"
    run(home, "enroll", "--code", new_code(), "--request-file", str(request))

    answered = central_cli(central_home, database_url, "enroll-file", str(request),
                           "--usb", str(stick))  # fmt: skip
    assert "注册答复和" in answered.stdout
    [answer] = (stick / "bianmin" / "enrollment").glob("*.json")
    device_id = json.loads(answer.read_text())["device_id"]
    assert answer.stem == device_id
    assert list((stick / "bianmin" / "feed" / "370613004").glob("*.dsse.json"))

    shown = run(home, "import", str(stick))
    assert "已注册到中心：（文件方式）" in shown
    store = open_migrated(home / "township.db")
    try:
        assert store.device()["device_id"] == device_id
        assert store.sync.state()["enrolled_at"]
        # The feed came on the same trip: the unit's real name, the catalogue.
        assert store.org_unit("370613004")["name"] != "370613004"
        assert store.catalogue_version() is not None
        assert store.user_by_username("it1")["role"] == "admin"
        report = worker.sync_round(store, {"HOME": str(home), "BLOB_DIR": str(home / "blobs")})
        assert report.by_file and not report.offline
    finally:
        store.close()
    # Importing the same stick again changes nothing and says nothing of enrollment.
    assert "已注册到中心" not in run(home, "import", str(stick))


def test_enroll_file_needs_somewhere_to_write_the_answer(
    central_home: Path, database_url: str, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text("{}")
    with pytest.raises(RuntimeError, match="--usb"):
        central_cli(central_home, database_url, "enroll-file", str(request))
