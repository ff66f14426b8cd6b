"""How both apps declare their settings and read them from ``BIANMIN_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting with its default and what it is for."""

    name: str
    default: object
    help: str


def read_environment(
    settings: Iterable[Setting],
    *,
    aliases: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Return every setting from ``BIANMIN_<NAME>`` (or an alias variable), else its default.

    A setting whose default is an integer is read as an integer.
    """
    environ = os.environ if environ is None else environ
    aliases = aliases or {}
    values: dict[str, object] = {}
    for setting in settings:
        raw = environ.get(f"BIANMIN_{setting.name}")
        if raw is None and setting.name in aliases:
            raw = environ.get(aliases[setting.name])
        if raw is None:
            values[setting.name] = setting.default
        elif isinstance(setting.default, int):
            values[setting.name] = int(raw)
        else:
            values[setting.name] = raw
    return values
