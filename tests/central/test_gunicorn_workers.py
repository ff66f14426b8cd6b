"""Central behind gunicorn with several worker processes (DESIGN.md: production runs so): the
workers are stateless, so two devices pushing at once, each with a retry racing its own first try
on another worker, still leave every bundle stored exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests
from sqlalchemy import text

from central_api.stores.store import CentralStore
from central_api.usb import usb_import_jobs
from sync import stages, usb
from sync.client import ApiError
from tests.support.central import FakeDevice, issue_code
from tests.support.reviewer import PageSession, import_stick

WORKERS = 3
BUNDLES = 24  # per device, one forwarded case each
BATCH = 4
CHUNK = 1024 * 1024  # central takes chunks of at most 1 MB


@pytest.fixture(scope="module")
def gunicorn(central_home: Path, database_url: str) -> Iterator[tuple[str, int]]:
    """``gunicorn -w 3 'central_api:create_app()'`` on a free loopback port; yield its URL and
    the master's process id."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    env = {
        **os.environ,
        "BIANMIN_CENTRAL_HOME": str(central_home),
        "DATABASE_URL": database_url,
    }
    process = subprocess.Popen(
        [str(gunicorn), "--workers", str(WORKERS), "--bind", "127.0.0.1:0", "--timeout", "60",
         "central_api:create_app()"],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = _listening_url(process)
        _wait_for_workers(url)
        yield url, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_workers(url: str) -> None:
    # The socket listens before the workers have imported the app: on a loaded machine the first
    # answers can take longer than one request's timeout, which is no failure yet.
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "gunicorn workers did not come up"
        time.sleep(0.2)


def _listening_url(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    for line in process.stderr:  # gunicorn logs the port it really bound
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
        if found:
            # Keep reading its log on a thread, or a full pipe would stall the workers.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return found.group(1)
    raise AssertionError(f"gunicorn did not start (exit {process.wait()})")


def _workers(master: int) -> list[int]:
    """Return the process ids of the gunicorn master's workers (Linux /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that has just ended
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return children


def _enrolled(url: str, central_home: Path, database_url: str, code: str) -> FakeDevice:
    device = FakeDevice(url, device_code=code)
    device.enroll(issue_code(central_home, database_url))
    return device


def _send(device: FakeDevice, envelopes: list[bytes], results: list[dict]) -> None:
    """Push the bundles in batches in order, as a township's worker does."""
    for start in range(0, len(envelopes), BATCH):
        results.extend(device.push(*envelopes[start : start + BATCH]))


def test_several_workers_serve_and_answer_with_the_one_central_key(
    gunicorn: tuple[str, int],
) -> None:
    gunicorn_url, master = gunicorn
    assert len(_workers(master)) == WORKERS
    answers = {
        requests.get(gunicorn_url + "/healthz", headers={"Connection": "close"}, timeout=5).json()[
            "central_key_id"
        ]
        for _ in range(20)
    }
    assert len(answers) == 1


def test_two_devices_and_their_racing_retries_store_every_bundle_once(
    gunicorn: tuple[str, int], central_home: Path, database_url: str
) -> None:
    gunicorn_url, _ = gunicorn
    devices = [_enrolled(gunicorn_url, central_home, database_url, code) for code in ("G1", "G2")]
    packed = {d.device_id: [d.pack(d.forwarded_case()) for _ in range(BUNDLES)] for d in devices}
    first: dict[str, list[dict]] = {d.device_id: [] for d in devices}
    retry: dict[str, list[dict]] = {d.device_id: [] for d in devices}
    threads = [
        threading.Thread(target=_send, args=(d, packed[d.device_id], results[d.device_id]))
        for d in devices
        for results in (first, retry)  # the retry of each batch races its first try
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for device in devices:
        answers = first[device.device_id] + retry[device.device_id]
        assert len(answers) == 2 * BUNDLES
        # Each try is accepted, a duplicate of the other, or told to wait for the bundle before it.
        assert {a["status"] for a in answers} <= {"accepted", "duplicate", "refused"}
        refused = [a for a in answers if a["status"] == "refused"]
        assert all(a["error"]["code"] == stages.SEQUENCE_GAP for a in refused)

    # Sent again in order, every bundle is a duplicate with the receipt of its one stored copy.
    store = CentralStore.open(database_url, migrate=False)
    try:
        for device in devices:
            again = device.push(*packed[device.device_id])
            assert [a["status"] for a in again] == ["duplicate"] * BUNDLES
            kept = _stored_receipts(store, device.device_id)
            assert len(kept) == BUNDLES
            assert [a["receipt"] for a in again] == [kept[a["bundle_hash"]] for a in again]
            assert _event_count(store, device.device_id) == 3 * BUNDLES
    finally:
        store.close()


def _stored_receipts(store: CentralStore, device_id: str) -> dict[str, dict]:
    with store.reading() as c:
        rows = c.execute(
            text("SELECT bundle_hash, receipt FROM bundles WHERE device_id = :device"),
            {"device": device_id},
        ).all()
    return {bundle_hash: orjson.loads(receipt) for bundle_hash, receipt in rows}


def _event_count(store: CentralStore, device_id: str) -> int:
    with store.reading() as c:
        return c.execute(
            text("SELECT COUNT(*) FROM events WHERE writer = :device"), {"device": device_id}
        ).scalar_one()


def test_a_scan_sent_twice_at_once_in_chunks_is_kept_once_and_whole(
    gunicorn: tuple[str, int], central_home: Path, database_url: str
) -> None:
    gunicorn_url, _ = gunicorn
    device = _enrolled(gunicorn_url, central_home, database_url, "G3")
    scan = os.urandom(3 * CHUNK + 12_345)
    digest = hashlib.sha256(scan).hexdigest()
    device.client().start_blob(digest, len(scan), "image/jpeg")

    def upload() -> None:
        """Send the chunks from where central says it is, as the township's uploader does."""
        client = device.client()
        offset, complete = 0, False
        while not complete:
            try:
                answer = client.send_chunk(digest, offset, scan[offset : offset + CHUNK])
            except ApiError as refusal:  # the other upload got there first
                assert refusal.code == stages.OFFSET_MISMATCH, refusal.server_message
                answer = client.blob_status(digest)
            offset, complete = answer["offset"], answer["complete"]

    failures: list[BaseException] = []

    def upload_noting_failures() -> None:
        try:
            upload()
        except BaseException as error:  # a thread's failure must fail the test
            failures.append(error)

    uploads = [threading.Thread(target=upload_noting_failures) for _ in range(2)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(60)
    assert not failures, failures
    status = device.client().blob_status(digest)
    assert status["complete"] and status["offset"] == len(scan)
    kept = central_home / "blobs" / digest[:2] / digest
    assert kept.read_bytes() == scan
    assert not (central_home / "blobs" / "partial" / digest).exists()  # no half upload left
    # The case that names the scan is accepted.
    files = [{"sha256": digest, "size": len(scan), "media_type": "image/jpeg", "filename": "a.jpg"}]
    [result] = device.push(device.pack(device.forwarded_case(files=files)))
    assert result["status"] == "accepted"


def test_a_stick_import_is_followed_from_any_worker_and_taken_up_again_after_they_die(
    gunicorn: tuple[str, int], central_home: Path, database_url: str, tmp_path: Path
) -> None:
    gunicorn_url, master = gunicorn
    device = _enrolled(gunicorn_url, central_home, database_url, "G4")
    stick = tmp_path / "stick"
    for number in range(150):  # scans come first: they keep the import busy long enough to cut
        scan = tmp_path / f"scan{number}"
        scan.write_bytes(os.urandom(256 * 1024))
        usb.write_blob(stick, hashlib.sha256(scan.read_bytes()).hexdigest(), scan)
    for sequence in range(1, 201):
        usb.write_bundle(stick, device.device_id, sequence, device.pack(device.forwarded_case()))
    admin = PageSession(gunicorn_url)
    assert admin.login("admin").status_code == 303

    started = admin.post("/admin/usb/", {"folder": str(stick)})
    assert started.status_code == 303, started.text[:300]
    page_path = started.headers["Location"].removeprefix(gunicorn_url)
    # Every worker answers the poll (each request is a new connection, taken by any worker).
    deadline = time.monotonic() + 30
    while True:
        box = admin.get(page_path + "/progress")
        assert box.status_code == 200, box.text[:300]
        if "正在接收材料扫描件" in box.text:
            break  # among the scans
        assert 'hx-trigger="every 1s"' in box.text, "the import ended before it could be cut"
        assert time.monotonic() < deadline, box.text[:300]
        time.sleep(0.05)
    for worker in _workers(master):
        os.kill(worker, signal.SIGKILL)  # a crash, or a restart without a graceful stop

    # The master starts new workers; the page tells that the import was cut off, in time.
    deadline = time.monotonic() + usb_import_jobs.STALE_AFTER_S + 30
    while "服务器停止而中断" not in (box := _get_when_served(admin, page_path + "/progress")).text:
        assert time.monotonic() < deadline, box.text[:300]
        time.sleep(0.5)
    # Imported again, it takes up the rest: every bundle held once, every receipt on the stick.
    _, box = import_stick(admin, stick)
    summary = re.search(r"共 200 个案卷包：接收 (\d+) 个，已收过 (\d+) 个，拒收 0 个。", box.text)
    assert summary, box.text[:500]
    assert int(summary.group(1)) + int(summary.group(2)) == 200
    store = CentralStore.open(database_url, migrate=False)
    try:
        with store.reading() as c:
            held = c.execute(
                text("SELECT COUNT(*) FROM bundles WHERE device_id = :d"), {"d": device.device_id}
            ).scalar_one()
    finally:
        store.close()
    assert held == 200
    assert [seq for seq, _ in usb.read_receipts(stick, device.device_id)] == list(range(1, 201))


def _get_when_served(session: PageSession, path: str) -> requests.Response:
    """GET a page, waiting for the master to have started new workers."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return session.get(path)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "no worker came back"
            time.sleep(0.2)
