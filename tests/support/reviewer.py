"""A browser-like client of the central pages (cookies, CSRF token from the page), and forwarded
cases with real scans pushed by a fake device, for the reviewer tests."""

from __future__ import annotations

import hashlib
import re
import struct
import time
import zlib
from html import unescape
from pathlib import Path
from typing import Any

import requests

from sync import events as ev
from sync.events import Event
from tests.support.central import COUNTY, DEMO_ITEMS, FakeDevice, catalogue_item

DEMO_PASSWORDS = {
    "xianshen": "demo-county-2026",
    "shishen": "demo-city-2026",
    "jiancha": "demo-supervisor-2026",
    "admin": "demo-admin-2026",
    "ziyuan": "demo-ziyuan-2026",
    "nongye": "demo-nongye-2026",
    "zhujian": "demo-zhujian-2026",
    "xianfuze": "demo-head-2026",
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageSession:
    """One user's browser session on the central pages, over real HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET a page and remember the CSRF token it carries."""
        answer = self.http.get(self.base_url + path, timeout=30, allow_redirects=False, **kwargs)
        found = (
            _TOKEN.search(answer.text)
            if "text/html" in answer.headers.get("Content-Type", "")
            else None
        )
        if found:
            self.token = unescape(found.group(1))
        return answer

    def post(self, path: str, data: dict[str, str], *, token: bool = True) -> requests.Response:
        """POST a form as the page would (with its CSRF token unless told not to)."""
        if token and not self.token:
            self.get("/auth/login")
        form = {**data, **({"csrf_token": self.token} if token else {})}
        return self.http.post(self.base_url + path, data=form, timeout=30, allow_redirects=False)

    def follow(self, answer: requests.Response) -> requests.Response:
        """GET where a redirect points."""
        location = answer.headers["Location"]
        return self.get(location.removeprefix(self.base_url) if "://" in location else location)

    def login(self, username: str, password: str | None = None) -> requests.Response:
        """Log in through the form."""
        self.get("/auth/login")
        answer = self.post(
            "/auth/login",
            {"username": username, "password": password or DEMO_PASSWORDS[username]},
        )
        # A fresh session after log-in: take the new page's token.
        if answer.status_code == 303:
            self.follow(answer)
        return answer


def tiny_png() -> bytes:
    """Return a 1×1 white PNG, as a scanner would give (only smaller)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def upload_scan(device: FakeDevice, data: bytes, media_type: str, filename: str) -> dict[str, Any]:
    """Upload one scan through the device API and return its manifest entry."""
    digest = hashlib.sha256(data).hexdigest()
    client = device.client()
    client.start_blob(digest, len(data), media_type)
    client.send_chunk(digest, 0, data)
    return {"sha256": digest, "size": len(data), "media_type": media_type, "filename": filename}


def push_forwarded(
    device: FakeDevice,
    *,
    to_org: str = COUNTY,
    route: list[str] | None = None,
    files: list[dict[str, Any]] | None = None,
) -> list[Event]:
    """Register, accept and forward one case (to ``to_org``, on ``route``) and push it."""
    registered = device.register(files=files)
    if route is not None:
        # A new REGISTERED event with the route changed (events are immutable and chained).
        device.writer_seq -= 1
        device.last_hash = registered.prev_hash
        device.cases -= 1
        payload = dict(registered.payload)
        # Central takes only items it published: the demo catalogue's item on that route.
        payload["item"] = catalogue_item(DEMO_ITEMS["-".join(route)])
        device.cases += 1
        registered = device.event(registered.case_id, ev.REGISTERED, payload)
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    forwarded = device.event(
        registered.case_id,
        ev.FORWARDED,
        {"opinion": "材料齐全，同意上报。", "conclusion": "agree", "to_org": to_org},
    )
    events = [registered, accepted, forwarded]
    result = device.push(device.pack(events))[0]
    assert result["status"] == "accepted", result
    return events


def push_joint_case(device: FakeDevice) -> str:
    """Register, accept and forward to the county a case of the demo's joint-review (联审) item;
    return its case number."""
    registered = device.register()
    device.writer_seq -= 1
    device.last_hash = registered.prev_hash
    payload = dict(registered.payload)
    payload["item"] = catalogue_item(DEMO_ITEMS["joint"])
    registered = device.event(registered.case_id, ev.REGISTERED, payload)
    accepted = device.event(registered.case_id, ev.ACCEPTED, {})
    forwarded = device.event(
        registered.case_id,
        ev.FORWARDED,
        {"opinion": "村级审查通过，同意上报。", "conclusion": "agree", "to_org": COUNTY},
    )
    result = device.push(device.pack([registered, accepted, forwarded]))[0]
    assert result["status"] == "accepted", result
    return str(payload["case_number"])


def import_stick(admin: PageSession, folder: Path) -> tuple[str, requests.Response]:
    """Start importing a stick from the page and poll its box, as htmx does, until it ends;
    return the import's page address and its last box."""
    started = admin.post("/admin/usb/", {"folder": str(folder)})
    assert started.status_code == 303, started.text[:500]
    page_path = started.headers["Location"].removeprefix(admin.base_url)
    assert re.fullmatch(r"/admin/usb/imports/\d+", page_path), page_path
    page = admin.get(page_path)
    assert page.status_code == 200 and 'id="usb-import"' in page.text
    deadline = time.monotonic() + 60
    while True:
        box = admin.get(page_path + "/progress", headers={"HX-Request": "true"})
        assert box.status_code == 200, box.text[:500]
        if 'hx-trigger="every 1s"' not in box.text:
            return page_path, box
        assert time.monotonic() < deadline, box.text[:500]
        time.sleep(0.1)
