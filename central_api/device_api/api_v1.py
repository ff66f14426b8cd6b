"""The device API under /api/v1 (docs/protocol.md section 13): thin views over the domain modules.

Every refusal becomes ``{"error": {"code", "message"}}`` here, in one place; no input, however
malformed, is answered with a 500.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from werkzeug.exceptions import ClientDisconnected, HTTPException, RequestEntityTooLarge

from central_api.device_api import blob_batches, blobs, blobs_down, enrollment, ingest
from central_api.device_api.api_numbers import ascii_number
from central_api.device_api.bundle_body import bundle_envelopes
from central_api.device_api.device_auth import Caller, authenticate
from central_api.errors import Refusal
from central_api.review import publish
from central_api.stores import public_store
from central_api.stores.store import CentralStore
from central_api.web import http_error_page
from sync import stages
from sync.agency import is_village_code, township_of
from sync.errors import Conflict, DomainError, InvalidInput, NotAllowed
from sync.events import format_time, utc_now
from sync.signing import SigningKey, strict_loads

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

MAX_CURSOR = 2**53  # the protocol's integers; a larger one would overflow the database's
log = logging.getLogger(__name__)

STATUS = {
    stages.MALFORMED_REQUEST: 400,
    stages.UNAUTHENTICATED: 401,
    stages.UNKNOWN_DEVICE: 401,
    stages.UNKNOWN_KEY: 401,
    stages.KEY_RETIRED: 401,
    stages.BAD_SIGNATURE: 401,
    stages.CLOCK_SKEW: 401,
    stages.REPLAYED_REQUEST: 401,
    stages.DEVICE_REVOKED: 403,
    stages.DEVICE_QUARANTINED: 403,
    stages.ENROLLMENT_CODE_INVALID: 400,
    stages.ENROLLMENT_CONFLICT: 409,
    stages.MALFORMED_ENVELOPE: 400,
    stages.WRONG_PAYLOAD_TYPE: 400,
    stages.MALFORMED_PAYLOAD: 400,
    stages.KEY_MISMATCH: 400,
    stages.BATCH_TOO_LARGE: 413,
    stages.OFFSET_MISMATCH: 409,
    stages.CHUNK_CHECKSUM_MISMATCH: 400,
    stages.BLOB_HASH_MISMATCH: 400,
    stages.BLOB_TOO_LARGE: 413,
    stages.NOT_FOUND: 404,
    stages.RATE_LIMITED: 429,
}


def _store() -> CentralStore:
    return current_app.extensions["central_store"]


def _central_key() -> SigningKey:
    return current_app.extensions["central_key"]


def _home() -> Path:
    return Path(current_app.config["CENTRAL_HOME"])


def _signed_path() -> str:
    query = request.query_string.decode("latin-1")
    return request.script_root + request.path + ("?" + query if query else "")


def _body() -> bytes:
    """Return the request's body, read once, in one piece.

    Werkzeug's ``get_data`` reads 64 KB at a time into a growing buffer and copies the whole at
    the end: for a batch of scans (4 MB) that took three times as long as one read, and longer
    than hashing the body for its signature.
    """
    if "body" not in g:
        length = request.content_length
        if length is None:  # no Content-Length (chunked): werkzeug knows how to read that
            g.body = request.get_data(cache=True)
        elif request.max_content_length is not None and length > request.max_content_length:
            raise RequestEntityTooLarge()
        else:
            g.body = request.environ["wsgi.input"].read(length)
            if len(g.body) != length:
                raise ClientDisconnected()
    return g.body


def _caller(*, allow_barred: bool = False) -> Caller:
    return authenticate(
        _store(),
        request.headers,
        request.method,
        _signed_path(),
        _body(),
        utc_now(),
        window=int(current_app.config["REQUEST_WINDOW_SECONDS"]),
        skew_alert=int(current_app.config["SKEW_ALERT_SECONDS"]),
        allow_barred=allow_barred,
    )


def _json_body() -> Any:
    try:
        return strict_loads(_body())
    except RecursionError:
        raise Refusal(stages.MALFORMED_REQUEST, "请求内容嵌套过深。") from None
    except InvalidInput as error:
        raise Refusal(
            stages.MALFORMED_REQUEST, f"请求内容不是有效的 JSON：{error.message}"
        ) from None


def _error(code: str, message: str, status: int, **extra: Any) -> Response:
    response = jsonify({"error": {"code": code, "message": message}, **extra})
    response.status_code = status
    return response


@bp.post("/enroll")
def enroll() -> Any:
    """Enroll a device from its signed request and one-time code."""
    answer = enrollment.enroll(_store(), _central_key(), _json_body(), utc_now())
    return jsonify(answer), 201


@bp.post("/devices/rotate")
def rotate() -> Any:
    """Replace the calling device's key (signed by the old and the new key)."""
    caller = _caller()
    return jsonify(
        enrollment.rotate_key(
            _store(), _central_key(), caller.device, caller.key_id, _json_body(), utc_now()
        )
    )


