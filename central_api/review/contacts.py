"""The staff contacts warnings are sent to (责任人手机号): a supervisor records, for each unit under
theirs, the mobile number of a person the log names (by log-in name) and of the unit's liaison
(联络人), who is told of a warning that names nobody or a person with no number recorded. Central
holds no township staff accounts, so this list is the one place their numbers are kept. Every
change is audited (without the number); every refusal changes nothing."""

from __future__ import annotations

import re
from datetime import datetime

from central_api.stores.contact_store import ContactStore
from central_api.stores.review_store import ReviewStore
from central_api.stores.store import CentralStore
from sync.errors import N_, InvalidInput, NotFound
from sync.events import format_time
from sync.ids import check_mobile

_USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
MAX_NAME = 40
NO_CONTACT = N_("没有找到这条联系人记录，或它不属于您所辖的单位。")


def save_contact(
    store: CentralStore,
    *,
    unit: str,
    username: str,
    name: str,
    phone: str,
    units: frozenset[str],
    actor: str,
    now: datetime,
    remote_addr: str = "",
) -> int:
    """Record (or change) the number of a person of a unit under the supervisor's; return its id."""
    if unit not in units:
        raise InvalidInput(N_("请选择您所辖的单位。"), field="unit")
    username = username.strip()
    if username and not _USERNAME.match(username):
        raise InvalidInput(
            N_("登录名只能由字母、数字和 _ . - 组成，最多 32 个字符；单位联络人请留空。"),
            field="username",
        )
    name = name.strip()
    if not name:
        raise InvalidInput(N_("请填写姓名。"), field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(N_("姓名最多 %(most)s 个字。"), field="name", most=MAX_NAME)
    mobile = check_mobile(phone)
    at = format_time(now)
    values = {
        "org_code": unit,
        "username": username,
        "name": name,
        "phone": mobile,
        "updated_at": at,
        "updated_by": actor[:32],
    }
    with store.transaction() as c:
        contact_id = ContactStore(store).save(c, values)
        who = username or "联络人"
        ReviewStore(store).audit(c, at, actor, "save_contact", f"{unit} {who}", remote_addr)
    return contact_id


def remove_contact(
    store: CentralStore,
    contact_id: int,
    *,
    units: frozenset[str],
    actor: str,
    now: datetime,
    remote_addr: str = "",
) -> None:
    """Forget a contact of a unit under the supervisor's."""
    contacts = ContactStore(store)
    with store.transaction() as c:
        row = contacts.contact(c, contact_id)
        if row is None or row["org_code"] not in units:
            raise NotFound(NO_CONTACT)
        contacts.remove(c, contact_id)
        who = row["username"] or "联络人"
        detail = f"{row['org_code']} {who}"
        ReviewStore(store).audit(c, format_time(now), actor, "remove_contact", detail, remote_addr)
