"""How a notification leaves central: a sender chosen by the NOTIFY_SENDER setting.

``log`` (the default) writes the stage and the case number to the log and sends nothing: a fresh
install works without an SMS contract. ``sms_gateway`` posts the message as JSON to the gateway of
the operator's SMS provider (or a small adapter in front of it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests

log = logging.getLogger(__name__)

LOG = "log"
SMS_GATEWAY = "sms_gateway"
SENDERS = (LOG, SMS_GATEWAY)


@dataclass(frozen=True)
class Message:
    """One notification to send."""

    to: str
    text: str
    case_number: str
    stage: str


class SendFailed(Exception):
    """The message was not delivered; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Sender(Protocol):
    """Deliver one message or raise ``SendFailed``."""

    def send(self, message: Message) -> None: ...


class LogSender:
    """Write the stage and case number to the log (never the phone number or the text)."""

    def send(self, message: Message) -> None:
        """Log that a message would have been sent."""
        log.info("notification %s for case %s (log only)", message.stage, message.case_number)


class SmsGatewaySender:
    """POST ``{to, text, case_number, stage}`` as JSON to an SMS gateway; 2xx means accepted."""

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.session = requests.Session()

    def send(self, message: Message) -> None:
        """Post one message to the gateway."""
        body = {
            "to": message.to,
            "text": message.text,
            "case_number": message.case_number,
            "stage": message.stage,
        }
        try:
            response = self.session.post(
                self.url, json=body, headers=self.headers, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise SendFailed(f"短信网关无法连接：{type(error).__name__}") from None
        if 200 <= response.status_code < 300:
            return
        # A refusal of the message itself (bad number, bad token) does not get better by waiting;
        # an overloaded or broken gateway may.
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        raise SendFailed(f"短信网关答复 HTTP {response.status_code}", permanent=permanent)


def make_sender(config: Mapping[str, Any]) -> Sender:
    """Return the sender the settings choose."""
    kind = str(config.get("NOTIFY_SENDER") or LOG)
    if kind == LOG:
        return LogSender()
    if kind == SMS_GATEWAY:
        url = str(config.get("SMS_GATEWAY_URL") or "")
        if not url.startswith(("http://", "https://")):
            raise ValueError(
                "NOTIFY_SENDER=sms_gateway 需要设置 SMS_GATEWAY_URL（http:// 或 https://）"
            )
        return SmsGatewaySender(
            url,
            token=str(config.get("SMS_GATEWAY_TOKEN") or ""),
            timeout=float(config.get("SMS_GATEWAY_TIMEOUT_SECONDS") or 10),
        )
    raise ValueError(f"NOTIFY_SENDER 应为 {' 或 '.join(SENDERS)}，而不是 {kind}")