@bp.get("/devices/me")
def me() -> Any:
    """Tell the calling device what central holds of it."""
    caller = _caller()
    device = caller.device
    with _store().reading() as c:
        device = _store().device(c, device["device_id"]) or device
        key = _store().key(c, caller.key_id)
    certificate = enrollment.device_certificate(_central_key(), device, key) if key else None
    return jsonify(
        device_certificate=certificate,
        device_id=device["device_id"],
        org_code=device["org_code"],
        status=device["status"],
        last_sequence=device["last_sequence"],
        last_bundle_hash=device["last_bundle_hash"],
        last_writer_seq=device["last_writer_seq"],
        server_time=int(utc_now().timestamp()),
    )


@bp.post("/blobs")
def announce_blob() -> Any:
    """Remember an upload before any byte is sent; answer the offset to continue from."""
    _caller()
    body = _json_body()
    if not isinstance(body, dict):
        raise Refusal(stages.MALFORMED_REQUEST, "请求内容应为 JSON 对象。")
    return jsonify(
        blobs.announce_blob(
            _store(),
            _home(),
            body.get("sha256"),
            body.get("size"),
            body.get("media_type"),
            utc_now(),
        )
    )


@bp.post("/blobs/<sha256>")
def create_blob_with_upload(sha256: str) -> Any:
    """Announce an upload and append its first chunk in one request (tus creation-with-upload)."""
    _caller()
    _octet_stream()
    length = ascii_number(request.headers.get("Upload-Length"))
    if length is None:
        raise Refusal(stages.MALFORMED_REQUEST, "缺少或无法识别 Upload-Length。")
    return jsonify(
        blobs.create_with_upload(
            _store(),
            _home(),
            sha256,
            length,
            request.headers.get("Upload-Media-Type"),
            request.headers.get("Upload-Checksum"),
            _body(),
            utc_now(),
        )
    )


@bp.get("/blobs/<sha256>")
def blob_status(sha256: str) -> Any:
    """Tell how much of a blob the server holds."""
    _caller()
    return jsonify(blobs.blob_status(_store(), sha256))


@bp.patch("/blobs/<sha256>")
def upload_chunk(sha256: str) -> Any:
    """Append one checksummed chunk of a blob at the held offset."""
    _caller()
    _octet_stream()
    return jsonify(
        blobs.append_chunk(
            _store(),
            _home(),
            sha256,
            request.headers.get("Upload-Offset"),
            request.headers.get("Upload-Checksum"),
            _body(),
        )
    )


@bp.post("/blob-batches")
def upload_blob_batch() -> Any:
    """Keep several small whole blobs sent in one request; answer one result per blob."""
    _caller()
    if request.mimetype != stages.BLOB_BATCH_TYPE:
        raise Refusal(
            stages.MALFORMED_REQUEST, f"批量上传的 Content-Type 应为 {stages.BLOB_BATCH_TYPE}。"
        )
    body = _body()
    batch = blob_batches.read_batch(body)
    return jsonify(results=blob_batches.store_batch(_store(), _home(), body, batch, utc_now()))


@bp.get("/blobs/<sha256>/content")
def download_blob(sha256: str) -> Any:
    """Return a piece of a scan named by a case of the calling device's side (base64 in JSON)."""
    device = _caller().device
    return jsonify(
        blobs_down.read_blob_piece(
            _store(),
            _home(),
            device,
            sha256,
            request.args.get("offset", "0"),
            request.args.get("length", str(blobs_down.MAX_PIECE)),
        )
    )


