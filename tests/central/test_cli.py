"""The `bianmin-central` admin commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from central_api.stores.store import CentralStore
from sync import feed
from sync.demo_data import read_demo
from sync.signing import Envelope, strict_loads
from tests.support.central import FakeDevice, central_cli


def test_demo_init_made_users_with_argon2_hashes(central_store: CentralStore) -> None:
    with central_store.reading() as c:
        reviewer = central_store.user_by_username(c, "xianshen")
    assert (reviewer["role"], reviewer["org_code"]) == ("county_reviewer", "370613")
    assert reviewer["password_hash"].startswith("$argon2id$")


def test_init_again_changes_nothing(
    central_home: Path, database_url: str, central_store: CentralStore
) -> None:
    central_cli(central_home, database_url, "init")
    before = central_store.counts()
    central_cli(central_home, database_url, "init")
    assert central_store.counts() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "create-user",
                "Bad Name",
                "--role",
                "admin",
                "--org",
                "370600",
                "--password",
                "long-enough-pw",
            ],
            "用户名",
        ),
        (
            [
                "create-user",
                "newuser",
                "--role",
                "boss",
                "--org",
                "370600",
                "--password",
                "long-enough-pw",
            ],
            "角色",
        ),
        (
            [
                "create-user",
                "newuser",
                "--role",
                "admin",
                "--org",
                "999999",
                "--password",
                "long-enough-pw",
            ],
            "999999",
        ),
        (
            [
                "create-user",
                "admin",
                "--role",
                "admin",
                "--org",
                "370600",
                "--password",
                "long-enough-pw",
            ],
            "已存在",
        ),
        (
            [
                "create-user",
                "newuser",
                "--role",
                "admin",
                "--org",
                "370600",
                "--password",
                "abc12345",
            ],
            "密码至少需要 10 位",  # the township's old floor of 8 is not enough at central either
        ),
        (
            [
                "create-user",
                "newuser",
                "--role",
                "admin",
                "--org",
                "370600",
                "--password",
                "abcdefghij",
            ],
            "字母和数字",
        ),
        (["unlock-user", "nobody"], "没有用户 nobody"),
        (["issue-enrollment-code", "--org", "999999"], "999999"),
        (["revoke-device", "no-such-device"], "没有设备"),
        (["decide", "NO-SUCH-CASE", "--approve", "--by-org", "370613", "--actor", "x"], "没有办件"),
    ],
)
def test_admin_commands_refuse_bad_input(
    args: list[str], message: str, central_home: Path, database_url: str
) -> None:
    with pytest.raises(RuntimeError, match=message):
        central_cli(central_home, database_url, *args)


def test_published_catalogue_gets_a_higher_serial(
    device: FakeDevice, central_home: Path, database_url: str, tmp_path: Path
) -> None:
    catalogue = read_demo("catalogue.json")
    catalogue["version"] = f"test-{tmp_path.name}"
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalogue, ensure_ascii=False))
    central_cli(central_home, database_url, "publish-catalogue", str(path))
    with pytest.raises(RuntimeError, match="已经发布过"):
        central_cli(central_home, database_url, "publish-catalogue", str(path))
    page = device.client().feed(0, limit=500)
    serials = [
        body["body"]["serial"]
        for body in (
            strict_loads(Envelope.from_dict(e["envelope"]).payload) for e in page["entries"]
        )
        if body["kind"] == feed.CATALOGUE
    ]
    assert serials == sorted(serials) and len(serials) >= 2


def test_devices_and_alerts_are_listed(
    device: FakeDevice, central_home: Path, database_url: str
) -> None:
    listing = central_cli(central_home, database_url, "devices").stdout
    assert device.device_id in listing and "active" in listing
    central_cli(central_home, database_url, "alerts")


def test_a_catalogue_with_a_bad_item_is_not_published(
    central_home: Path, database_url: str, central_store: CentralStore, tmp_path: Path
) -> None:
    catalogue = read_demo("catalogue.json")
    catalogue["version"] = f"bad-{tmp_path.name}"
    catalogue["items"][3]["route"] = []  # a forwarded item with no level above to decide it
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalogue, ensure_ascii=False))
    before = central_store.counts()
    code = catalogue["items"][3]["code"]
    with pytest.raises(RuntimeError, match=f"事项目录第 4 项（{code} .*“审批层级”（route）"):
        central_cli(central_home, database_url, "publish-catalogue", str(path))
    assert central_store.counts() == before


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ([], ("0.0.0.0", 5191, 3)),
        (["--host", "127.0.0.1", "--port", "0", "--threads", "2"], ("127.0.0.1", 0, 2)),
    ],
)
def test_serve_listens_where_the_settings_say_unless_its_options_say_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: list[str], expected: tuple
) -> None:
    # The settings HOST, CENTRAL_PORT and THREADS were documented but never read by serve.
    import waitress.server
    from click.testing import CliRunner

    from central_api.cli import main

    listened = {}

    class Server:
        effective_port = 5191

        def run(self) -> None:
            pass

    def create_server(app, **kwargs):
        listened.update(kwargs)
        return Server()

    monkeypatch.setattr(waitress.server, "create_server", create_server)
    env = {
        "BIANMIN_HOST": "0.0.0.0",
        "BIANMIN_CENTRAL_PORT": "5191",
        "BIANMIN_THREADS": "3",
        "BIANMIN_NOTIFY_IN_SERVE": "0",
    }
    result = CliRunner().invoke(
        main, ["--home", str(tmp_path / "home"), "serve", *options], env=env
    )
    assert result.exit_code == 0, result.output
    assert (listened["host"], listened["port"], listened["threads"]) == expected
