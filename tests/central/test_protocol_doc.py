"""docs/protocol.md names everything the code knows: every event type (in section 4's table), every
feed entry kind (in 13.9's table) and every error code the central API can answer (in section 13).

The lists are read from the code, never typed here: the constants of ``sync.events``, ``sync.feed``
and ``sync.stages``, and every code written as a literal where a refusal is made (a scan of
central_api's modules). A new code, kind or type without its line in the document fails this test.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from sync import events, feed, stages

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
REFUSERS = {"Refusal", "refused", "_error"}  # functions whose first argument is an error code
CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _section(start: str, end: str) -> str:
    """Return the document's text from the heading ``start`` to the heading ``end``."""
    begin = DOC.index(start)
    return DOC[begin : DOC.index(end, begin)]


def _table_names(text: str) -> set[str]:
    """Return the names in the first column of the Markdown tables of ``text``."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))


def _literal_code(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return node.value
    return None


def stage_codes() -> set[str]:
    """Return the error codes named as constants in ``sync.stages`` (a prefix as ``http_<status>``)."""
    return {
        value + "<status>" if value.endswith("_") else value
        for name, value in vars(stages).items()
        if name.isupper()
        and isinstance(value, str)
        and value not in stages.STAGES
        and value != stages.BLOB_BATCH_TYPE
    }


def literal_codes() -> set[str]:
    """Return the codes written as literals where central_api refuses: the first argument of
    ``Refusal``/``refused``/``_error``, or the value of a ``"code"`` key in a dict literal."""
    found: set[str] = set()
    for path in sorted((ROOT / "central_api").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args:
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                code = _literal_code(node.args[0]) if name in REFUSERS else None
            elif isinstance(node, ast.Dict):
                code = next(
                    (
                        _literal_code(value)
                        for key, value in zip(node.keys, node.values, strict=True)
                        if isinstance(key, ast.Constant) and key.value == "code"
                    ),
                    None,
                )
            else:
                continue
            if code:
                found.add(code)
    return found


def test_the_scan_finds_codes_written_as_literals(tmp_path: Path, monkeypatch) -> None:
    # Guards the scan itself, on a module of the kinds of refusal central_api writes.
    (tmp_path / "central_api").mkdir()
    (tmp_path / "central_api" / "made_up.py").write_text(
        'raise Refusal("one_code", "…")\n'
        'refused("two_code", "…", bundle_hash)\n'
        'result = {"status": "refused", "error": {"code": "three_code", "message": "…"}}\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert literal_codes() == {"one_code", "two_code", "three_code"}


@pytest.mark.parametrize("event_type", events.EVENT_TYPES)
def test_every_event_type_has_a_row_in_section_4(event_type: str) -> None:
    table = _section("## 4. Event types and payloads", "### 4.1")
    assert event_type in _table_names(table)


@pytest.mark.parametrize("kind", feed.KINDS)
def test_every_feed_entry_kind_has_a_row_in_13_9(kind: str) -> None:
    table = _section("### 13.9 Feed down", "### 13.10")
    assert kind in _table_names(table)


@pytest.mark.parametrize("code", sorted(stage_codes() | literal_codes()))
def test_every_error_code_of_the_api_is_in_section_13(code: str) -> None:
    transport = DOC[DOC.index("## 13. Transport") :]
    assert f"`{code}`" in transport
