"""Faulty links between a township PC and the central server, for tests and benchmarks.

``FaultProxy`` is an HTTP proxy that, request by request and from a seeded random stream, drops the
request, forwards it and then loses the answer, resets the connection, answers 502 itself, cuts the
answer half-way, or delays it. ``CuttingProxy`` works on raw TCP and cuts every connection each time
another ``cut_every`` bytes have gone up, like a village link that drops every few hundred KB.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("drop", "lose_answer", "reset", "bad_gateway", "truncate", "delay")


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class _QuietServer(ThreadingHTTPServer):
    """The proxy's server: a client that hangs up midway (the township giving up on a delayed or
    truncated answer, which is the point) is no error to print."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class FaultProxy:
    """An HTTP proxy on loopback that injects one fault into a share of the requests."""

    def __init__(
        self,
        upstream: str,
        *,
        fault_rate: float = 0.3,
        faults: tuple[str, ...] = FAULTS,
        seed: int = 4,
        delay_seconds: float = 0.3,
    ) -> None:
        self.upstream = urlsplit(upstream)
        self.fault_rate = fault_rate
        self.faults = faults
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.delay_seconds = delay_seconds
        self.counts: Counter[str] = Counter()
        self.enabled = True  # faults on; set False for a clean link
        self.link_up = True  # set False to cut the link entirely (every connection reset)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def _any(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _any  # noqa: N815

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()

    def _choose(self) -> str | None:
        with self.lock:
            if not self.link_up:
                self.counts["link_down"] += 1
                return "drop"
            if not self.enabled or self.random.random() >= self.fault_rate:
                self.counts["clean"] += 1
                return None
            fault = self.random.choice(self.faults)
            self.counts[fault] += 1
            return fault

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._choose()
        if fault == "drop":
            _reset(handler.connection)
            handler.close_connection = True
            return
        if fault == "bad_gateway":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            handler.send_response(502)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(page)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(page)
            handler.close_connection = True
            return
        if fault == "delay":
            time.sleep(self.delay_seconds)
        upstream = http.client.HTTPConnection(
            self.upstream.hostname, self.upstream.port, timeout=60
        )
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host",)}
        try:
            upstream.request(handler.command, handler.path, body=body, headers=headers)
            answer = upstream.getresponse()
            content = answer.read()
        except OSError:
            _reset(handler.connection)
            handler.close_connection = True
            return
        finally:
            upstream.close()
        if fault in ("lose_answer", "reset"):
            # The server has done the work; the device never hears of it.
            _reset(handler.connection)
            handler.close_connection = True
            return
        handler.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if fault == "truncate":
            handler.wfile.write(content[: len(content) // 2])
            handler.wfile.flush()
            _reset(handler.connection)
        else:
            handler.wfile.write(content)
        handler.close_connection = True


class CuttingProxy:
    """A TCP proxy that cuts all its connections each time ``cut_every`` more bytes went up."""

    def __init__(self, upstream: str, *, cut_every: int) -> None:
        self.upstream = urlsplit(upstream)
        self.cut_every = cut_every
        self.sent_up = 0
        self.cuts = 0
        self.bytes_up = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def start(self) -> CuttingProxy:
        """Start accepting connections."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting connections."""
        self.running = False
        self.listener.close()

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection((self.upstream.hostname, self.upstream.port))
            threading.Thread(target=self._pipe_up, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe_down, args=(server, client), daemon=True).start()

    def _pipe_up(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                data = client.recv(16384)
                if not data:
                    break
                with self.lock:
                    room = self.cut_every - self.sent_up
                    piece = data[:room]
                    self.sent_up += len(piece)
                    self.bytes_up += len(piece)
                    cut = self.sent_up >= self.cut_every
                    if cut:
                        self.sent_up = 0
                        self.cuts += 1
                server.sendall(piece)
                if cut:
                    _reset(client)
                    _reset(server)
                    return
        except OSError:
            _reset(client)
            _reset(server)

    def _pipe_down(self, server: socket.socket, client: socket.socket) -> None:
        try:
            while True:
                data = server.recv(16384)
                if not data:
                    break
                client.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (client, server):
                try:
                    sock.close()
                except OSError:
                    pass
