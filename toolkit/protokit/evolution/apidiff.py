"""``protokit diff``: the API changelog between a baseline and the current schema.

The images are walked pair by pair (files by name; messages, enums and services by full name;
fields and enum values by number; RPCs by name) and every rule record of ``evolution.rules`` that
the repository's buf configuration enables is applied to its pairs. Each change is breaking (with
the buf rules it violates, listed together), additive (a minor release; deprecations count here,
as in SemVer) or cosmetic (comments only: a patch release).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from protokit.core.descriptors import Image
from protokit.core.sourcemap import Location
from protokit.evolution.config import BreakingConfig
from protokit.evolution.release import Version
from protokit.evolution.rules import Category, Kind, On, Pair, Rule, Violation, all_rules
from protokit.evolution.rules.schema import Schema

__all__ = ["ApiDiff", "Change", "Kind", "diff_images"]

_BUMP = {Kind.BREAKING: "major", Kind.ADDITIVE: "minor", Kind.COSMETIC: "patch"}
_ORDER = {Kind.BREAKING: 0, Kind.ADDITIVE: 1, Kind.COSMETIC: 2}


@dataclass(frozen=True)
class Change:
    kind: Kind
    element: str  # file, package, service, rpc, message, field, oneof, enum, enum value
    action: str  # added, removed, changed, moved, deprecated, comment changed
    name: str
    detail: str
    rule: str | None = None  # the first rule violated (breaking changes)
    path: str = ""
    line: int = 0
    column: int = 0
    fix: str | None = None
    rules: tuple[str, ...] = ()  # every rule this one change violates


@dataclass(frozen=True)
class ApiDiff:
    against: str
    changes: tuple[Change, ...]
    latest_release: str | None
    category: Category = Category.FILE
    # Changes since the latest release when ``against`` is something else (a PR base): the
    # next version is always computed from these.
    since_release: tuple[Change, ...] | None = None
    # Breaking changes the repository accepted (``accepted.toml``): not counted as breaking.
    accepted: tuple[Change, ...] = ()

    @property
    def bump(self) -> str:
        return _bump(self.changes)

    @property
    def release_bump(self) -> str:
        return _bump(self.changes if self.since_release is None else self.since_release)

    @property
    def next_version(self) -> str | None:
        if self.latest_release is None or self.release_bump == "none":
            return None
        return str(Version.parse(self.latest_release).bump(self.release_bump))

    @property
    def breaking(self) -> bool:
        return any(c.kind is Kind.BREAKING and c not in self.accepted for c in self.changes)

    @property
    def pending(self) -> tuple[Change, ...]:
        """Breaking changes since the latest release that this diff's baseline already had."""
        if self.since_release is None:
            return ()
        here = {(c.name, c.rules) for c in self.changes}
        return tuple(
            c
            for c in self.since_release
            if c.kind is Kind.BREAKING and (c.name, c.rules) not in here
        )


def _bump(changes: tuple[Change, ...]) -> str:
    for kind in (Kind.BREAKING, Kind.ADDITIVE, Kind.COSMETIC):
        if any(c.kind is kind for c in changes):
            return _BUMP[kind]
    return "none"


def diff_images(
    old: Image,
    new: Image,
    against: str,
    latest: str | None,
    config: BreakingConfig | None = None,
    unstable: Sequence[str] = (),
) -> ApiDiff:
    """``unstable``: package patterns whose breaking changes count as minor ones."""
    config = config or BreakingConfig.of(Category.FILE)
    walker = _Walker(Schema(old), Schema(new), config)
    walker.run()
    merged = _merge(walker.changes)
    if unstable:
        merged = _soften_unstable(merged, (old, new), unstable)
    changes = sorted(
        merged,
        key=lambda c: (_ORDER[c.kind], c.path, c.line, c.column, c.name, c.action),
    )
    return ApiDiff(against, tuple(changes), latest, config.category)


def _soften_unstable(
    changes: list[Change], images: tuple[Image, Image], unstable: Sequence[str]
) -> list[Change]:
    """Breaking changes in unstable packages become additive ones (a minor release)."""
    from protokit.evolution.unstable import is_unstable

    files = {f.name: f.package for image in images for f in image.files}
    packages = sorted(set(files.values()), key=len, reverse=True)

    def package_of(name: str) -> str:
        if name in files:
            return files[name]
        return next((p for p in packages if name == p or name.startswith(p + ".")), "")

    return [
        replace(c, kind=Kind.ADDITIVE, detail=f"{c.detail} (unstable package)")
        if c.kind is Kind.BREAKING and is_unstable(package_of(c.name), unstable)
        else c
        for c in changes
    ]


