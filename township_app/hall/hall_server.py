"""Start the hall server's front: its certificate, address, allowed networks and names checked
first, each refusal with a message IT staff can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from staff_pages.host_check import LOOPBACK_NAMES
from sync.errors import N_, InvalidInput
from township_app.hall.certificate import cert_path, certificate_names, key_path
from township_app.hall.tls_front import ClientAddresses, TlsFront, parse_networks, server_context

WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::"})


def hall_front(
    app: Flask,
    upstream_port: int,
    address: str | None,
    port: int | None,
    allow: list[str],
) -> tuple[TlsFront, Any]:
    """Start the TLS front for the app served on ``127.0.0.1:upstream_port``; return it and the
    WSGI app that learns the clients' addresses from it."""
    home = Path(str(app.config["HOME"]))
    address = (address or str(app.config["HALL_ADDRESS"])).strip()
    if not address:
        raise InvalidInput(
            N_("请用 --address 或 HALL_ADDRESS 设置给出大厅服务器在局域网上的地址。"),
            field="address",
        )
    if address in WILDCARD_ADDRESSES:
        raise InvalidInput(
            N_("大厅服务器必须绑定一个具体的局域网地址，不能用 %(address)s（所有网卡）。"),
            field="address",
            address=address,
        )
    networks = parse_networks(list(allow) or str(app.config["HALL_NETWORKS"]))
    if not networks:
        raise InvalidInput(
            N_("请用 --allow 或 HALL_NETWORKS 设置给出允许访问的网段，例如 192.168.1.0/24。"),
            field="allow",
        )
    if not cert_path(home).exists() or not key_path(home).exists():
        raise InvalidInput(
            N_("还没有大厅服务器证书，请先运行 bianmin-township hall-cert。"), field="cert"
        )
    names = certificate_names(home)
    if address.lower() not in names:
        raise InvalidInput(
            N_(
                "证书里没有地址 %(address)s（证书的名称：%(names)s）。请用 hall-cert --force 重做证书。"
            ),
            field="address",
            address=address,
            names="、".join(names),
        )
    port = int(app.config["HALL_PORT"]) if port is None else port
    # Pages answer to the certificate's names and, for the windows' desktops that relay through
    # loopback, the loopback names; any other Host header is refused (DNS rebinding).
    if not str(app.config.get("ALLOWED_HOSTS", "")).strip():
        app.config["ALLOWED_HOSTS"] = ",".join(sorted(set(names) | LOOPBACK_NAMES))
    try:
        front = TlsFront(
            address, port, upstream_port, server_context(cert_path(home), key_path(home)), networks
        ).start()
    except OSError as error:
        raise InvalidInput(
            N_(
                "无法在 %(address)s:%(port)s 上提供服务（%(reason)s）。请检查地址是否属于本机、端口是否被占用。"
            ),
            field="address",
            address=address,
            port=port,
            reason=error.strerror or str(error),
        ) from None
    return front, ClientAddresses(app, front)
