"""Roles of central users and what each may do: the one table the pages and tests read.

Scoping by unit comes on top of the permission: a reviewer sees and decides only the cases their
own unit holds (``holder_code``); a supervisor sees, read only, every case of the units under theirs.
"""

from __future__ import annotations

from staff_pages import permissions
from sync.errors import N_

COUNTY_REVIEWER = "county_reviewer"  # 县级审批人员
CITY_REVIEWER = "city_reviewer"  # 市级审批人员
SUPERVISOR = "supervisor"  # 电子监察
ADMIN = "admin"  # 系统管理员
DEPARTMENT_REVIEWER = "dept_reviewer"  # 联审部门审查人员: one department's opinions in joint review
# 审批负责人: the head of a county's or city's review unit, who decides extensions (延期, 行政许可法
# §42) of the cases the unit holds. The level is the user's unit, as for the reviewers.
HEAD = "head"

ROLES = (COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR, ADMIN, DEPARTMENT_REVIEWER, HEAD)
REVIEWERS = frozenset({COUNTY_REVIEWER, CITY_REVIEWER})
# Who sees the cases their unit holds (and has handled): its reviewers and its head.
UNIT_STAFF = REVIEWERS | {HEAD}

ROLE_LABELS = {
    COUNTY_REVIEWER: N_("县级审批人员"),
    CITY_REVIEWER: N_("市级审批人员"),
    SUPERVISOR: N_("电子监察人员"),
    ADMIN: N_("系统管理员"),
    DEPARTMENT_REVIEWER: N_("联审部门审查人员"),
    HEAD: N_("审批负责人"),
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "view_cases": frozenset(
        {COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR, DEPARTMENT_REVIEWER, HEAD}
    ),
    "view_scans": frozenset(
        {COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR, DEPARTMENT_REVIEWER, HEAD}
    ),
    "view_full_id": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),  # and only the holding unit's
    "decide": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),  # approve, refuse, return
    "forward_on": frozenset({COUNTY_REVIEWER}),  # a city-route case on to the city
    "answer_petitions": frozenset({SUPERVISOR}),
    # 联审: the lead unit's reviewers open the round; each department's reviewers give its opinion
    # on the cases of their own unit that ask their department.
    "open_joint_review": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),
    "joint_opinion": frozenset({DEPARTMENT_REVIEWER}),
    # The promised limit's other clocks (sync.clock_rules): a reviewer of the holding unit asks for
    # an extension and records excluded time (特别程序); the unit's head decides the extension.
    "request_extension": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),
    "decide_extension": frozenset({HEAD}),
    "record_excluded_time": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),
    # Supervision's warnings and cards: a supervisor sees the warnings and issues, revokes and
    # upholds cards; a reviewer sees the cards of the units under theirs and appeals them.
    "supervise": frozenset({SUPERVISOR}),
    "view_cards": frozenset({COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR}),
    "appeal_cards": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),
    # 差评 rectification (整改): the list, a supervisor's review, a county's or city's own steps.
    "view_rectifications": frozenset({COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR}),
    "review_rectifications": frozenset({SUPERVISOR}),
    "rectify": frozenset({COUNTY_REVIEWER, CITY_REVIEWER}),  # only their own unit's 差评
    "call_back": frozenset({SUPERVISOR}),  # 电话回访: sees the phone of the call they claimed
    "view_figures": frozenset({SUPERVISOR, ADMIN}),
    # 统计分析: the casework dashboard of the user's unit and below (an admin's: every unit). A
    # county's or city's reviewers and its supervisors answer for their area's figures; they
    # read them here, without a separate leaders' role.
    "view_dashboard": frozenset({COUNTY_REVIEWER, CITY_REVIEWER, SUPERVISOR, ADMIN, HEAD}),
    "view_assessment": frozenset({SUPERVISOR, ADMIN}),  # 窗口考核: a supervisor's units, or all
    "manage_users": frozenset({ADMIN}),
    "exchange_usb": frozenset({ADMIN}),  # import a township's stick, write receipts and feed back
}

# Where each role lands after log-in (an endpoint name).
HOME = {
    COUNTY_REVIEWER: "inbox.index",
    CITY_REVIEWER: "inbox.index",
    SUPERVISOR: "inbox.index",
    ADMIN: "users.index",
    DEPARTMENT_REVIEWER: "joint.index",
    HEAD: "inbox.index",
}


def may(role: str, permission: str) -> bool:
    """Tell whether a role has a permission."""
    return permissions.may(PERMISSIONS, role, permission)


def require_permission(role: str, permission: str) -> None:
    """Refuse with a clear message unless the role has the permission."""
    permissions.require_permission(PERMISSIONS, ROLE_LABELS, role, permission)