@bp.post("/bundles")
def push_bundles() -> Any:
    """Verify and store a batch of bundles; answer one result per bundle."""
    _caller(allow_barred=True)
    raws = bundle_envelopes(_body())
    ingest.refuse_batch(len(raws), int(current_app.config["MAX_BATCH"]))
    return jsonify(results=ingest.ingest_bundles(_store(), _central_key(), raws, utc_now()))


@bp.get("/feed")
def read_feed() -> Any:
    """Return the next page of the calling device's feed after its cursor."""
    device = _caller().device
    after = ascii_number(request.args.get("after", "0"))
    limit = ascii_number(request.args.get("limit", str(current_app.config["FEED_PAGE_SIZE"])))
    if after is None or limit is None:
        raise Refusal(stages.MALFORMED_REQUEST, "after 和 limit 应为只含 ASCII 数字的整数。")
    if not 0 <= after <= MAX_CURSOR or not 1 <= limit <= publish.MAX_PAGE:
        raise Refusal(
            stages.MALFORMED_REQUEST, "after 应在 0 到 2^53 之间，limit 应在 1 到 500 之间。"
        )
    scope = request.args.get("scope", device["org_code"])
    if scope != device["org_code"] and not (
        # A township relays by USB stick for its villages: it may read their feeds to carry down.
        is_village_code(scope)
        and not is_village_code(device["org_code"])
        and township_of(scope) == device["org_code"]
    ):
        raise Refusal(stages.NOT_FOUND, "只能读取本单位或本乡镇所属村代办点的下发内容。")
    page = publish.feed_page(_store(), scope, after, limit)
    if scope == device["org_code"]:  # a relayed village feed's cursor says nothing of the window
        _release_ready(scope, after)
    return jsonify(**page, server_time=int(utc_now().timestamp()))


def _octet_stream() -> None:
    if request.mimetype != "application/offset+octet-stream":
        raise Refusal(
            stages.MALFORMED_REQUEST,
            "分块上传的 Content-Type 应为 application/offset+octet-stream。",
        )


def _release_ready(org_code: str, after: int) -> None:
    # The cursor says what the township has applied: decisions up to it are at its window now.
    try:
        public_store.release_ready(_store(), org_code, after, format_time(utc_now()))
    except Exception:  # a notice must never cost the township its feed
        log.exception("releasing ready notices of %s failed", org_code)


@bp.errorhandler(Refusal)
def refusal(error: Refusal) -> Response:
    """Answer a refusal with its code, its status and the fields the protocol puts beside it."""
    return _error(error.code, error.message, STATUS.get(error.code, 400), **error.extra)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> Response:
    """Answer any other domain refusal (bad input, not allowed, conflict)."""
    if isinstance(error, InvalidInput):
        return _error(stages.MALFORMED_REQUEST, error.message, 400)
    if isinstance(error, NotAllowed):
        return _error(stages.NOT_ALLOWED, error.message, 403)
    if isinstance(error, Conflict):
        return _error(stages.CONFLICT, error.message, 409)
    return _error(error.code, error.message, 400)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Any:
    """Answer HTTP-level errors (unknown path, wrong method, body too large) as JSON, or with the
    error page outside the APIs (a mistyped address in a reviewer's browser)."""
    if not request.path.startswith("/api/"):
        return http_error_page(error)
    status = error.code or 500
    code = {
        404: stages.NOT_FOUND,
        405: stages.METHOD_NOT_ALLOWED,
        429: stages.RATE_LIMITED,
    }.get(status, f"{stages.HTTP_STATUS_PREFIX}{status}")
    if status == 413:
        code = {
            url_for("api_v1.push_bundles"): stages.BATCH_TOO_LARGE,
            url_for("api_v1.upload_blob_batch"): stages.BATCH_TOO_LARGE,
        }.get(
            request.path,
            stages.BLOB_TOO_LARGE if "/blobs" in request.path else stages.MALFORMED_REQUEST,
        )
    return _error(code, error.description or error.name, status)


@bp.app_errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    """Answer an unexpected failure as a JSON 500 (the device retries later) and log it."""
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _error(stages.INTERNAL_ERROR, "服务器内部错误，请稍后重试。", 500)
