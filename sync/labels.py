"""The words pages show for the protocol's vocabulary: item kinds, outcomes, delivery methods,
deadline lights, petition kinds and rating steps and channels, for both apps.

Each word is marked with ``N_`` (no Flask here) and is the message id of the translation catalogues:
a page says it through its translation layer, ``gettext(LIGHT_LABELS[light])``.
"""

from __future__ import annotations

from sync.errors import N_

ITEM_KIND_LABELS = {"immediate": N_("即办件"), "promised": N_("承诺件"), "forwarded": N_("上报件")}
OUTCOME_LABELS = {"approved": N_("批准"), "refused": N_("不予批准")}
DELIVERY_LABELS = {
    "window": N_("窗口领取"),
    "post": N_("邮寄送达"),
    "electronic": N_("电子送达"),
    "agent": N_("村代办员转交"),
}
LIGHT_LABELS = {
    "green": N_("正常"),
    "yellow": N_("临近到期"),
    "red": N_("已超期"),
    "paused": N_("暂停计时"),
    "unknown": N_("日历未发布"),
}
PETITION_KIND_LABELS = {"reexamination": N_("复核申请"), "complaint": N_("投诉")}

# The public progress page speaks to residents, who know neither the working-day calendar nor
# which agent: there the two words are plainer.
PUBLIC_LIGHT_LABELS = {**LIGHT_LABELS, "unknown": N_("暂无法计算")}
PUBLIC_DELIVERY_LABELS = {**DELIVERY_LABELS, "agent": N_("代办员转交")}

# Ratings (一事一评): which step of the case is rated, and through which channel.
RATING_STEP_LABELS = {"acceptance": N_("受理环节"), "result": N_("办理结果")}
RATING_CHANNEL_LABELS = {
    "window": N_("窗口评价器"),
    "agent": N_("代办员代为登记"),
    "online": N_("网上评价"),
    "sms": N_("短信评价"),
}

# The 差评 loop (整改) and callbacks (回访): how the applicant was answered, why a call is made.
ANSWER_METHOD_LABELS = {"phone": N_("电话"), "sms": N_("短信"), "in_person": N_("当面")}
CALLBACK_PURPOSE_LABELS = {"rectification": N_("差评回访"), "sample": N_("抽样回访")}
