"""The SQL of what central publishes and this PC installs: the org tree, the catalogue, the
working-day calendar and the rating scale (a part of the township store)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from sqlite_utils import Database

from sync.assessment_scheme import DEFAULT_SCHEME, AssessmentScheme, parse_scheme
from sync.deadlines import YearCalendar
from sync.rating_scale import BUILT_IN, DEFAULT_SCALE, RatingScale, parse_scale
from sync.supervision_rules import DEFAULT_RULES, SupervisionRules, parse_rules


class PublishedQueries:
    """The installed org tree, catalogue, calendar and rating scale."""

    db: Database

    write: Callable[[], AbstractContextManager[Any]]  # the Store's write transaction

    # Org tree

    def replace_org_units(self, units: Iterable[Mapping[str, Any]], *, demo: bool) -> None:
        """Install the org tree (replacing the previous one)."""
        with self.write():
            self.db.execute("DELETE FROM org_units")
            self.db.conn.executemany(
                "INSERT INTO org_units (code, name, level, parent_code, demo) VALUES (?, ?, ?, ?, ?)",
                [(u["code"], u["name"], u["level"], u.get("parent"), int(demo)) for u in units],
            )

    def add_own_unit_until_the_feed(self, code: str, level: str) -> None:
        """Put this PC's own unit in an empty org tree (named by its code), so that accounts can
        be made before the first feed; the feed's org tree replaces it."""
        with self.write():
            self.db.execute(
                "INSERT INTO org_units (code, name, level, parent_code, demo)"
                " SELECT ?, ?, ?, NULL, 0 WHERE NOT EXISTS (SELECT 1 FROM org_units)",
                [code, code, level],
            )

    def org_unit(self, code: str) -> dict[str, Any] | None:
        """Return one org unit by division code."""
        rows = list(self.db.query("SELECT * FROM org_units WHERE code = ?", [code]))
        return rows[0] if rows else None

    def child_units(self, code: str) -> list[dict[str, Any]]:
        """Return the units directly below a unit, by code."""
        return list(
            self.db.query("SELECT * FROM org_units WHERE parent_code = ? ORDER BY code", [code])
        )

    def org_names(self) -> dict[str, str]:
        """Return every unit's name by code."""
        return {r["code"]: r["name"] for r in self.db.query("SELECT code, name FROM org_units")}

    # Catalogue

    def install_catalogue(
        self,
        version: str,
        items: Iterable[Mapping[str, Any]],
        *,
        demo: bool,
        note: str,
        published_at: str | None,
        at: str,
    ) -> None:
        """Install a catalogue version, replacing the items of the previous one."""
        with self.write():
            self.db.execute(
                "INSERT OR REPLACE INTO catalogue_versions (version, installed_at, published_at,"
                " demo, note) VALUES (?, ?, ?, ?, ?)",
                [version, at, published_at, int(demo), note],
            )
            self.db.execute("DELETE FROM items")
            self.db.conn.executemany(
                "INSERT INTO items (code, catalogue_version, name, department, kind,"
                " village_available, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        i["code"],
                        version,
                        i["name"],
                        i.get("department", ""),
                        i["kind"],
                        int(bool(i.get("village_available"))),
                        json.dumps(i, ensure_ascii=False),
                    )
                    for i in items
                ],
            )

    def catalogue_version(self) -> dict[str, Any] | None:
        """Return the installed catalogue version row."""
        rows = list(
            self.db.query(
                "SELECT * FROM catalogue_versions ORDER BY installed_at DESC, rowid DESC LIMIT 1"
            )
        )
        return rows[0] if rows else None

    def items(self, *, department: str = "", village_only: bool = False) -> list[dict[str, Any]]:
        """Return the catalogue's items (full bodies), optionally narrowed."""
        sql = "SELECT body, catalogue_version FROM items WHERE 1 = 1"
        params: list[Any] = []
        if department:
            sql += " AND department = ?"
            params.append(department)
        if village_only:
            sql += " AND village_available = 1"
        sql += " ORDER BY department, code"
        return [
            {**json.loads(r["body"]), "catalogue_version": r["catalogue_version"]}
            for r in self.db.query(sql, params)
        ]

    def item(self, code: str) -> dict[str, Any] | None:
        """Return one item's full body."""
        rows = list(
            self.db.query("SELECT body, catalogue_version FROM items WHERE code = ?", [code])
        )
        if not rows:
            return None
        return {**json.loads(rows[0]["body"]), "catalogue_version": rows[0]["catalogue_version"]}

    def departments(self) -> list[str]:
        """Return the departments that have items."""
        return [r["department"] for r in self.db.query("SELECT DISTINCT department FROM items")]

    # Working-day calendar

    def calendar_years(self) -> list[YearCalendar]:
        """Return the calendar overrides installed from the central server."""
        return [
            YearCalendar.from_dict(json.loads(r["body"]))
            for r in self.db.query("SELECT body FROM calendar_years ORDER BY year")
        ]

    def calendar_arrivals(self) -> dict[int, str]:
        """Return when each installed year's calendar arrived (UTC), by year."""
        return {
            int(r["year"]): str(r["installed_at"])
            for r in self.db.query("SELECT year, installed_at FROM calendar_years")
        }

    def install_calendar_year(self, year: YearCalendar, at: str) -> None:
        """Install or replace one year's working-day calendar."""
        self.db.execute(
            "INSERT OR REPLACE INTO calendar_years (year, version, body, installed_at)"
            " VALUES (?, ?, ?, ?)",
            [year.year, year.version, json.dumps(year.to_dict(), ensure_ascii=False), at],
        )

    # Rating scale (好差评)

    def install_rating_scale(
        self, scale: RatingScale, serial: int, *, published_at: str | None, at: str
    ) -> None:
        """Install a rating scale published under a serial: the windows rate on it from now on."""
        self.db.execute(
            "INSERT INTO rating_scales (serial, version, body, published_at, installed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                serial,
                scale.version,
                json.dumps(scale.to_dict(), ensure_ascii=False),
                published_at,
                at,
            ],
        )

    def rating_scale_serial(self) -> int:
        """Return the serial of the installed rating scale (0 while the built-in default is used)."""
        return int(self.db.execute("SELECT MAX(serial) FROM rating_scales").fetchone()[0] or 0)

    def rating_scale(self, version: str | None = None) -> RatingScale:
        """Return the rating scale in use (the newest installed, else the built-in default), or
        the scale of a version (installed or built in; the one in use if unknown)."""
        sql, params = "SELECT body FROM rating_scales ORDER BY serial DESC LIMIT 1", []
        if version is not None:
            sql = "SELECT body FROM rating_scales WHERE version = ? ORDER BY serial DESC LIMIT 1"
            params = [version]
        row = self.db.execute(sql, params).fetchone()
        if row is not None:
            return parse_scale(json.loads(row[0]))
        if version is not None:
            return BUILT_IN.get(version) or self.rating_scale()
        return DEFAULT_SCALE

    # The public progress address (群众查询网址) the receipts print

    def install_public_address(
        self, progress_url: str, serial: int, *, published_at: str | None, at: str
    ) -> None:
        """Install the public progress address published under a serial."""
        self.db.execute(
            "INSERT INTO public_addresses (serial, progress_url, published_at, installed_at)"
            " VALUES (?, ?, ?, ?)",
            [serial, progress_url, published_at, at],
        )

    def public_address_serial(self) -> int:
        """Return the serial of the installed public address (0 while none came)."""
        row = self.db.execute("SELECT MAX(serial) FROM public_addresses").fetchone()
        return int(row[0] or 0)

    def public_progress_url(self) -> str:
        """Return the public progress address in use (the newest installed), or "" if none came."""
        row = self.db.execute(
            "SELECT progress_url FROM public_addresses ORDER BY serial DESC LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else ""

    # Supervision rules (电子监察预警)

    def install_supervision_rules(
        self, rules: SupervisionRules, serial: int, *, published_at: str | None, at: str
    ) -> None:
        """Install the warning thresholds published under a serial."""
        self.db.execute(
            "INSERT INTO supervision_rules (serial, version, body, published_at, installed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [serial, rules.version, json.dumps(rules.to_dict()), published_at, at],
        )

    def supervision_rules_serial(self) -> int:
        """Return the serial of the installed supervision rules (0 while the defaults are used)."""
        row = self.db.execute("SELECT MAX(serial) FROM supervision_rules").fetchone()
        return int(row[0] or 0)

    def supervision_rules(self) -> SupervisionRules:
        """Return the supervision rules in use: the newest installed, else the defaults."""
        row = self.db.execute(
            "SELECT body FROM supervision_rules ORDER BY serial DESC LIMIT 1"
        ).fetchone()
        return parse_rules(json.loads(row[0])) if row is not None else DEFAULT_RULES

    # Assessment scheme (考核方案)

    def install_assessment_scheme(
        self, scheme: AssessmentScheme, serial: int, *, published_at: str | None, at: str
    ) -> None:
        """Install the assessment scheme published under a serial."""
        self.db.execute(
            "INSERT INTO assessment_schemes (serial, version, body, published_at, installed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [serial, scheme.version, json.dumps(scheme.to_dict(), ensure_ascii=False),
             published_at, at],
        )  # fmt: skip

    def assessment_scheme_serial(self) -> int:
        """Return the serial of the installed scheme (0 while the default one is used)."""
        row = self.db.execute("SELECT MAX(serial) FROM assessment_schemes").fetchone()
        return int(row[0] or 0)

    def assessment_scheme(self) -> AssessmentScheme:
        """Return the assessment scheme in use: the newest installed, else the default one."""
        row = self.db.execute(
            "SELECT body FROM assessment_schemes ORDER BY serial DESC LIMIT 1"
        ).fetchone()
        return parse_scheme(json.loads(row[0])) if row is not None else DEFAULT_SCHEME
