"""The device's HTTP client of the central API (requests): signed requests, timeouts, clear errors.

Every call has a timeout. Anything that is not a well-formed answer of the central API (no
connection, a timeout, a 5xx, a captive portal's or a proxy's HTML page) is ``Offline``: the caller
keeps its work in SQLite and tries again later. A well-formed refusal is ``ApiError`` with the
protocol's error code. A refusal for clock skew is cured here once, by signing with the server's
time: the device's clock never decides whether its work is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from sync import stages
from sync.errors import N_, DomainError
from sync.request_auth import sign_request
from sync.signing import SigningKey

API = "/api/v1"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0


class Offline(DomainError):
    """The central server could not be reached or did not answer as the API does."""

    code = "offline"

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        self.detail = detail
        self.retry_after = retry_after
        super().__init__(N_("无法连接中心服务器（%(detail)s），联网后将自动重试。"), detail=detail)


class ApiError(DomainError):
    """The central server refused the request, with one of the protocol's error codes."""

    def __init__(self, status: int, code: str, message: str, body: Mapping[str, Any]) -> None:
        self.status = status
        self.code = code
        self.body = body
        super().__init__(N_("中心服务器拒绝了请求：%(text)s（%(code)s）"), text=message, code=code)

    @property
    def server_message(self) -> str:
        """Return the server's own message for people."""
        return str(self.body.get("error", {}).get("message", ""))


