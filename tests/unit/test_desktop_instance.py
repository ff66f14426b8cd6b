"""One desktop instance per data folder: a real OS lock (never stale) and a real "show yourself"
request over loopback HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import requests

from township_app.desktop import instance
from township_app.desktop.local_server import LocalServer

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from township_app.desktop.instance import InstanceLock
    lock = InstanceLock(Path(sys.argv[1])).acquire()  # kept: a collected lock lets go
    print("held", flush=True)
    time.sleep(120)
    """
)


def hold_lock_in_another_process(home: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_lock_held_by_another_process_refuses_a_second_instance(tmp_path: Path) -> None:
    holder = hold_lock_in_another_process(tmp_path)
    try:
        with pytest.raises(instance.AlreadyRunning):
            instance.InstanceLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_instance_is_free_at_once(tmp_path: Path) -> None:
    holder = hold_lock_in_another_process(tmp_path)
    holder.kill()  # as a crash would: no cleanup
    holder.wait()
    assert (tmp_path / instance.LOCK_NAME).exists()  # the file stays, the lock does not
    instance.InstanceLock(tmp_path).acquire().release()


def test_released_lock_can_be_taken_again(tmp_path: Path) -> None:
    first = instance.InstanceLock(tmp_path).acquire()
    first.release()
    instance.InstanceLock(tmp_path).acquire().release()


def test_instance_file_is_private_and_read_back_whole(tmp_path: Path) -> None:
    written = instance.write_instance_file(tmp_path, 43210)
    path = tmp_path / instance.INSTANCE_NAME
    assert path.stat().st_mode & 0o077 == 0
    assert instance.read_instance_file(tmp_path) == written
    assert len(written.token) >= 32
    assert written.url == "http://127.0.0.1:43210/"


@pytest.mark.parametrize(
    "content", ["", "{", '{"pid": 1, "port": "x", "token": "t"}', '{"port": 1}', "[]"]
)
def test_unreadable_instance_file_reads_as_no_instance(tmp_path: Path, content: str) -> None:
    (tmp_path / instance.INSTANCE_NAME).write_text(content)
    assert instance.read_instance_file(tmp_path) is None


def test_instance_file_of_another_instance_is_left_alone(tmp_path: Path) -> None:
    ours = instance.write_instance_file(tmp_path, 1111)
    instance.write_instance_file(tmp_path, 2222)  # a later instance took over
    instance.remove_instance_file(tmp_path, ours)
    assert instance.read_instance_file(tmp_path).port == 2222


def hello_app(environ: dict, start_response) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"app"]


@pytest.fixture
def running_instance(tmp_path: Path):
    """A real loopback server with the show-yourself gate, as a running desktop has."""
    shown = threading.Event()
    gate = instance.ShowRequests(hello_app, shown.set)
    server = LocalServer(gate).start()
    recorded = instance.write_instance_file(tmp_path, server.port)
    gate.token = recorded.token
    yield tmp_path, server, shown
    server.stop()


def test_second_launch_asks_the_running_instance_to_show_itself(running_instance) -> None:
    home, server, shown = running_instance
    answered = instance.ask_to_show(home, wait=5)
    assert answered is not None and answered.port == server.port
    assert shown.is_set()


@pytest.mark.parametrize(
    ("method", "token", "status"),
    [("POST", "wrong", 403), ("POST", "", 403), ("GET", None, 405)],
)
def test_show_request_without_the_token_is_refused(
    running_instance, method: str, token: str | None, status: int
) -> None:
    home, server, shown = running_instance
    recorded = instance.read_instance_file(home)
    headers = {instance.TOKEN_HEADER: recorded.token if token is None else token}
    response = requests.request(
        method, f"{server.url.rstrip('/')}{instance.SHOW_PATH}", headers=headers, timeout=5
    )
    assert response.status_code == status
    assert not shown.is_set()


def test_other_paths_go_to_the_app(running_instance) -> None:
    _, server, shown = running_instance
    assert requests.get(server.url + "cases/", timeout=5).text == "app"
    assert not shown.is_set()


def test_gate_refuses_everything_before_its_token_is_set(tmp_path: Path) -> None:
    shown = threading.Event()
    server = LocalServer(instance.ShowRequests(hello_app, shown.set)).start()
    try:
        response = requests.post(
            server.url.rstrip("/") + instance.SHOW_PATH,
            headers={instance.TOKEN_HEADER: ""},
            timeout=5,
        )
        assert response.status_code == 403 and not shown.is_set()
    finally:
        server.stop()


def test_running_instance_that_does_not_answer_is_reported(tmp_path: Path) -> None:
    server = LocalServer(hello_app)  # bound but never started: nobody answers
    (tmp_path / instance.INSTANCE_NAME).write_text(
        json.dumps({"pid": 1, "port": server.port, "token": "t"})
    )
    try:
        assert instance.ask_to_show(tmp_path, wait=0.5) is None
    finally:
        server.stop()


def test_local_server_stops_with_a_connection_still_open() -> None:
    server = LocalServer(hello_app).start()
    keep_alive = requests.Session()
    assert keep_alive.get(server.url, timeout=5).text == "app"  # the connection stays open
    server.stop()
    assert not server.thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url, timeout=2)
    keep_alive.close()


def test_launch_during_another_instance_closing_takes_the_lock_once_it_is_free(
    tmp_path: Path,
) -> None:
    holder = hold_lock_in_another_process(tmp_path)  # holds the lock, answers no show request
    threading.Timer(1.0, holder.kill).start()  # ... until it has finished closing
    try:
        claimed = instance.claim_or_show(tmp_path, wait=15)
        assert isinstance(claimed, instance.InstanceLock)
        claimed.release()
    finally:
        holder.kill()
        holder.wait()


def test_launch_finding_a_running_instance_gets_it_shown(running_instance) -> None:
    home, server, shown = running_instance
    holder = hold_lock_in_another_process(home)
    try:
        claimed = instance.claim_or_show(home, wait=5)
        assert isinstance(claimed, instance.InstanceFile) and claimed.port == server.port
        assert shown.is_set()
    finally:
        holder.kill()
        holder.wait()


def test_launch_gives_up_on_a_holder_that_never_answers(tmp_path: Path) -> None:
    holder = hold_lock_in_another_process(tmp_path)
    try:
        assert instance.claim_or_show(tmp_path, wait=1) is None
    finally:
        holder.kill()
        holder.wait()


def test_stopping_a_server_whose_loop_has_closed_its_trigger_does_not_fail() -> None:
    # Seen once in CI on closing the window: the loop's trigger pipe was already closed when
    # stop() sent its second request to the loop, and a clean close was reported as a failure.
    server = LocalServer(hello_app).start()
    assert server.wait_until_answering(timeout=10)
    server.server.trigger.close()
    server.stop(timeout=1)  # no OSError; the process is ending anyway
