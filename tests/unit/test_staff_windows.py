"""Each staff account has its hall window (窗口号) and department; the events a staff member
writes record the window, and the assessment sums the staff of a window as one."""

from __future__ import annotations

import pytest

from sync.errors import InvalidInput
from sync.events import utc_now
from sync.window_assessment import window_sums
from tests.support.results import CLERK, PROMISED_ITEM, register
from township_app import staff_windows
from township_app.casework import casework
from township_app.casework.case_log import WINDOW_KEY
from township_app.stores.store import Store


def _user_id(store: Store, username: str) -> int:
    user = store.user_by_username(username)
    assert user is not None
    return user["id"]


def test_a_staff_members_window_and_department_are_stored_and_audited(store: Store):
    staff_windows.set_window(
        store, _user_id(store, "chuangkou"), " a2 ", " 民政  窗口 ", "admin", utc_now()
    )
    row = next(u for u in store.staff_windows() if u["username"] == "chuangkou")
    assert (row["window_number"], row["department"]) == ("A2", "民政 窗口")
    assert store.window_of("chuangkou") == "A2"
    assert store.audit_entries(1)[0]["action"] == "set_window"


@pytest.mark.parametrize(
    ("window", "department", "message"),
    [
        ("3号", "", "窗口号应为 1 至 8 位数字或字母"),
        ("123456789", "", "窗口号应为 1 至 8 位数字或字母"),
        ("3", "民" * 41, "部门名称不超过 40 个字"),
    ],
)
def test_a_wrong_window_or_department_is_refused_and_changes_nothing(
    store: Store, window: str, department: str, message: str
):
    before = store.staff_windows()
    with pytest.raises(InvalidInput) as refused:
        staff_windows.set_window(
            store, _user_id(store, "chuangkou"), window, department, "admin", utc_now()
        )
    assert message in refused.value.template % refused.value.params
    assert store.staff_windows() == before


def test_the_events_of_a_staff_member_at_a_window_record_the_window(store: Store):
    before = register(store, item_code=PROMISED_ITEM)
    staff_windows.set_window(store, _user_id(store, CLERK.username), "3", "", "admin", utc_now())
    after = register(store, item_code=PROMISED_ITEM)
    casework.accept_case(store, after, CLERK, utc_now())
    assert all(WINDOW_KEY not in e.payload for e in store.case_events(before))
    assert [e.payload[WINDOW_KEY] for e in store.case_events(after)] == ["3", "3"]


def test_a_windows_figures_are_its_staff_members_summed_before_any_rate():
    sums = {
        "370613004/a": {"rated": 1, "good": 1},
        "370613004/b": {"rated": 3, "good": 0},
        "370613004/c": {"rated": 5, "good": 5},
    }
    windows = {"a": "1", "b": "1", "c": ""}
    assert window_sums(sums, windows.get) == {"1": {"rated": 4, "good": 1}}
