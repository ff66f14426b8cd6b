"""The assessment's tables as both apps show and export them: a month's ranking, and one unit's or
staff member's points per indicator with the figures behind each point.

The page renders the same ``ExportTable`` it exports (``rows_shown``), so what a user sees and
what the workbook holds cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

from flask_babel import gettext

from staff_pages.exports import NUMBER, PERCENT, Column, ExportTable, shown
from sync.assessment import Assessment, Ranked
from sync.assessment_scheme import DEDUCT, RATE, AssessmentScheme
from sync.errors import N_

MONTH = re.compile(r"20\d\d-(0[1-9]|1[0-2])")
BAD_MONTH = N_("月份请按「2026-01」的格式填写；已显示本月的考核。")


def chosen_month(raw: str, today: date) -> tuple[str, bool]:
    """Return the month asked for, or this month and False when it is not a month."""
    this_month = today.isoformat()[:7]
    raw = raw.strip()
    if not raw:
        return this_month, True
    return (raw, True) if MONTH.fullmatch(raw) else (this_month, False)


def ranking_table(
    title: str,
    heading: str,
    scheme: AssessmentScheme,
    ranked: Sequence[Ranked],
    name_of: Callable[[str], str],
) -> ExportTable:
    """Return a month's ranking: place, name, total, each category's points, points not counted."""
    columns = (
        Column(gettext("名次"), NUMBER),
        Column(heading),
        Column(gettext("总分"), NUMBER),
        *(Column(f"{gettext(c.name)}（{c.weight}）", NUMBER) for c in scheme.categories),
        Column(gettext("未统计分值"), NUMBER),
    )
    rows = [
        (
            r.place,
            name_of(r.key),
            r.assessment.total,
            *(r.assessment.category_score(c) for c in scheme.categories),
            r.assessment.not_counted,
        )
        for r in ranked
    ]
    return ExportTable(title, columns, rows)


def indicators_table(title: str, scheme: AssessmentScheme, assessment: Assessment) -> ExportTable:
    """Return every indicator's points with the figures behind them and why."""
    names = {c.code: gettext(c.name) for c in scheme.categories}
    kinds = {i.code: i.formula.kind for c in scheme.categories for i in c.indicators}
    columns = (
        Column(gettext("类别")),
        Column(gettext("指标")),
        Column(gettext("分值"), NUMBER),
        Column(gettext("得分"), NUMBER),
        Column(gettext("分子"), NUMBER),
        Column(gettext("分母"), NUMBER),
        Column(gettext("比率"), PERCENT),
        Column(gettext("均值或次数"), NUMBER),
        Column(gettext("计分说明")),
    )
    rows = []
    for i in assessment.indicators:
        rate = kinds[i.code] == RATE
        rows.append(
            (
                names.get(i.category, i.category),
                gettext(i.name),
                i.points,
                i.score,
                i.numerator,
                None if kinds[i.code] == DEDUCT else i.denominator,
                i.value / 100 if rate and i.value is not None else None,
                None if rate else i.value,
                gettext(i.why, **i.why_args),
            )
        )
    return ExportTable(title, columns, rows)


def rows_shown(table: ExportTable) -> list[list[str]]:
    """Return the table's cells as the page shows them (and the CSV holds them)."""
    return [
        [shown(value, column.kind) for column, value in zip(table.columns, row, strict=True)]
        for row in table.rows
    ]