class CentralClient:
    """Calls of one device (or of a PC not yet enrolled) to the central API."""

    def __init__(
        self,
        base_url: str,
        *,
        key: SigningKey | None = None,
        device_id: str | None = None,
        clock_offset: int = 0,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
        on_clock_offset: Callable[[int], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.prefix = urlsplit(self.base_url).path
        self.key = key
        self.device_id = device_id
        self.clock_offset = clock_offset
        self.session = session or requests.Session()
        self.timeout = timeout
        self.on_clock_offset = on_clock_offset

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def clone(self) -> CentralClient:
        """Return a client with the same identity and its own connections (one per thread)."""
        twin = CentralClient(
            self.base_url,
            key=self.key,
            device_id=self.device_id,
            clock_offset=self.clock_offset,
            timeout=self.timeout,
            on_clock_offset=self.on_clock_offset,
        )
        twin.session.trust_env = self.session.trust_env
        return twin

    # Calls

    def health(self) -> dict[str, Any]:
        """Ask whether the server is up (unsigned)."""
        return self._call("GET", "/healthz", signed=False, api=False)

    def enroll(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        """Send a signed enrollment request (the new key's proof of possession)."""
        return self._call("POST", "/enroll", body=envelope, signed=False)

    def rotate_key(self, envelope: Mapping[str, Any]) -> dict[str, Any]:
        """Send a key rotation signed by the old and the new key."""
        return self._call("POST", "/devices/rotate", body=envelope)

    def me(self) -> dict[str, Any]:
        """Ask what central holds of this device (status, last sequence; 13.6)."""
        return self._call("GET", "/devices/me")

    def push_bundles(self, envelopes: Sequence[bytes]) -> list[dict[str, Any]]:
        """Send a batch of bundles (their stored bytes, verbatim) and return one result each."""
        # The envelopes are spliced in as stored: never re-serialized, so their bytes are the ones
        # signed and kept in the outbox.
        body = b'{"bundles":[' + b",".join(envelopes) + b"]}"
        answer = self._call("POST", "/bundles", raw=body)
        results = answer.get("results")
        if not isinstance(results, list) or len(results) != len(envelopes):
            raise Offline("bad answer to /bundles")
        return results

    def blob_status(self, sha256: str) -> dict[str, Any]:
        """Ask how much of a blob the server holds (404 → ApiError not_found)."""
        return self._call("GET", f"/blobs/{sha256}")

    def start_blob(self, sha256: str, size: int, media_type: str) -> dict[str, Any]:
        """Announce an upload before sending any byte; returns the offset to continue from."""
        return self._call(
            "POST", "/blobs", body={"sha256": sha256, "size": size, "media_type": media_type}
        )

    def create_blob(
        self, sha256: str, size: int, media_type: str, first_chunk: bytes
    ) -> dict[str, Any]:
        """Announce an upload with its first chunk in the same request; returns the offset."""
        headers = {
            "Content-Type": "application/offset+octet-stream",
            "Upload-Length": str(size),
            "Upload-Media-Type": media_type,
            "Upload-Checksum": _checksum(first_chunk),
        }
        return self._call("POST", f"/blobs/{sha256}", raw=first_chunk, headers=headers)

    def send_chunk(self, sha256: str, offset: int, chunk: bytes) -> dict[str, Any]:
        """Send one chunk at an offset, with its checksum; returns the new offset."""
        headers = {
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": _checksum(chunk),
        }
        return self._call("PATCH", f"/blobs/{sha256}", raw=chunk, headers=headers)

    def send_blob_batch(
        self, blobs: Sequence[tuple[Mapping[str, Any], bytes]]
    ) -> list[dict[str, Any]]:
        """Send several small whole blobs in one request (13.7); return one result each.

        ``blobs`` are (attachment with ``sha256``, ``size``, ``media_type``; its bytes) pairs.
        """
        manifest = [
            {"sha256": a["sha256"], "size": len(data), "media_type": a["media_type"]}
            for a, data in blobs
        ]
        line = json.dumps({"blobs": manifest}, separators=(",", ":")).encode()
        body = b"".join([line, b"\n", *(data for _, data in blobs)])
        headers = {"Content-Type": stages.BLOB_BATCH_TYPE}
        results = self._call("POST", "/blob-batches", raw=body, headers=headers).get("results")
        if not isinstance(results, list) or [
            r.get("sha256") if isinstance(r, Mapping) else None for r in results
        ] != [m["sha256"] for m in manifest]:
            raise Offline("bad answer to /blob-batches")
        return results

    def blob_piece(self, sha256: str, offset: int, length: int) -> dict[str, Any]:
        """Read a piece of a scan that a case of this device's side names (base64 ``data``)."""
        query = urlencode({"offset": offset, "length": length})
        return self._call("GET", f"/blobs/{sha256}/content?{query}")

    def feed(self, after: int, limit: int = 200, scope: str = "") -> dict[str, Any]:
        """Fetch the next page of this device's feed (or a village's, to relay) after a cursor."""
        query = {"after": after, "limit": limit, **({"scope": scope} if scope else {})}
        return self._call("GET", "/feed?" + urlencode(query))

    # Transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        signed: bool = True,
        api: bool = True,
    ) -> dict[str, Any]:
        full_path = self.prefix + (API if api else "") + path
        data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        send_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            send_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if signed:
                if self.key is None or self.device_id is None:
                    raise Offline("device not enrolled")
                stamp = int(time.time()) + self.clock_offset
                send_headers.update(
                    sign_request(self.key, self.device_id, method, full_path, data, stamp)
                )
            status, answer, retry_after = self._send(method, full_path, data, send_headers)
            if status < 400:
                return answer
            error = answer.get("error") if isinstance(answer.get("error"), Mapping) else {}
            code = str(error.get("code") or f"http_{status}")
            if (
                code == stages.CLOCK_SKEW
                and attempt == 1
                and isinstance(answer.get("server_time"), int)
            ):
                # Sign with the server's clock from now on; report the offset to the user.
                self.clock_offset = int(answer["server_time"]) - int(time.time())
                if self.on_clock_offset:
                    self.on_clock_offset(self.clock_offset)
                continue
            if status == 429 or status >= 500:
                raise Offline(f"HTTP {status} {code}", retry_after=retry_after)
            raise ApiError(status, code, str(error.get("message", "")), answer)
        raise Offline("clock skew persists")

    def _send(
        self, method: str, path: str, data: bytes, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, Any], float | None]:
        url = urlsplit(self.base_url)._replace(path="", query="").geturl() + path
        try:
            response = self.session.request(
                method, url, data=data, headers=dict(headers), timeout=self.timeout
            )
            content = response.content
        except requests.RequestException as error:
            raise Offline(type(error).__name__) from None
        retry_after = _retry_after(response.headers.get("Retry-After"))
        if not response.headers.get("Content-Type", "").startswith("application/json"):
            # A captive portal or a proxy error page answers 200 with HTML: not the API.
            raise Offline(f"HTTP {response.status_code}, not the API", retry_after=retry_after)
        try:
            answer = json.loads(content)
        except ValueError:
            raise Offline(f"HTTP {response.status_code}, truncated answer") from None
        if not isinstance(answer, dict):
            raise Offline(f"HTTP {response.status_code}, unexpected answer")
        return response.status_code, answer, retry_after


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isascii() and value.strip().isdigit():
        return float(value.strip())
    return None


def _checksum(chunk: bytes) -> str:
    """Return the Upload-Checksum header value of a chunk."""
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode("ascii")
