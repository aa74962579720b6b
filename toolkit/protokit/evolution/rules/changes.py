"""What is not a break: added elements and deprecations (a minor release, as in SemVer) and
changed documentation (a patch release). Every category reports them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from protokit.evolution.rules import ALL, Kind, On, Pair, Rule, Violation
from protokit.evolution.rules.schema import Schema, type_of


def file_added(p: Pair) -> Iterator[Violation]:
    for name in sorted(set(p.new.files) - set(p.old.files)):
        yield Violation("file", "added", name, f"new file {name}", at=(name,))


def element_added(p: Pair) -> Iterator[Violation]:
    before: Schema = p.before
    after: Schema = p.after
    for name in sorted(after.declared[p.name] - before.declared[p.name]):
        for kind, table in (("message", "messages"), ("enum", "enums"), ("service", "services")):
            found = getattr(after, table).get(name)
            if found is None or (kind == "message" and found.options.map_entry):
                continue
            yield Violation(kind, "added", name, f"new {kind} {name}", at=(name,))


def field_added(p: Pair) -> Iterator[Violation]:
    if p.new.options.map_entry:
        return
    numbers = {f.number for f in p.old.field}
    for f in p.new.field:
        if f.number not in numbers:
            full = f"{p.name}.{f.name}"
            detail = f"new field {full} ({f.number}, {type_of(f)})"
            yield Violation("field", "added", full, detail, at=(full,))


def enum_value_added(p: Pair) -> Iterator[Violation]:
    old = {(v.number, v.name) for v in p.old.value}
    for v in p.new.value:
        if (v.number, v.name) not in old:
            full = f"{p.name}.{v.name}"
            detail = f"new enum value {full} ({v.number})"
            yield Violation("enum value", "added", full, detail, at=(full,))


def rpc_added(p: Pair) -> Iterator[Violation]:
    old = {m.name for m in p.old.method}
    for m in p.new.method:
        if m.name not in old:
            full = f"{p.name}.{m.name}"
            yield Violation("rpc", "added", full, f"new RPC {full}", at=(full,))


def _deprecation(element: str) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        items = [(element, p.name, p.old, p.new)]
        if element == "enum":
            old = {v.name: v for v in p.old.value}
            items += [
                ("enum value", f"{p.name}.{v.name}", old[v.name], v)
                for v in p.new.value
                if v.name in old
            ]
        for kind, name, before, after in items:
            was = bool(before.options.deprecated)
            now = bool(after.options.deprecated)
            if now and not was:
                yield Violation(kind, "deprecated", name, f"{kind} {name} is deprecated", (name,))
            elif was and not now:
                detail = f"{kind} {name} is no longer deprecated"
                yield Violation(kind, "undeprecated", name, detail, (name,))

    return check


def _comment(element: str) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        names = [(element, p.name)]
        if element == "enum":
            kept = {v.name for v in p.old.value}
            names += [("enum value", f"{p.name}.{v.name}") for v in p.new.value if v.name in kept]
        if element == "field" and p.old.name != p.new.name:
            return
        for kind, name in names:
            old, new = p.before.sources.get(name), p.after.sources.get(name)
            if old and new and old.comment != new.comment:
                detail = f"documentation of {kind} {name} changed"
                yield Violation(kind, "comment changed", name, detail, (name,))

    return check


_ELEMENTS = (
    (On.MESSAGE, "message"),
    (On.FIELD, "field"),
    (On.ENUM, "enum"),
    (On.SERVICE, "service"),
    (On.RPC, "rpc"),
)

RULES = (
    Rule("FILE_ADDED", "Reports new files.", Kind.ADDITIVE, On.IMAGE, ALL, file_added),
    Rule(
        "ELEMENT_ADDED",
        "Reports new messages, enums and services in a kept file.",
        Kind.ADDITIVE,
        On.FILE,
        ALL,
        element_added,
    ),
    Rule("FIELD_ADDED", "Reports new fields.", Kind.ADDITIVE, On.MESSAGE, ALL, field_added),
    Rule(
        "ENUM_VALUE_ADDED",
        "Reports new enum values and aliases.",
        Kind.ADDITIVE,
        On.ENUM,
        ALL,
        enum_value_added,
    ),
    Rule("RPC_ADDED", "Reports new RPCs.", Kind.ADDITIVE, On.SERVICE, ALL, rpc_added),
    *(
        Rule(
            f"{element.upper()}_DEPRECATION",
            f"Reports a {element} becoming deprecated (or no longer deprecated).",
            Kind.ADDITIVE,
            on,
            ALL,
            _deprecation(element),
        )
        for on, element in _ELEMENTS
    ),
    *(
        Rule(
            f"{element.upper()}_COMMENT_CHANGED",
            f"Reports a {element}'s documentation changing.",
            Kind.COSMETIC,
            on,
            ALL,
            _comment(element),
        )
        for on, element in _ELEMENTS
    ),
)
