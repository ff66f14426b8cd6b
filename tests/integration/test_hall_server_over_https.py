"""One hall, several windows: a hall server (`serve --hall`) over real HTTPS on loopback, with two
clerks at two windows registering and searching at the same time, each case stored once, each
event recording its window; and the hall server refusing what it must (networks, names, set-up)."""

from __future__ import annotations

import random
import sqlite3
import ssl
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sync.events import CHINA_TZ, Event, utc_now, verify_chain
from tests.support.hall import (
    HALL_ADDRESS,
    HALL_NAME,
    SECOND_CLERK,
    SECOND_CLERK_PASSWORD,
    HallProcess,
    hall_clerk,
    set_up_hall,
)
from tests.support.township import DEMO_PASSWORDS, Browserless
from township_app import demo
from township_app.hall.certificate import fingerprint, format_fingerprint

ITEM = "370613-YB-001"  # 城乡居民医保参保登记: an immediate item, one material
PER_CLERK = 12


@pytest.fixture
def hall(demo_home: Path) -> Iterator[HallProcess]:
    set_up_hall(demo_home)
    process = HallProcess(demo_home).start()
    try:
        yield process
    finally:
        process.stop()


def _clerk(hall: HallProcess, username: str, password: str) -> Browserless:
    return hall_clerk(hall, username, password)


def _register(clerk: Browserless, name: str, rng: random.Random) -> str:
    today = utc_now().astimezone(CHINA_TZ).date()
    case_id = str(uuid.uuid4())
    answer = clerk.post(
        f"/intake/new/{ITEM}",
        [
            ("case_id", case_id), ("name", name),
            ("id_number", demo.fake_resident_id(rng, "370613", today)),
            ("phone", "13912345678"), ("address", "东解甲庄村8号"),
            ("village_code", "370613004201"), ("received", "M01"),
        ],
    )  # fmt: skip
    assert answer.status_code == 200 and answer.url.endswith(case_id), answer.text[:300]
    return case_id


