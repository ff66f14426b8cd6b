"""Roles of township staff and what each may do."""

from __future__ import annotations

from staff_pages import permissions
from sync.errors import N_

CLERK = "clerk"  # 窗口人员
REVIEWER = "reviewer"  # 乡镇审核人员（初审）
AGENT = "agent"  # 村代办员
ADMIN = "admin"  # 管理员（信息化人员）
HEAD = "head"  # 中心负责人: decides the township's extensions (延期, 行政许可法 §42)

ROLES = (CLERK, REVIEWER, AGENT, ADMIN, HEAD)

ROLE_LABELS = {
    CLERK: N_("窗口人员"),
    REVIEWER: N_("乡镇审核人员"),
    AGENT: N_("村代办员"),
    ADMIN: N_("管理员"),
    HEAD: N_("中心负责人"),
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "register": frozenset({CLERK, AGENT}),
    "decide_intake": frozenset({CLERK}),  # accept or refuse at the window
    "request_supplement": frozenset({CLERK, REVIEWER}),
    # The applicant's side, which a village agent may record for its own agency cases too.
    "receive_supplement": frozenset({CLERK, REVIEWER, AGENT}),
    "forward": frozenset({REVIEWER}),
    "complete": frozenset({CLERK, REVIEWER}),
    "withdraw": frozenset({CLERK, AGENT}),
    "deliver": frozenset({CLERK, REVIEWER}),  # record delivery (送达) and complete a decided case
    "petition": frozenset({CLERK}),  # register a re-examination request or a complaint
    # Open the rating screen (评价器) for the applicant: at the window, or an agent for its cases.
    "rate": frozenset({CLERK, REVIEWER, AGENT}),
    # A 差评's 核实 → 整改 → 反馈 at the township. The township reviewer only: a 差评 is most often
    # about a window clerk's service, and the one rated should not verify and answer it themself;
    # the reviewer stands over the windows (初审) and answers for the center. Not the agent.
    "rectify": frozenset({REVIEWER}),
    # Phone the applicant back (电话回访): a 差评's callback or the sample's; any window staff may
    # take a call, and only the one who claimed it sees the phone number.
    "call_back": frozenset({CLERK, REVIEWER}),
    # The 好差评 figures of the unit, its items and its staff.
    # The promised limit's other clocks (sync.clock_rules): the reviewer asks for an extension and
    # records excluded time (特别程序) while the township holds the case; the head decides.
    "request_extension": frozenset({REVIEWER}),
    "decide_extension": frozenset({HEAD}),
    "record_excluded_time": frozenset({REVIEWER}),
    "view_figures": frozenset({REVIEWER, ADMIN, HEAD}),
    # The casework figures (办件统计) of the staff member's own township, its items and staff:
    # the window staff see how their hall is doing, as the reviewer and the admin do.
    "view_case_figures": frozenset({CLERK, REVIEWER, ADMIN, HEAD}),
    # The unit's and its staff's monthly assessment (窗口考核), from the same kept figures.
    "view_assessment": frozenset({REVIEWER, ADMIN, HEAD}),
    # Correct a registered case's applicant, proxy or materials (更正); after a decision the
    # township reviewer only (the fold's rule, sync.correction_rules).
    "correct": frozenset({CLERK, REVIEWER}),
    "view_cases": frozenset({CLERK, REVIEWER, AGENT, ADMIN, HEAD}),
    "view_full_id": frozenset({CLERK, REVIEWER}),
    # Scans show ID cards and signatures whole: only those who handle cases (an agent, its own).
    "view_scans": frozenset({CLERK, REVIEWER, AGENT}),
    "admin": frozenset({ADMIN}),
    # The registry of enterprise agents (企业代办员) and the entrustments they hold.
    "manage_agents": frozenset({REVIEWER, ADMIN}),
    # 绿色通道: the township reviewer approves it (the approver named on the case), with a reason.
    "grant_green_channel": frozenset({REVIEWER}),
    # Fees: the window issues the payment notice and records the bank's receipt; a waiver (减免)
    # needs the reviewer; the daily fee list goes to the finance office.
    "collect_fee": frozenset({CLERK, REVIEWER}),
    "exempt_fee": frozenset({REVIEWER}),
    "view_fee_list": frozenset({CLERK, REVIEWER, ADMIN}),
}


def may(role: str, permission: str) -> bool:
    """Tell whether a role has a permission."""
    return permissions.may(PERMISSIONS, role, permission)


def require_permission(role: str, permission: str) -> None:
    """Refuse with a clear message unless the role has the permission."""
    permissions.require_permission(PERMISSIONS, ROLE_LABELS, role, permission)