def _merge(changes: list[Change]) -> list[Change]:
    """One breaking change per element and place, its rules listed together."""
    grouped: dict[tuple[str, str, int, int], list[Change]] = defaultdict(list)
    rest: list[Change] = []
    for c in changes:
        if c.kind is Kind.BREAKING:
            grouped[(c.name, c.path, c.line, c.column)].append(c)
        else:
            rest.append(c)
    merged = []
    for group in grouped.values():
        first = group[0]
        details = list(dict.fromkeys(c.detail for c in group))
        fixes = list(dict.fromkeys(c.fix for c in group if c.fix))
        rules = tuple(dict.fromkeys(r for c in group for r in c.rules))
        merged.append(
            replace(first, detail="; ".join(details), fix="; ".join(fixes) or None, rules=rules)
        )
    return merged + rest


class _Walker:
    def __init__(self, before: Schema, after: Schema, config: BreakingConfig) -> None:
        self.before, self.after, self.config = before, after, config
        self.category = config.category
        self.changes: list[Change] = []
        self.rules: dict[On, list[Rule]] = defaultdict(list)
        for rule in all_rules():
            self.rules[rule.on].append(rule)

    def pair(self, name: str, old: object, new: object, parents: tuple[object, object]) -> Pair:
        return Pair(name, old, new, self.before, self.after, parents[0], parents[1])

    def run(self) -> None:
        b, a = self.before, self.after
        self.apply(On.IMAGE, Pair("", b, a, b, a), None)
        for name in sorted(set(b.files) & set(a.files)):
            self.apply(On.FILE, self.pair(name, b.files[name], a.files[name], (None, None)), name)
        for name in sorted(set(b.messages) & set(a.messages)):
            old, new = b.messages[name], a.messages[name]
            file = a.file_of[name]
            self.apply(On.MESSAGE, self.pair(name, old, new, (None, None)), file)
            now = {f.number: f for f in new.field}
            for f in old.field:
                if f.number in now:
                    g = now[f.number]
                    self.apply(On.FIELD, self.pair(f"{name}.{g.name}", f, g, (old, new)), file)
        for name in sorted(set(b.enums) & set(a.enums)):
            pair = self.pair(name, b.enums[name], a.enums[name], (None, None))
            self.apply(On.ENUM, pair, a.file_of[name])
        for name in sorted(set(b.services) & set(a.services)):
            old_svc, new_svc = b.services[name], a.services[name]
            file = a.file_of[name]
            self.apply(On.SERVICE, self.pair(name, old_svc, new_svc, (None, None)), file)
            now_rpcs = {m.name: m for m in new_svc.method}
            for m in old_svc.method:
                if m.name in now_rpcs:
                    pair = self.pair(f"{name}.{m.name}", m, now_rpcs[m.name], (old_svc, new_svc))
                    self.apply(On.RPC, pair, file)

    def apply(self, on: On, pair: Pair, file: str | None) -> None:
        enabled = self.config.rules_for(self.after.image.disk_paths.get(file or "", None))
        for rule in self.rules[on]:
            if rule.kind is Kind.BREAKING and rule.id not in enabled:
                continue
            for violation in rule.check(pair):
                self.record(rule, violation)

    def record(self, rule: Rule, v: Violation) -> None:
        loc = self.locate(v)
        breaking = rule.kind is Kind.BREAKING
        self.changes.append(
            Change(
                rule.kind,
                v.element,
                v.action,
                v.name,
                v.detail,
                rule=rule.id if breaking else None,
                path=loc.path if loc else "",
                line=loc.line if loc else 0,
                column=loc.column if loc else 0,
                fix=v.fix or (rule.fix_for(self.category) if breaking else None),
                rules=(rule.id,),
            )
        )

    def locate(self, v: Violation) -> Location | None:
        sources = self.after.sources
        if v.span is not None:
            found = sources.span(*v.span)
            if found is not None:
                return found
        if v.part and v.at:
            found = sources.part(v.at[0], v.part)
            if found is not None:
                return found
        for name in v.at:
            # a map entry's own place is the file's first line: its map field's comes first
            found = self._map_field(name) or sources.get(name)
            if found is not None:
                return found
        return None

    def _map_field(self, name: str) -> Location | None:
        """A map's entry message has no place in the source: locate it at the map field."""
        parts = name.split(".")
        for end in range(len(parts), 1, -1):
            entry = ".".join(parts[:end])
            msg = self.after.messages.get(entry)
            if msg is None or not msg.options.map_entry:
                continue
            owner = entry.rsplit(".", 1)[0]
            for f in self.after.messages[owner].field:
                if f.type_name.lstrip(".") == entry:
                    return self.after.sources.get(f"{owner}.{f.name}")
        return None