def test_two_clerks_at_two_windows_register_at_once_and_each_case_is_stored_once(
    hall: HallProcess, demo_home: Path
):
    clerks = {
        "chuangkou": _clerk(hall, "chuangkou", DEMO_PASSWORDS["chuangkou"]),
        SECOND_CLERK: _clerk(hall, SECOND_CLERK, SECOND_CLERK_PASSWORD),
    }
    made: dict[str, list[str]] = {name: [] for name in clerks}
    errors: list[BaseException] = []
    start = threading.Barrier(len(clerks))

    def work(username: str, surname: str) -> None:
        rng = random.Random(username)
        try:
            start.wait()
            for i in range(PER_CLERK):
                # The same case id sent twice (a double click) must still make one case.
                made[username].append(_register(clerks[username], f"{surname}窗{i}", rng))
                found = clerks[username].get(f"/cases/?q={surname}窗{i}")
                assert found.status_code == 200 and f"{surname}窗{i}" in found.text
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=("chuangkou", "赵")),
        threading.Thread(target=work, args=(SECOND_CLERK, "钱")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    # The other window's cases are seen from this one: one set of cases for the hall.
    assert "钱窗0" in clerks["chuangkou"].get("/cases/?q=钱窗").text
    db = sqlite3.connect(demo_home / "township.db")
    try:
        every = [case for cases in made.values() for case in cases]
        rows = db.execute(
            f"SELECT case_id, case_number FROM cases WHERE case_id IN ({','.join('?' * len(every))})",
            every,
        ).fetchall()
        assert len(rows) == len(every) == 2 * PER_CLERK
        assert len({number for _, number in rows}) == len(rows)
        windows = dict(
            db.execute(
                "SELECT actor, group_concat(DISTINCT json_extract(payload, '$.window_number'))"
                " FROM events WHERE type = 'registered' AND case_id IN"
                f" ({','.join('?' * len(every))}) GROUP BY actor",
                every,
            ).fetchall()
        )
        assert windows == {"chuangkou": "1", SECOND_CLERK: "2"}
        device = db.execute("SELECT device_id FROM device").fetchone()[0]
        chain = db.execute(
            "SELECT event_id, case_id, writer, writer_seq, prev_hash, actor, at, type, payload"
            " FROM events WHERE writer = ? ORDER BY writer_seq",
            [device],
        ).fetchall()
    finally:
        db.close()
    columns = ("event_id", "case_id", "writer", "writer_seq", "prev_hash", "actor", "at", "type")
    verify_chain(
        [Event.from_row({**dict(zip(columns, r, strict=False)), "payload": r[8]}) for r in chain]
    )


def test_the_hall_server_shows_the_fingerprint_it_was_set_up_with(hall: HallProcess, demo_home):
    certificate = ssl.get_server_certificate((HALL_ADDRESS, hall.port))
    der = ssl.PEM_cert_to_DER_cert(certificate)
    assert format_fingerprint(der) == fingerprint(demo_home)
    printed = subprocess.run(
        [sys.executable, "-m", "township_app.cli", "--home", str(demo_home), "hall-fingerprint"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert fingerprint(demo_home) in printed.stdout


def test_a_name_the_hall_was_not_set_up_for_is_refused(hall: HallProcess):
    answer = requests.get(
        hall.url + "/auth/login", headers={"Host": "evil.example"}, verify=False, timeout=10
    )
    assert answer.status_code == 400 and "不接受用“evil.example”这个名称访问" in answer.text
    named = requests.get(
        hall.url + "/auth/login", headers={"Host": f"{HALL_NAME}:{hall.port}"}, verify=False,
        timeout=10,
    )  # fmt: skip
    assert named.status_code == 200


def test_a_pc_outside_the_allowed_networks_gets_a_page_saying_so_and_changes_nothing(
    demo_home: Path,
):
    set_up_hall(demo_home)
    hall = HallProcess(demo_home, allow=("10.20.0.0/16",))
    hall.process = None
    port_file = demo_home / "hall-port.txt"
    hall_process = subprocess.Popen(
        hall.command(),
        env={"BIANMIN_HOME": str(demo_home), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if port_file.exists() and port_file.read_text().strip():
                break
            threading.Event().wait(0.05)
        hall.port = int(port_file.read_text())
        before = (
            sqlite3.connect(demo_home / "township.db")
            .execute("SELECT COUNT(*) FROM audit_log")
            .fetchone()
        )
        answer = requests.post(
            hall.url + "/auth/login", data={"username": "chuangkou", "password": "x"},
            verify=hall.cert, timeout=10,
        )  # fmt: skip
        assert answer.status_code == 403
        assert "本电脑不在大厅网络的允许范围内" in answer.text and "127.0.0.1" in answer.text
        after = (
            sqlite3.connect(demo_home / "township.db")
            .execute("SELECT COUNT(*) FROM audit_log")
            .fetchone()
        )
        assert after == before
    finally:
        hall_process.terminate()
        hall_process.wait(10)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--address", "0.0.0.0", "--allow", "127.0.0.0/8"], "必须绑定一个具体的局域网地址"),
        (["--address", HALL_ADDRESS], "请用 --allow 或 HALL_NETWORKS 设置给出允许访问的网段"),
        (["--address", HALL_ADDRESS, "--allow", "192.168.1.300/24"], "写法不正确"),
        (["--address", "127.0.0.3", "--allow", "127.0.0.0/8"], "证书里没有地址 127.0.0.3"),
        (["--allow", "127.0.0.0/8"], "请用 --address 或 HALL_ADDRESS 设置"),
    ],
)
def test_a_hall_server_set_up_wrongly_says_why_and_does_not_start(
    demo_home: Path, arguments: list[str], message: str
):
    set_up_hall(demo_home)
    result = subprocess.run(
        [sys.executable, "-m", "township_app.cli", "--home", str(demo_home), "serve", "--hall",
         "--no-sync", "--hall-port", "0", *arguments],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_serving_the_hall_without_a_certificate_says_to_make_one(demo_home: Path):
    result = subprocess.run(
        [sys.executable, "-m", "township_app.cli", "--home", str(demo_home), "serve", "--hall",
         "--no-sync", "--address", HALL_ADDRESS, "--allow", "127.0.0.0/8"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0 and "请先运行 bianmin-township hall-cert" in result.stderr
