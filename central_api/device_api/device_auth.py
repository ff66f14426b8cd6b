"""Signed device requests: who is calling, with which key, and whether the request is fresh."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from sync import stages
from sync.errors import InvalidInput
from sync.events import format_time, parse_time
from sync.request_auth import read_signed_request, request_message
from sync.signing import public_key

SEEN_EVERY_SECONDS = 60  # how fresh a device's recorded last contact is kept


@dataclass(frozen=True)
class Caller:
    """An authenticated device and the key that signed its request."""

    device: Mapping[str, Any]
    key_id: str


def authenticate(
    store: CentralStore,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    *,
    window: int,
    skew_alert: int,
    allow_barred: bool = False,
) -> Caller:
    """Check a device request's signature, freshness and nonce, and record the device's clock.

    ``allow_barred`` lets a revoked or quarantined device through (the bundles endpoint answers it
    per bundle, keeping a revoked device's bundles in quarantine).
    """
    try:
        signed = read_signed_request(headers)
    except InvalidInput as error:
        raise Refusal(stages.UNAUTHENTICATED, error.message) from None
    server_time = int(now.timestamp())
    # A nonce lost to a power cut reopens a replay only of a request that is idempotent anyway
    # (bundles answer duplicate, chunks check their offset): no need to wait for the disk.
    with store.light_transaction() as c:
        device, key = store.device_and_key(c, signed.device_id, signed.key_id)
        if device is None:
            raise Refusal(stages.UNKNOWN_DEVICE, "本机未在中心服务器登记。")
        if key is None:
            raise Refusal(stages.UNKNOWN_KEY, "签名密钥不是本机登记的密钥。")
        if key["retired_at"]:
            raise Refusal(stages.KEY_RETIRED, "该密钥已被更换，请使用新密钥。")
        message = request_message(method, path, body, signed.timestamp, signed.nonce)
        try:
            public_key(key["public_key"]).verify(signed.signature, message)
        except InvalidSignature:
            raise Refusal(stages.BAD_SIGNATURE, "请求签名校验失败。") from None
        if not allow_barred and device["status"] == "revoked":
            raise Refusal(stages.DEVICE_REVOKED, "本机已被管理员吊销，不能再同步。")
        if not allow_barred and device["status"] == "quarantined":
            raise Refusal(stages.DEVICE_QUARANTINED, "本机已被隔离（发现分叉），请联系管理员。")
        skew = signed.timestamp - server_time
        _record_clock(store, c, device, skew, now, skew_alert)
        fresh = abs(skew) <= window
        if fresh:
            if random.random() < 0.02:
                # Nonces outside the window can never be replayed: the time check refuses first.
                store.forget_nonces_before(c, server_time - 2 * window)
            if not store.remember_nonce(c, device["device_id"], signed.nonce, server_time):
                raise Refusal(stages.REPLAYED_REQUEST, "该请求已经处理过（重放）。")
    if not fresh:
        # Raised after the commit: the device's clock offset is recorded for the admin.
        raise Refusal(
            stages.CLOCK_SKEW,
            f"本机时钟与服务器相差 {abs(skew)} 秒，请校准时钟。",
            server_time=server_time,
        )
    return Caller(device, signed.key_id)


def _record_clock(
    store: CentralStore, c: Any, device: Mapping[str, Any], skew: int, now: datetime, limit: int
) -> None:
    previous = device["last_skew_seconds"]
    seen = device.get("last_seen_at")
    recent = bool(seen) and (now - parse_time(seen)).total_seconds() < SEEN_EVERY_SECONDS
    if recent and previous is not None and abs(skew - previous) <= 1:
        # A device busy uploading sends many requests a second: its clock and last contact are
        # kept to the nearest minute, not rewritten by each of them.
        return
    store.update_device(
        c, device["device_id"], last_seen_at=format_time(now), last_skew_seconds=skew
    )
    if abs(skew) > limit and (previous is None or abs(previous) <= limit):
        # One alert when a clock drifts out, not one per request.
        store.add_alert(
            c,
            format_time(now),
            "clock_skew",
            device["device_id"],
            f"设备 {device['device_code']}（{device['org_code']}）时钟偏差 {skew} 秒。",
        )
