"""This PC as a device of the central server: enrollment (network or file), its client, key rotation.

The key pair is made here and the private key never leaves the data folder. Enrollment pins the
central server's public key; from then on only receipts and feed entries signed by it are trusted.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync import stages
from sync.agency import read_device_certificate
from sync.case_numbers import QUERY_CODE_ALPHABET
from sync.client import ApiError, CentralClient, Offline
from sync.enrollment import EnrollmentRequest, make_enrollment_request, make_rotation_request
from sync.errors import N_, Conflict, DomainError, InvalidInput, NotAllowed
from sync.events import format_time, utc_now
from sync.signing import SigningKey, b64decode, key_id
from township_app.device_sync import device_keys
from township_app.stores.store import Store

log = logging.getLogger(__name__)

# What each refusal means for the person at the PC (a client decides from the code, never the text).
MESSAGES = {
    stages.ENROLLMENT_CODE_INVALID: N_(
        "注册码无效、已被使用或已过期，或不是为本单位签发的。请向中心管理员重新申请注册码。"
    ),
    stages.ENROLLMENT_CONFLICT: N_(
        "中心已登记了相同的设备标识或设备代码：本机可能已经注册过，或与另一台电脑冲突。"
        "请联系中心管理员核对。"
    ),
    stages.BAD_SIGNATURE: N_("中心服务器认为本机的签名无效，请联系信息化人员。"),
    stages.UNKNOWN_DEVICE: N_("中心服务器不认识本机，请重新注册本机。"),
    stages.UNKNOWN_KEY: N_("中心服务器不认识本机的密钥，请重新注册本机或联系中心管理员。"),
    stages.KEY_RETIRED: N_("本机的密钥已被更换，请联系信息化人员完成密钥更换。"),
    stages.DEVICE_REVOKED: N_("本机已被中心吊销，不能再上报办件。请联系中心管理员。"),
    stages.DEVICE_QUARANTINED: N_(
        "中心发现本机的数据有冲突（可能是复制的硬盘或被盗的密钥），已暂停本机同步。请联系中心管理员。"
    ),
    stages.CLOCK_SKEW: N_("本机时钟与中心服务器相差太大，请校准电脑时间。"),
    stages.MALFORMED_REQUEST: N_("中心服务器无法理解本机的请求，请升级本软件或联系信息化人员。"),
    "offline": N_("无法连接中心服务器，请检查网络和服务器地址；联网后将自动重试。"),
}


class EnrollmentFailed(DomainError):
    """Enrollment did not complete; the message says what to do."""

    code = "enrollment_failed"


def describe(error: DomainError) -> tuple[str, str]:
    """Return (code, message for people) for an error met while talking to central."""
    if isinstance(error, Offline):
        return "offline", MESSAGES["offline"]
    if isinstance(error, ApiError):
        return error.code, MESSAGES.get(error.code, error.server_message or error.message)
    return getattr(error, "code", "error"), error.message


def enrollment(store: Store) -> dict[str, Any]:
    """Return this PC's enrollment state (server, key ids, fingerprints)."""
    state = store.sync.state()
    return {
        **state,
        "enrolled": bool(state["enrolled_at"]),
        "fingerprint": device_keys.fingerprint(state["key_id"]) if state["key_id"] else "",
        "central_fingerprint": (
            device_keys.fingerprint(state["central_key_id"]) if state["central_key_id"] else ""
        ),
    }


def _device(store: Store) -> dict[str, Any]:
    device = store.device()
    if device is None:
        raise NotAllowed(N_("本机尚未初始化，请联系信息化人员运行 bianmin-township init。"))
    return device


def _key_for_enrollment(store: Store, home: Path) -> SigningKey:
    if enrollment(store)["enrolled"]:
        raise Conflict(N_("本机已经在中心注册过了。"))
    # Reuse a key made by an earlier attempt whose answer was lost: the request stays the same.
    key = device_keys.load_key(home)
    if key is None:
        key = SigningKey.generate()
        device_keys.save_key(home, key)
    return key


def enrollment_request(store: Store, home: Path, code: str, label: str) -> bytes:
    """Make (or remake) this PC's key and return its signed enrollment request."""
    code = code.strip()
    if not code:
        raise InvalidInput(N_("请填写中心管理员给出的注册码。"), field="code")
    device = _device(store)
    key = _key_for_enrollment(store, home)
    request = EnrollmentRequest(
        code=code,
        device_id=device["device_id"],
        device_code=device["device_code"],
        org_code=device["org_code"],
        public_key=key.public_bytes,
        label=label.strip()[:100],
        at=format_time(utc_now()),
    )
    return make_enrollment_request(key, request).to_json()


