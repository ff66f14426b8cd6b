"""A window PC using the hall server: the desktop window opens the hall's pages through a relay on
this PC's loopback that speaks TLS to the hall server and pins its certificate's fingerprint.

The webview never meets the self-signed certificate (WebView2 and WebKitGTK would refuse it, and
a clerk must never be taught to click through a warning): it opens ``http://127.0.0.1:<port>/``,
and every connection the relay makes to the hall server is checked against the fingerprint IT
staff read off the hall server at set-up (``HALL_FINGERPRINT``), as enrollment pins central's key.
A hall server showing another certificate gets no byte of the clerk's requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import socket
import ssl
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import Config

from sync.errors import N_, InvalidInput
from township_app.hall.certificate import format_fingerprint, normal_fingerprint
from township_app.hall.tls_front import _pump
from township_app.settings import from_environment

log = logging.getLogger(__name__)

CONNECT_SECONDS = 10.0


def hall_settings(home: Path) -> tuple[str, str] | None:
    """Return the hall server's URL and pinned fingerprint this PC is set to use, or None."""
    config = Config(str(home))
    config.from_mapping(from_environment())
    config.from_pyfile(str(home / "config.py"), silent=True)
    url = str(config.get("HALL_URL", "")).strip()
    if not url:
        return None
    return url, str(config.get("HALL_FINGERPRINT", ""))


def hall_address(url: str) -> tuple[str, int]:
    """Return the host and port of a hall server URL, or refuse one that is not https://."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput(
            N_("大厅服务器地址应写成 https://地址:端口，例如 https://192.168.1.10:8443。"),
            field="hall_url",
        )
    return parts.hostname, parts.port or 443


def _client_context() -> ssl.SSLContext:
    # The chain is not checked against any CA: the fingerprint pinned at set-up is the trust.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _pinned(ssl_object: ssl.SSLObject | ssl.SSLSocket | None, pinned: str) -> bool:
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    return bool(der) and hmac.compare_digest(format_fingerprint(der), pinned)


def check_hall(url: str, fingerprint: str) -> None:
    """Connect to the hall server once and check its certificate's fingerprint, or raise a
    refusal that says what to do."""
    pinned = normal_fingerprint(fingerprint)
    host, port = hall_address(url)
    try:
        with (
            socket.create_connection((host, port), timeout=CONNECT_SECONDS) as raw,
            _client_context().wrap_socket(raw, server_hostname=host) as tls,
        ):
            if _pinned(tls, pinned):
                return
            shown = format_fingerprint(tls.getpeercert(binary_form=True) or b"")
    except (OSError, ssl.SSLError) as error:
        raise InvalidInput(
            N_("连接不上大厅服务器 %(url)s（%(reason)s）。请检查网线和大厅服务器是否开着。"),
            field="hall_url",
            url=url,
            reason=getattr(error, "strerror", None) or str(error)[:120],
        ) from None
    raise InvalidInput(
        N_(
            "大厅服务器的证书指纹与设置的不一致（对方是 %(shown)s）。可能连错了电脑或有人冒充，已停止连接。请信息化人员核对指纹。"  # noqa: E501
        ),
        field="fingerprint",
        shown=shown,
    )


class PinnedRelay:
    """Relay connections from ``127.0.0.1:<port>`` to the hall server over TLS, pinned."""

    def __init__(self, url: str, fingerprint: str) -> None:
        self.host, self.hall_port = hall_address(url)
        self.pinned = normal_fingerprint(fingerprint)
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.thread = threading.Thread(target=self._run, name="bianmin-hall-relay", daemon=True)
        self._bound = threading.Event()

    @property
    def url(self) -> str:
        """Return the address the window opens."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> PinnedRelay:
        """Listen on a free loopback port and relay in the background."""
        self.thread.start()
        self._bound.wait(30)
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", 0)
        )
        self.port = self.server.sockets[0].getsockname()[1]
        self._bound.set()
        self.loop.run_forever()

    def stop(self) -> None:
        """Stop relaying."""
        if self.server is None or not self.thread.is_alive():
            return

        async def close() -> None:
            assert self.server is not None
            self.server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.host, self.hall_port, ssl=_client_context(), server_hostname=self.host
                ),
                CONNECT_SECONDS,
            )
        except (TimeoutError, OSError, ssl.SSLError) as error:
            log.warning("hall server unreachable: %s", error)
            writer.close()
            return
        if not _pinned(up_writer.get_extra_info("ssl_object"), self.pinned):
            log.error("the hall server's certificate is not the pinned one: connection dropped")
            for side in (up_writer, writer):
                side.close()
            return
        try:
            pumps = [
                asyncio.ensure_future(_pump(reader, up_writer)),
                asyncio.ensure_future(_pump(up_reader, writer)),
            ]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in pumps:
                pump.cancel()
        finally:
            for side in (up_writer, writer):
                with contextlib.suppress(Exception):
                    side.close()
