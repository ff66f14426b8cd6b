"""The township app's local server for the desktop window: waitress on a free loopback port, in a
thread of its own, stopped from the window's thread without cutting a request in half."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)

PROBE_PATH = "/auth/login"


class LocalServer:
    """Serve a WSGI app on 127.0.0.1 at a port the OS picks."""

    def __init__(self, app: Callable[..., Any], threads: int = 4) -> None:
        self.server: Any = create_server(app, host="127.0.0.1", port=0, threads=threads)
        # waitress reports the port it really bound (a string for port 0).
        self.port = int(self.server.effective_port)
        self.thread = threading.Thread(target=self.server.run, name="bianmin-http", daemon=True)

    @property
    def url(self) -> str:
        """Return the address the window opens."""
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> LocalServer:
        """Start serving in the background."""
        self.thread.start()
        return self

    def wait_until_answering(self, timeout: float = 30.0) -> bool:
        """Wait until the log-in page answers over HTTP; return whether it did in time."""
        deadline = time.monotonic() + timeout
        with requests.Session() as http:
            while time.monotonic() < deadline:
                try:
                    if http.get(self.url.rstrip("/") + PROBE_PATH, timeout=5).status_code < 500:
                        return True
                except requests.RequestException:
                    pass
                time.sleep(0.05)
        return False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking connections, let requests in flight finish, then close everything."""
        server = self.server
        if not self.thread.is_alive():
            server.close()
            return
        # wasyncore is not thread-safe: sockets are closed by the loop's own thread (a trigger
        # thunk runs there), never from this one.
        # First the listening socket only (server.close() would close the trigger too).
        _in_loop(server, lambda: wasyncore.dispatcher.close(server))
        server.task_dispatcher.shutdown(timeout=timeout)

        def close_the_rest() -> None:
            for channel in list(server._map.values()):
                channel.close()  # open connections, then the trigger: the loop ends on an empty map

        _in_loop(server, close_the_rest)
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("local server did not stop within %s s", timeout)


def _in_loop(server: Any, thunk: Callable[[], None]) -> None:
    """Run ``thunk`` on the server loop's thread, unless the loop has already closed its trigger.

    Seen once in CI on closing: the trigger's pipe was already closed when the second thunk was
    sent (``OSError: Bad file descriptor``), and a clean close ended as "the window failed". The
    loop is ending then anyway; the caller's join waits for it.
    """
    try:
        server.trigger.pull_trigger(thunk)
    except OSError as error:
        log.info("local server loop already closing (%s)", error)
