"""The two English catalogues keep up with the code: every message the township (babel.cfg) or the
central server (babel-central.cfg) marks for translation has a non-empty, non-fuzzy English
translation that keeps each %(name)s placeholder, and the township's catalogue holds none of the
messages that only the central templates use. Extraction runs in-process with Babel's own
extractor and the mapping read from each cfg file, exactly as `pybabel extract -F <cfg> -k N_`."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
TOWNSHIP = ("babel.cfg", "township_app/translations/en/LC_MESSAGES/messages.po")
CENTRAL = ("babel-central.cfg", "central_api/translations/en/LC_MESSAGES/messages.po")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}  # `-k N_`: the first argument is the message
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@cache
def _extracted(cfg: str) -> dict[str, frozenset[str]]:
    """Each message id the config extracts, with the files it is marked in."""
    with open(ROOT / cfg, encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, cfg)
    found: dict[str, set[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, set()).add(Path(filename).as_posix())
    return {msgid: frozenset(files) for msgid, files in found.items()}


@cache
def _catalogue(po: str) -> Catalog:
    with open(ROOT / po, "rb") as fileobj:
        return read_po(fileobj)


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _untranslated(cfg: str, po: str) -> list[str]:
    catalogue = _catalogue(po)
    gaps = []
    for msgid in sorted(_extracted(cfg)):
        message = catalogue.get(msgid)
        if message is None:
            gaps.append(f"missing: {msgid}")
        elif message.fuzzy:
            gaps.append(f"fuzzy: {msgid}")
        elif not all(s.strip() for s in _strings(message)):
            gaps.append(f"empty: {msgid}")
    return gaps


def _placeholders_lost(po: str) -> list[str]:
    wrong = []
    for message in _catalogue(po):
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        wanted = set(PLACEHOLDER.findall(msgid))
        for string in _strings(message):
            if string and (
                set(PLACEHOLDER.findall(string)) != wanted
                or string.count("%%") != msgid.count("%%")
            ):
                wrong.append(f"{msgid} -> {string}")
    return wrong


def test_the_extraction_finds_the_messages_of_both_apps() -> None:
    # A broken cfg or keyword list would make every other test here pass on nothing.
    assert "办件" in _extracted(TOWNSHIP[0])
    assert "送达" in _extracted(TOWNSHIP[0])  # an N_() label in sync/
    assert "复核或投诉答复" in _extracted(CENTRAL[0])
    assert any(
        f.startswith("templates/central/")
        for files in _extracted(CENTRAL[0]).values()
        for f in files
    )
    assert not any(
        f.startswith("templates/central/")
        for files in _extracted(TOWNSHIP[0]).values()
        for f in files
    )


def test_every_message_the_township_marks_has_an_english_translation() -> None:
    assert _untranslated(*TOWNSHIP) == []


def test_every_message_the_central_server_marks_has_an_english_translation() -> None:
    assert _untranslated(*CENTRAL) == []


@pytest.mark.parametrize("po", [TOWNSHIP[1], CENTRAL[1]], ids=["township", "central"])
def test_every_translation_keeps_the_placeholders_of_its_message(po: str) -> None:
    assert _placeholders_lost(po) == []


def test_the_township_catalogue_holds_no_message_only_the_central_templates_use() -> None:
    township = _extracted(TOWNSHIP[0])
    central_only = {
        msgid
        for msgid, files in _extracted(CENTRAL[0]).items()
        if msgid not in township and all(f.startswith("templates/central/") for f in files)
    }
    assert central_only, "the central templates should have messages of their own"
    catalogue = _catalogue(TOWNSHIP[1])
    assert sorted(msgid for msgid in central_only if msgid in catalogue) == []
