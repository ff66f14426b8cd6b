"""A restored township PC and the central server over real HTTP on loopback: an old backup never
makes central see a fork; the PC holds its sync, says what to do, and carries on as a new device."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sync.client import CentralClient
from tests.support.cases import queue_forwarded_cases
from tests.support.central import CentralProcess, issue_code
from tests.support.township import Browserless, TownshipProcess, township_cli
from township_app.device_sync import device_keys

PASSPHRASE = "restore-test-passphrase"


def row(home: Path, sql: str) -> tuple:
    conn = sqlite3.connect(f"file:{home / 'township.db'}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchone()
    finally:
        conn.close()


def central_view(home: Path, central: CentralProcess) -> dict:
    """Ask central what it holds of this PC (GET /api/v1/devices/me, signed by the PC's key)."""
    key = device_keys.load_key(home)
    device_id = row(home, "SELECT device_id FROM device")[0]
    client = CentralClient(central.url, key=key, device_id=device_id)
    try:
        return client.me()
    finally:
        client.close()


def sync(home: Path) -> tuple[int, str]:
    done = township_cli(home, "sync")
    return done.returncode, done.stdout + done.stderr


def backup_now(home: Path, tmp_path: Path) -> Path:
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE)
    folder = tmp_path / f"usb-{len(list(tmp_path.glob('usb-*')))}"
    done = township_cli(home, "backup", "--to", str(folder), "--passphrase-file", str(passphrase))
    assert done.returncode == 0, done.stderr
    [archive] = folder.glob("*.zip")
    return archive


def restore(home: Path, archive: Path, tmp_path: Path) -> None:
    done = township_cli(
        home, "restore", str(archive), "--passphrase-file", str(tmp_path / "passphrase")
    )
    assert done.returncode == 0, done.stderr


def test_restoring_an_old_backup_holds_sync_instead_of_forking_and_a_new_identity_goes_on(
    enrolled_home: Callable[[str], Path],
    central: CentralProcess,
    central_home: Path,
    central_url_db: str,
    tmp_path: Path,
):
    home = enrolled_home(central.url)
    queue_forwarded_cases(home, 2, seed=11)
    assert sync(home)[0] == 0
    old = backup_now(home, tmp_path)
    old_sequence = row(home, "SELECT bundle_sequence FROM sync_state")[0]
    queue_forwarded_cases(home, 2, seed=12)
    assert sync(home)[0] == 0
    ahead = central_view(home, central)["last_sequence"]
    assert ahead > old_sequence

    restore(home, old, tmp_path)
    queue_forwarded_cases(home, 1, seed=13)  # the clerk works on after the restore
    code, out = sync(home)

    assert code == 1 and "restored_behind_central" in out
    # Nothing was packed on the rewound sequence, and central did not see a fork.
    assert row(home, "SELECT MAX(sequence) FROM bundles_out")[0] == old_sequence
    assert row(home, "SELECT restore_check, restore_note FROM sync_state") == (
        "held",
        f"{ahead}/{old_sequence}",
    )
    assert central_view(home, central)["status"] == "active"
    assert "restored_behind_central" in sync(home)[1]  # and it stays held

    # The sync page tells the admin what to do.
    township = TownshipProcess(home).start()
    try:
        admin = Browserless(township.url)
        admin.login("admin")
        page = admin.get("/sync/").text
        assert 'id="restore-held"' in page and "new-identity" in page
        assert f"中心已收到本机第 {ahead} 号案卷包" in page
    finally:
        township.stop()

    # A new identity, a new code: the PC enrolls again and its new work goes up.
    done = township_cli(home, "new-identity", "--yes")
    assert done.returncode == 0, done.stderr
    code_text = issue_code(central_home, central_url_db)
    done = township_cli(home, "enroll", "--server", central.url, "--code", code_text)
    assert done.returncode == 0, done.stderr + done.stdout
    queue_forwarded_cases(home, 1, seed=14)
    code, out = sync(home)
    assert code == 0, out
    assert central_view(home, central)["last_sequence"] >= 1
    assert row(home, "SELECT COUNT(*) FROM retired_bundles")[0] == old_sequence


def test_restoring_a_backup_central_is_not_ahead_of_lets_sync_go_on(
    enrolled_home: Callable[[str], Path], central: CentralProcess, tmp_path: Path
):
    home = enrolled_home(central.url)
    queue_forwarded_cases(home, 2, seed=21)
    assert sync(home)[0] == 0
    fresh = backup_now(home, tmp_path)
    restore(home, fresh, tmp_path)
    assert row(home, "SELECT restore_check FROM sync_state")[0] == "pending"

    queue_forwarded_cases(home, 1, seed=22)
    code, out = sync(home)

    assert code == 0, out
    assert row(home, "SELECT restore_check FROM sync_state")[0] == ""
    held = central_view(home, central)
    assert held["status"] == "active"
    assert held["last_sequence"] == row(home, "SELECT MAX(sequence) FROM bundles_out")[0]
