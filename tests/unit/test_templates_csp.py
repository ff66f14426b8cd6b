"""Pages of both apps send a Content-Security-Policy without 'unsafe-inline': a template with an
inline style or script would show unstyled or broken in the browser, so none may have one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE = re.compile(r"<style\b|\sstyle=\"|<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.mark.parametrize(
    "template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_template_has_no_inline_style_or_script(template: Path) -> None:
    found = INLINE.findall(template.read_text("utf-8"))
    assert not found, f"{template.relative_to(TEMPLATES)}: {found}"
