"""Accepted breaks: reviewed exceptions kept in the repository (``<fixtures_out>/accepted.toml``).

Each ``[[accepted]]`` entry names an element (its full name: a message, field, enum value, service
or RPC), the rule it may break, why, and optionally the date the exception ``expires``::

    [[accepted]]
    element = "shop.v1.Item.price"
    rule = "FIELD_NO_DELETE"
    reason = "price moved to the pricing service; no client reads it"
    expires = 2027-03-31

An accepted break is dropped from buf's and the fixtures' findings at that element's place and from
diff's breaking flag, and listed as a note; an expired entry is a finding of its own.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding, Severity
from protokit.core.workspace import Workspace
from protokit.evolution.rules import Kind

if TYPE_CHECKING:  # the diff is loaded only by the runs that make one
    from protokit.evolution.apidiff import ApiDiff, Change

FILE_NAME = "accepted.toml"
ACCEPTED_RULE = "ACCEPTED_BREAK"
EXPIRED_RULE = "ACCEPTED_BREAK_EXPIRED"
_KEYS = ("element", "rule", "reason", "expires")


@dataclass(frozen=True)
class Accepted:
    element: str
    rule: str
    reason: str
    expires: datetime.date | None = None
    index: int = 0  # 1-based position in the file, for messages

    def covers(self, change: Change) -> bool:
        named = change.name == self.element or change.name.startswith(self.element + ".")
        return named and self.rule in change.rules

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and self.expires < today


def accepted_path(ws: Workspace) -> str:
    return f"{ws.settings.fixtures_out.rstrip('/')}/{FILE_NAME}"


def load_accepted(ws: Workspace) -> list[Accepted]:
    """The repository's accepted breaks; none when the file does not exist."""
    rel = accepted_path(ws)
    path = ws.path(rel)
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProtokitError(f"invalid TOML: {exc}", path=rel) from exc
    except UnicodeDecodeError as exc:
        raise ProtokitError("not UTF-8 text", path=rel) from exc
    unknown = sorted(set(data) - {"accepted"})
    entries = data.get("accepted", [])
    if unknown or not isinstance(entries, list):
        raise ProtokitError(
            "expected only [[accepted]] entries (element, rule, reason, expires)", path=rel
        )
    return [_entry(rel, i, e) for i, e in enumerate(entries, start=1)]


def _entry(rel: str, index: int, entry: object) -> Accepted:
    def bad(problem: str) -> ProtokitError:
        return ProtokitError(f"[[accepted]] entry {index}: {problem}", path=rel)

    if not isinstance(entry, dict):
        raise bad("must be a table")
    extra = sorted(set(entry) - set(_KEYS))
    if extra:
        raise bad(f"unknown key {extra[0]!r}; known keys: {', '.join(_KEYS)}")
    texts: dict[str, str] = {}
    for key in ("element", "rule", "reason"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise bad(f"{key} must be a non-empty string")
        texts[key] = value.strip()
    if not texts["rule"].replace("_", "").isalnum() or texts["rule"].upper() != texts["rule"]:
        raise bad(f"rule {texts['rule']!r} is not a rule id such as FIELD_NO_DELETE")
    expires = entry.get("expires")
    if isinstance(expires, str):
        try:
            expires = datetime.date.fromisoformat(expires)
        except ValueError:
            raise bad(f"expires {expires!r} is not a date YYYY-MM-DD") from None
    if isinstance(expires, datetime.datetime) or not (
        expires is None or isinstance(expires, datetime.date)
    ):
        raise bad(f"expires {expires!r} is not a date YYYY-MM-DD")
    return Accepted(texts["element"].lstrip("."), texts["rule"], texts["reason"], expires, index)


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def honour(
    findings: Sequence[Finding],
    changes: Sequence[Change],
    accepted: Sequence[Accepted],
    rel: str,
    today: datetime.date | None = None,
) -> list[Finding]:
    """Drop the findings of accepted breaks (buf's and the fixtures' at the same place), add a
    note per accepted break and a finding per expired entry."""
    today = today or _today()
    places: dict[tuple[str, int], set[str]] = {}
    notes: list[Finding] = []
    result: list[Finding] = []
    for entry in accepted:
        if entry.expired(today):
            result.append(
                Finding(
                    path=rel,
                    line=0,
                    column=0,
                    rule=EXPIRED_RULE,
                    message=f"accepted break of {entry.rule} on {entry.element} expired on "
                    f"{entry.expires}; fix the break or renew the entry after review",
                    source="protokit accepted",
                )
            )
            continue
        for change in dict.fromkeys(changes):
            if change.kind is Kind.BREAKING and entry.covers(change):
                places.setdefault((change.path, change.line), set()).update(change.rules)
                notes.append(
                    Finding(
                        path=change.path,
                        line=change.line,
                        column=change.column,
                        rule=ACCEPTED_RULE,
                        message=f"accepted break: {change.detail} [{entry.rule}] "
                        f"({entry.reason}; {rel} entry {entry.index})",
                        source="protokit accepted",
                        severity=Severity.NOTE,
                    )
                )
    for f in findings:
        rules = places.get((f.path, f.line))
        if rules is not None and (f.rule in rules or f.rule.startswith("COMPAT_")):
            continue
        result.append(f)
    return [*result, *notes]


def accept_changes(
    api: ApiDiff, accepted: Sequence[Accepted], today: datetime.date | None = None
) -> ApiDiff:
    """``api`` with the accepted breaking changes listed apart (not counted as breaking)."""
    today = today or _today()
    active = [e for e in accepted if not e.expired(today)]
    every = dict.fromkeys((*api.changes, *(api.since_release or ())))
    taken = tuple(c for c in every if c.kind is Kind.BREAKING and any(e.covers(c) for e in active))
    if not taken:
        return api
    return replace(api, accepted=taken)
