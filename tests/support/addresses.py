"""Requests from another client address: Linux answers on all of 127.0.0.0/8, so a test can play a
stranger at 127.0.0.2 against a server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter


class _SourceAddress(HTTPAdapter):
    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def from_address(http: requests.Session, address: str) -> requests.Session:
    """Make a session's requests leave from ``address`` (a loopback address other than 127.0.0.1)."""
    http.mount("http://", _SourceAddress(address))
    return http
