"""Queue forwarded cases in a township data folder through the same domain functions as the window."""

from __future__ import annotations

import io
import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sync.events import CHINA_TZ, utc_now
from township_app.backup.upgrade import open_migrated
from township_app.casework import casework
from township_app.casework.blobs import save_scan
from township_app.demo import fake_applicant

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def fake_scan(rng: random.Random, size: int) -> bytes:
    """Return a PNG-looking scan of ``size`` bytes with random (incompressible) content."""
    return PNG_HEADER + rng.randbytes(max(0, size - len(PNG_HEADER)))


def queue_forwarded_cases(
    home: Path, count: int, *, scan_bytes: int = 0, seed: int = 7, now: datetime | None = None
) -> list[str]:
    """Register, accept, pre-review and forward ``count`` cases; return their case numbers.

    Each case gets one scan of ``scan_bytes`` bytes (unique content) when ``scan_bytes`` > 0.
    """
    rng = random.Random(seed)
    moment = now or utc_now()
    store = open_migrated(home / "township.db")
    numbers = []
    try:
        device = store.device()
        assert device is not None
        villages = store.child_units(device["org_code"])
        items = [
            i
            for i in store.items()
            if i["kind"] == "forwarded" and "person" in i.get("applicant_kinds", ["person"])
        ]
        clerk = casework.Actor("chuangkou", "clerk", device["org_code"])
        reviewer = casework.Actor("shenhe", "reviewer", device["org_code"])
        with store.write():
            for index in range(count):
                at = moment - timedelta(seconds=count - index)
                item = items[index % len(items)]
                files = []
                if scan_bytes:
                    scan = save_scan(
                        home / "blobs", io.BytesIO(fake_scan(rng, scan_bytes)), "scan.png", 1 << 30
                    )
                    files = [
                        {
                            "sha256": scan.sha256,
                            "size": scan.size,
                            "media_type": scan.media_type,
                            "filename": scan.filename,
                        }
                    ]
                materials = [
                    {
                        "code": m["code"],
                        "name": m["name"],
                        "mandatory": bool(m["mandatory"]),
                        "received": True,
                        "files": files if position == 0 else [],
                    }
                    for position, m in enumerate(item["materials"])
                ]
                state, _ = casework.register_case(
                    store,
                    case_id=str(uuid.uuid4()),
                    item_code=item["code"],
                    applicant=fake_applicant(rng, villages, at.astimezone(CHINA_TZ).date()),
                    proxy=None,
                    materials=materials,
                    green_channel=False,
                    actor=clerk,
                    now=at,
                )
                casework.accept_case(store, state.case_id, clerk, at)
                casework.forward_case(
                    store,
                    state.case_id,
                    opinion="材料齐全，情况属实，同意上报。",
                    conclusion="agree",
                    actor=reviewer,
                    now=at,
                )
                numbers.append(state.case_number)
    finally:
        store.close()
    return numbers
