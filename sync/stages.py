"""Names shared by both ends of sync: the stages of a sync round and the error codes of the API.

An error code is part of the protocol (docs/protocol.md): a client decides what to do from the code,
never from the message, which is for people.
"""

from __future__ import annotations

# Stages of one sync round at the device, in order (shown in the status line and the log).
PACK = "pack"  # new events of this device → signed bundles in the outbox, one transaction each
UPLOAD_BLOBS = "upload_blobs"  # attachments named by waiting bundles, in resumable chunks
PUSH = "push"  # waiting bundles → central, in batches; receipts verified and kept
RELAY = "relay"  # a township PC: village bundles from USB sticks up, the villages' feeds down
PULL = "pull"  # the feed from the cursor, applied in order, one page per transaction
STAGES = (PACK, UPLOAD_BLOBS, PUSH, RELAY, PULL)

# The body of POST /api/v1/blob-batches: a JSON manifest line, then the blobs' bytes (13.7).
BLOB_BATCH_TYPE = "application/vnd.bianmin.blob-batch"

# Error codes of the central API, answered as {"error": {"code": ..., "message": ...}}.
MALFORMED_REQUEST = "malformed_request"  # the request body is not what the endpoint takes
METHOD_NOT_ALLOWED = "method_not_allowed"  # 405: the path takes other methods
INTERNAL_ERROR = "internal_error"  # 500: a failure of the server itself; try again later
NOT_ALLOWED = "not_allowed"  # 403: a domain refusal, the action is not allowed now
CONFLICT = "conflict"  # 409: a domain refusal, the action collides with what is recorded
HTTP_STATUS_PREFIX = "http_"  # any other HTTP-level refusal: http_<status>, e.g. http_400
UNAUTHENTICATED = "unauthenticated"  # no or malformed device signature headers
UNKNOWN_DEVICE = "unknown_device"
UNKNOWN_KEY = "unknown_key"  # the key id is not registered (for this device)
BAD_SIGNATURE = "bad_signature"  # a signature does not verify
CLOCK_SKEW = "clock_skew"  # the request's time is outside the window; the answer has server_time
REPLAYED_REQUEST = "replayed_request"  # the nonce was already used
DEVICE_REVOKED = "device_revoked"
DEVICE_QUARANTINED = "device_quarantined"  # a fork was seen: an admin must look
KEY_RETIRED = "key_retired"  # the key was replaced by rotation
ENROLLMENT_CODE_INVALID = "enrollment_code_invalid"  # unknown, used or expired
ENROLLMENT_CONFLICT = "enrollment_conflict"  # device id or device code already taken
MALFORMED_ENVELOPE = "malformed_envelope"
WRONG_PAYLOAD_TYPE = "wrong_payload_type"
MALFORMED_PAYLOAD = "malformed_payload"  # strict JSON parse or bundle schema failed
KEY_MISMATCH = "key_mismatch"  # the payload names another device or key than the signature
SEQUENCE_GAP = "sequence_gap"  # the answer has expected_sequence
PREVIOUS_MISMATCH = "previous_mismatch"  # the previous-bundle hash is not the last one stored
FORK = "fork"  # same sequence, different bytes: the device is quarantined
CHAIN_BROKEN = "chain_broken"  # the events do not continue the device's hash chain
ATTACHMENTS_MISSING = "attachments_missing"  # upload the blobs first; the answer lists them
OUT_OF_SCOPE = "out_of_scope"  # an event concerns a case of another org unit
BATCH_TOO_LARGE = "batch_too_large"
OFFSET_MISMATCH = "offset_mismatch"  # the answer has the offset the server holds
CHUNK_CHECKSUM_MISMATCH = "chunk_checksum_mismatch"
BLOB_HASH_MISMATCH = "blob_hash_mismatch"  # the whole blob's SHA-256 differs: upload restarts
BLOB_TOO_LARGE = "blob_too_large"
NOT_FOUND = "not_found"
RATE_LIMITED = "rate_limited"

# Refusals that a retry can cure by itself: the device keeps the bundle waiting.
RETRYABLE = frozenset(
    {SEQUENCE_GAP, ATTACHMENTS_MISSING, CLOCK_SKEW, REPLAYED_REQUEST, RATE_LIMITED}
)
