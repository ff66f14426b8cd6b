"""The hall server's front door: TLS on the LAN address, in front of waitress on loopback.

waitress (the app's production WSGI server, on Windows too) speaks no TLS, so the hall server
runs it on a loopback port as always and puts this front on the LAN address: Python's own TLS
(``ssl``) in one asyncio thread, which checks the client's address against the allow-list of
networks, completes the handshake and passes the bytes through unchanged. A client outside the
allow-list gets a page saying so, over the same HTTPS, and never reaches the app.

The app still learns who is asking: the front remembers which loopback port each client's
connection comes from, and ``ClientAddresses`` (WSGI) puts the real address in ``REMOTE_ADDR``
(log-in lockout counts per address) and marks the request HTTPS.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sync.errors import N_, InvalidInput

log = logging.getLogger(__name__)

CHUNK = 65536
HEAD_LIMIT = 16384
HEAD_SECONDS = 10.0
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSED_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>无权访问 · 便民</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto; line-height: 1.6">
<h1>本电脑不在大厅网络的允许范围内</h1>
<p>便民大厅服务器只接受本大厅局域网内窗口电脑的访问。您的电脑地址是 <b>{address}</b>，
不在允许的网段内，请求已拒绝，没有读取或改动任何数据。</p>
<p>如果这台电脑是大厅的窗口电脑，请联系信息化人员把它所在的网段加入大厅服务器的
允许网段（HALL_NETWORKS 设置，或 serve --hall 的 --allow 选项）。</p>
<p lang="en">This computer ({address}) is not in the hall server's allowed networks.</p>
</body></html>
"""


def parse_networks(text: str | Iterable[str]) -> list[Network]:
    """Return the allow-list of networks (comma-separated CIDRs), or refuse a wrong entry."""
    entries = text.split(",") if isinstance(text, str) else list(text)
    networks: list[Network] = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InvalidInput(
                N_("允许网段“%(entry)s”写法不正确，应写成 192.168.1.0/24 这样的网段。"),
                field="allow",
                entry=entry[:60],
            ) from None
    return networks


def address_allowed(address: str, networks: list[Network]) -> bool:
    """Tell whether a client address is in one of the allowed networks."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """Return the TLS settings of the hall server (TLS 1.2 at least)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    return context


class TlsFront:
    """Accept TLS on ``host:port`` from allowed networks and pass each connection to
    ``127.0.0.1:upstream_port``."""

    def __init__(
        self,
        host: str,
        port: int,
        upstream_port: int,
        context: ssl.SSLContext,
        networks: list[Network],
    ) -> None:
        self.host, self.port, self.upstream_port = host, port, upstream_port
        self.context, self.networks = context, networks
        self.clients: dict[int, str] = {}  # loopback port of the app's side → client address
        self.loop = asyncio.new_event_loop()
        self.server: asyncio.Server | None = None
        self.thread = threading.Thread(target=self._run, name="bianmin-hall-tls", daemon=True)
        self._bound = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> TlsFront:
        """Bind the LAN address and serve in the background (raise if the address is taken)."""
        self.thread.start()
        self._bound.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.server = self.loop.run_until_complete(
                asyncio.start_server(
                    self._serve, self.host, self.port, ssl=self.context, backlog=128
                )
            )
            self.port = self.server.sockets[0].getsockname()[1]
        except BaseException as error:  # noqa: BLE001 - told to the starting thread
            self._error = error
            self._bound.set()
            return
        self._bound.set()
        self.loop.run_forever()

    def stop(self) -> None:
        """Stop taking connections and close those open."""
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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername") or ("", 0)
        address = str(peer[0])
        try:
            if not address_allowed(address, self.networks):
                log.warning("hall server: refused a client outside the allowed networks")
                await _refuse(reader, writer, address)
                return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except (TimeoutError, OSError, ssl.SSLError):
            writer.close()
            return
        local_port = up_writer.get_extra_info("sockname")[1]
        self.clients[local_port] = address
        try:
            pumps = [
                asyncio.ensure_future(_pump(reader, up_writer)),
                asyncio.ensure_future(_pump(up_reader, writer)),
            ]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in pumps:
                pump.cancel()
        finally:
            self.clients.pop(local_port, None)
            for side in (up_writer, writer):
                with contextlib.suppress(Exception):
                    side.close()


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ssl.SSLError, ConnectionError, asyncio.CancelledError):
        while chunk := await source.read(CHUNK):
            sink.write(chunk)
            await sink.drain()


async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str) -> None:
    with contextlib.suppress(OSError, ssl.SSLError, ConnectionError, asyncio.TimeoutError):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
            chunk = await asyncio.wait_for(reader.read(4096), HEAD_SECONDS)
            if not chunk:
                break
            head += chunk
        body = REFUSED_PAGE.format(address=address.replace("<", "")[:64]).encode()
        writer.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n"
            b"Cache-Control: no-store\r\n\r\n" + body
        )
        await writer.drain()
    with contextlib.suppress(Exception):
        writer.close()


class ClientAddresses:
    """WSGI: give the app the real client address of a request that came through the front, and
    mark it HTTPS (unless it names a loopback host: a window's desktop relays plain HTTP)."""

    def __init__(self, app: Callable[..., Any], front: TlsFront) -> None:
        self.app, self.front = app, front

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Rewrite the address and scheme, then call the app."""
        if environ.get("REMOTE_ADDR") == "127.0.0.1":
            try:
                client = self.front.clients.get(int(environ.get("REMOTE_PORT", "0")))
            except ValueError:
                client = None
            if client is not None:
                environ["REMOTE_ADDR"] = client
                host = str(environ.get("HTTP_HOST", "")).lower()
                loopback = host.startswith(("127.0.0.1", "localhost", "[::1]"))
                if not loopback:
                    environ["wsgi.url_scheme"] = "https"
                    environ["HTTPS"] = "on"
        return self.app(environ, start_response)