def enroll_from_stick(store: Store, home: Path, folder: Path) -> dict[str, Any] | None:
    """Complete an enrollment by file from central's answer on a USB stick, if this PC is not
    enrolled yet and the answer for it is there; return the enrollment state, or None."""
    from sync import usb

    device = store.device()
    if device is None or store.sync.state()["enrolled_at"]:
        return None
    raw = usb.read_enrollment_answer(folder, device["device_id"])
    if raw is None:
        return None
    try:
        answer = json.loads(raw)
    except ValueError:
        raise EnrollmentFailed(N_("U 盘上的注册答复文件已损坏，请在中心重新导出。")) from None
    if not isinstance(answer, dict):
        raise EnrollmentFailed(N_("U 盘上的注册答复文件已损坏，请在中心重新导出。"))
    return complete_enrollment(store, home, answer, server_url="")


def complete_enrollment(
    store: Store,
    home: Path,
    answer: Mapping[str, Any],
    *,
    server_url: str,
    fingerprint: str = "",
) -> dict[str, Any]:
    """Check central's answer to an enrollment and pin its key; return the enrollment state."""
    device = _device(store)
    key = device_keys.load_key(home)
    if key is None:
        raise EnrollmentFailed(N_("本机没有待注册的密钥，请先生成注册申请。"))
    try:
        central_key = b64decode(answer.get("central_public_key"), "central_public_key")
    except InvalidInput:
        raise EnrollmentFailed(N_("中心服务器的答复不完整，请重试。")) from None
    central_id = key_id(central_key)
    if len(central_key) != 32 or answer.get("central_key_id") != central_id:
        raise EnrollmentFailed(N_("中心服务器的答复不完整，请重试。"))
    if answer.get("device_id") != device["device_id"] or answer.get("key_id") != key.key_id:
        raise EnrollmentFailed(N_("中心服务器的答复不是针对本机的注册申请，已停止注册。"))
    if fingerprint and not device_keys.same_fingerprint(fingerprint, central_id):
        raise EnrollmentFailed(
            N_(
                "中心服务器的密钥指纹（%(got)s）与管理员告知的（%(given)s）不一致：可能连接到了"
                "假冒的服务器，已停止注册。"
            ),
            got=device_keys.fingerprint(central_id),
            given=fingerprint,
        )
    certificate = _certificate(answer, {central_id: central_key}, device["device_id"], key.key_id)
    with store.write():
        store.sync.record_enrollment(
            server_url=server_url.rstrip("/"),
            key_id=key.key_id,
            central_public_key=answer["central_public_key"],
            central_key_id=central_id,
            at=format_time(utc_now()),
        )
        if certificate:
            store.sync.update_state(device_certificate=certificate)
        public_address = answer.get("public_address")
        if public_address is not None:
            # Central's signed public progress address, checked with the key just pinned: the
            # first receipt prints it (the feed carries it too, and skips it then as applied).
            from township_app.device_sync.feed_down import apply_entry

            apply_entry(store, 0, public_address, {central_id: central_key}, now=utc_now())
    log.info("enrolled with central key %s", device_keys.fingerprint(central_id))
    return enrollment(store)


def _certificate(
    answer: Mapping[str, Any], keys: Mapping[str, bytes], device_id: str, own_key_id: str
) -> str:
    """Return central's certificate of this PC's key from an answer, checked, as JSON ("" if none).

    Older servers send none; a village PC then cannot send bundles by USB stick until it has one.
    """
    raw = answer.get("device_certificate")
    if raw is None:
        return ""
    try:
        certificate = read_device_certificate(raw, keys)
    except DomainError:
        raise EnrollmentFailed(N_("中心服务器发来的设备证书无效，已停止。")) from None
    if certificate.device_id != device_id or certificate.key_id != own_key_id:
        raise EnrollmentFailed(N_("中心服务器发来的设备证书不是本机的，已停止。"))
    return json.dumps(raw, sort_keys=True, separators=(",", ":"))


def enroll(
    store: Store,
    home: Path,
    *,
    server_url: str,
    code: str,
    label: str = "",
    fingerprint: str = "",
    client: CentralClient | None = None,
) -> dict[str, Any]:
    """Enroll this PC with the central server using a one-time code, and pin its key."""
    server_url = server_url.strip()
    if not server_url.startswith(("http://", "https://")):
        raise InvalidInput(
            N_("请填写中心服务器地址，以 http:// 或 https:// 开头。"), field="server"
        )
    client = client or CentralClient(server_url)
    refused = ""
    for _ in range(CODE_ATTEMPTS):
        request = enrollment_request(store, home, code, label)
        try:
            answer = client.enroll(json.loads(request))
        except ApiError as error:
            refused = describe(error)[1]
            # The code was not used: another PC of the unit holds this two-character device code.
            if error.body.get("device_code_taken") and _take_another_device_code(store):
                continue
            raise EnrollmentFailed(refused) from None
        except Offline as error:
            raise EnrollmentFailed(describe(error)[1]) from None
        return complete_enrollment(
            store, home, answer, server_url=server_url, fingerprint=fingerprint
        )
    raise EnrollmentFailed(refused)


