"""Every `bianmin-township` / `bianmin-central` command the guides show exists, with the options
shown: the docs' code blocks and inline code are read, and each command's --help is run."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from central_api.cli import main as central_main
from township_app.cli import main as township_main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("docs/install.md", "docs/user-guide.md", "README.md")
PROGRAMS = {"bianmin-township": township_main, "bianmin-central": central_main}
SHOWN = re.compile(r"(?:^|[\s/`(])(bianmin-(?:township|central))\b([^`\n|;&#）)]*)")


def shown_commands() -> list[tuple[str, int, str, list[str]]]:
    """Return (doc, line, program, words after it) for every command line the docs show."""
    found = []
    for doc in DOCS:
        in_block = False
        for number, line in enumerate((ROOT / doc).read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                in_block = not in_block
                continue
            spans = [line] if in_block else re.findall(r"`([^`]+)`", line)
            for span in spans:
                for match in SHOWN.finditer(span):
                    try:
                        words = shlex.split(match.group(2), comments=True)
                    except ValueError:
                        words = match.group(2).split()
                    found.append((doc, number, match.group(1), words))
    return found


def resolve(program: str, words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    """Follow subcommand names through the groups; return (path, command, options shown)."""
    command: click.Command = PROGRAMS[program]
    path: list[str] = []
    options = [w.split("=")[0] for w in words if re.fullmatch(r"--[a-z][a-z0-9-]*(=.*)?", w)]
    words = list(words)
    while words:
        word = words.pop(0)
        if isinstance(command, click.Group) and word.startswith("--"):
            # An option of the group itself (bianmin-central --home DIR serve): skip its value.
            params = [p for p in command.params if word.split("=")[0] in p.opts]
            if params and "=" not in word and not getattr(params[0], "is_flag", False):
                words.pop(0)
            continue  # (--help, --version: shown on the group itself)
        if not isinstance(command, click.Group) or word.startswith("-"):
            break
        if not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            break  # a placeholder (…, <命令>) or prose after the command
        sub = command.get_command(click.Context(command), word)
        assert sub is not None, f"{program} has no command {' '.join(path + [word])}"
        path.append(word)
        command = sub
    return path, command, options


CASES = shown_commands()


def test_the_docs_show_commands_of_both_programs():
    programs = {program for _, _, program, _ in CASES}
    assert programs == set(PROGRAMS) and len(CASES) > 40


@pytest.mark.parametrize(
    ("doc", "line", "program", "words"), CASES, ids=[f"{d}:{n}" for d, n, _, _ in CASES]
)
def test_every_command_the_docs_show_exists_with_its_options(doc, line, program, words):
    path, command, options = resolve(program, words)
    known = {"--help", "--home", "--version", "--database-url"}
    groups = [PROGRAMS[program]]
    for param in [*command.params, *(p for g in groups for p in g.params)]:
        known.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
    missing = [o for o in options if o not in known]
    assert not missing, f"{doc}:{line}: {program} {' '.join(path)} has no option {missing}"
    shown = CliRunner().invoke(PROGRAMS[program], [*path, "--help"], prog_name=program)
    assert shown.exit_code == 0, shown.output
