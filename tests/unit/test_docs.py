"""Every command and every setting is documented (in the manner of sqlite-utils' test_docs.py).

The commands are read from the two click groups themselves and the settings from the two settings
modules, so that a new command or setting without its line in README.md and the user guide fails
here, and so does a documented one that no longer exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from central_api import settings as central_settings
from central_api.cli import main as central_main
from sync.settings import Setting
from township_app import settings as township_settings
from township_app.cli import main as township_main

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "user-guide.md"
PROGRAMS = {"bianmin-township": township_main, "bianmin-central": central_main}
CODE = re.compile(r"`([^`]+)`")
PROGRAM_HEADING = re.compile(r"命令 `(bianmin-[a-z]+)`")


def _commands(group: click.Group, prefix: str = "") -> Iterator[str]:
    """Yield every visible subcommand of a group, a nested group's as "group sub"."""
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        yield prefix + name
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + name + " ")


def _parsed() -> list[tuple[str, str]]:
    return [(program, name) for program, group in PROGRAMS.items() for name in _commands(group)]


def _first_word(words: list[str]) -> str:
    """Return the command named by a code span's words: the first that is no option or [group]."""
    depth = 0
    for word in words:
        depth += word.count("[") + word.count("(")
        if depth == 0 and not word.startswith("-"):
            return word
        depth -= word.count("]") + word.count(")")
    return ""


def _table_rows(text: str) -> Iterator[tuple[str, str]]:
    """Yield each table row's first cell with the program its section is about (or "")."""
    program = ""
    for line in text.splitlines():
        heading = PROGRAM_HEADING.search(line)
        if heading and not line.startswith("|"):
            program = heading.group(1)
        elif line.startswith("#"):
            program = ""
        # A command's row begins with it; other tables (accounts, files) begin otherwise.
        if line.startswith("| `"):
            yield line.split(" | ")[0], program


def _documented(text: str) -> set[tuple[str, str]]:
    """Return the (program, command) pairs named in the first cell of a table row.

    A cell names ``bianmin-x command ...``; the code spans after it in the same cell
    (`` `bianmin-central devices` / `alerts` ``) are more commands of the same program; under a
    heading ``命令 `bianmin-x` `` a cell may leave the program out.
    """
    found = set()
    for cell, section in _table_rows(text):
        program = section
        for span in CODE.findall(cell):
            words = span.split()
            if words[0] in PROGRAMS:
                program, words = words[0], words[1:]
            if program and (name := _first_word(words)):
                found.add((program, name))
    return found


def test_the_parsers_are_read() -> None:
    commands = _parsed()
    assert ("bianmin-township", "backup") in commands
    assert ("bianmin-central", "publish-catalogue") in commands
    assert len(commands) > 25


@pytest.mark.parametrize(("program", "command"), _parsed())
def test_every_command_is_in_the_readme_table(program: str, command: str) -> None:
    assert (program, command) in _documented(README.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("program", "command"), _parsed())
def test_every_command_is_in_a_command_table_of_the_user_guide(program: str, command: str) -> None:
    assert (program, command) in _documented(GUIDE.read_text(encoding="utf-8"))


def test_no_command_is_documented_that_the_parsers_do_not_know() -> None:
    known = set(_parsed())
    for doc in (README, GUIDE):
        assert _documented(doc.read_text(encoding="utf-8")) - known == set(), doc.name


def _settings_table(heading: str) -> dict[str, str]:
    """Return the rows of the user guide's settings table under a heading: name → default cell."""
    text = GUIDE.read_text(encoding="utf-8")
    assert heading in text, heading
    section = text.split(heading, 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if line.startswith("| `") and len(cells) >= 3:
            rows[cells[0].strip("`")] = cells[1]
    return rows


SETTINGS_SECTIONS = [
    ("### 17.3 设置", township_settings.SETTINGS),
    ("### 19.6 中心的设置", central_settings.SETTINGS),
]


@pytest.mark.parametrize(("heading", "settings"), SETTINGS_SECTIONS)
def test_every_setting_is_in_the_user_guide_with_its_default(
    heading: str, settings: tuple[Setting, ...]
) -> None:
    rows = _settings_table(heading)
    assert sorted(rows) == sorted(s.name for s in settings)
    for setting in settings:
        shown = rows[setting.name]
        if setting.default == "":
            assert shown.startswith("空"), (setting.name, shown)
        else:
            assert f"`{setting.default}`" in shown, (setting.name, shown)


@pytest.mark.parametrize("settings", [township_settings.SETTINGS, central_settings.SETTINGS])
def test_every_setting_has_a_one_line_help(settings: tuple[Setting, ...]) -> None:
    for setting in settings:
        assert setting.help.strip() and "\n" not in setting.help, setting.name