CODE_ATTEMPTS = 8  # a two-character code is taken by another PC of the unit about 1 time in 900


def _take_another_device_code(store: Store) -> bool:
    """Pick another device code if this PC has written nothing yet (no case number carries it)."""
    device = _device(store)
    if device["writer_seq"]:
        return False
    with store.write():
        store.change_device_code(
            "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(len(device["device_code"])))
        )
    return True


def central_keys(store: Store) -> dict[str, bytes]:
    """Return the pinned central key as the verifier's key map."""
    state = store.sync.state()
    if not state["central_key_id"]:
        raise NotAllowed(N_("本机尚未在中心注册。"))
    return {state["central_key_id"]: b64decode(state["central_public_key"], "central_public_key")}


def fetch_certificate(store: Store, client: CentralClient) -> None:
    """Ask central for its certificate of this PC's key (a PC enrolled before certificates)."""
    answer = client.me()
    state = store.sync.state()
    certificate = _certificate(
        answer, central_keys(store), _device(store)["device_id"], state["key_id"]
    )
    if certificate:
        with store.write():
            store.sync.update_state(device_certificate=certificate)


def make_client(store: Store, home: Path, override_url: str = "") -> CentralClient:
    """Return the signed client of this enrolled device."""
    state = store.sync.state()
    key = device_keys.load_key(home)
    if not state["enrolled_at"] or key is None:
        raise NotAllowed(N_("本机尚未在中心注册。"))

    def remember_offset(offset: int) -> None:
        with store.write():
            store.sync.update_state(clock_offset=offset)

    return CentralClient(
        override_url or state["server_url"],
        key=key,
        device_id=_device(store)["device_id"],
        clock_offset=state["clock_offset"],
        on_clock_offset=remember_offset,
    )


def rotate_key(store: Store, home: Path, override_url: str = "") -> str:
    """Replace this device's key with a new one (signed by both), and return the new key id."""
    sync = store.sync
    old = device_keys.load_key(home)
    client = make_client(store, home, override_url)
    assert old is not None
    if finish_rotation(store, home, client):
        return sync.state()["key_id"]
    if sync.sendable(1, columns="sequence"):
        # A waiting bundle signed by the old key would be refused after the change.
        raise NotAllowed(N_("还有案卷包等待上报：请先联网同步，全部送达后再更换密钥。"))
    new = device_keys.load_key(home, device_keys.NEXT_FILE)
    if new is None:
        new = SigningKey.generate()
        device_keys.save_key(home, new, device_keys.NEXT_FILE)
    with store.write():
        sync.update_state(pending_key_id=new.key_id)
    envelope = make_rotation_request(old, new, _device(store)["device_id"], format_time(utc_now()))
    try:
        answer = client.rotate_key(json.loads(envelope.to_json()))
    except (Offline, ApiError) as error:
        raise EnrollmentFailed(describe(error)[1]) from None
    _adopt_next_key(store, home, new, answer)
    client.key = new
    try:
        client.me()  # confirmation: central knows the new key
        device_keys.forget_previous_key(home)
    except (Offline, ApiError):
        log.warning("rotation done; the old key stays as backup until central confirms")
    return new.key_id


def finish_rotation(store: Store, home: Path, client: CentralClient) -> bool:
    """Adopt a new key that central accepted before this PC could record it (a lost answer)."""
    new = device_keys.load_key(home, device_keys.NEXT_FILE)
    if new is None:
        return False
    trial = CentralClient(
        client.base_url, key=new, device_id=client.device_id, clock_offset=client.clock_offset
    )
    try:
        answer = trial.me()
    except (Offline, ApiError):
        return False
    _adopt_next_key(store, home, new, answer)
    return True


def _adopt_next_key(
    store: Store, home: Path, new: SigningKey, answer: Mapping[str, Any] | None = None
) -> None:
    certificate = ""
    if answer:
        try:
            certificate = _certificate(
                answer, central_keys(store), _device(store)["device_id"], new.key_id
            )
        except EnrollmentFailed:
            log.warning("central's certificate of the new key did not verify")
    device_keys.promote_next_key(home)
    with store.write():
        store.sync.update_state(key_id=new.key_id, pending_key_id="")
        if certificate:
            store.sync.update_state(device_certificate=certificate)
    log.info("device key replaced: %s", device_keys.fingerprint(new.key_id))
