"""Fixture compatibility: do payloads cross between a baseline schema and the current one?

Three checks, all on dynamic messages built from descriptor images (no generated code):

- **backward**: the current schema reads every baseline payload; each field it declares reads the
  value the baseline wrote, no declared field is left unreadable (a changed type), numbers it
  dropped are reserved, and re-serialising keeps the data, unknown fields included;
- **forward**: payloads the current schema writes are read by the baseline schema with nothing
  but unknown fields lost;
- **json**: the baseline's proto3 JSON still parses into the same values (a renamed JSON name or
  enum value shows here).

These do not consult buf: a changed field type is caught from the payloads alone.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from protokit.core.descriptors import Image, walk_messages
from protokit.core.findings import Finding, dedupe
from protokit.core.sourcemap import SourceMap

# Payloads are made and read when there is a baseline to check against: a `check` with none
# loads this module for its finding source (SOURCE) only.
if TYPE_CHECKING:
    from protokit.evolution.fixtures import DynamicSchema, Fixture
    from protokit.evolution.reads import Problem
    from protokit.evolution.release import Release

SOURCE = "protokit compat"


@dataclass(frozen=True)
class Snapshot:
    """A baseline schema and its payloads: a frozen release, or fixtures made from a git ref.

    ``same_schema`` names baseline messages declared exactly as in the current schema (their
    file, and every file it imports, unchanged): a payload the current schema writes reads the
    same in the baseline, so ``Compat.forward`` makes and reads none for them."""

    label: str
    image: Image
    fixtures: tuple[Fixture, ...]
    folder: str | None = None
    same_schema: frozenset[str] = frozenset()

    @classmethod
    def of_release(cls, release: Release, changed: Collection[str] | None = None) -> Snapshot:
        """A frozen release with its stored payloads; ``changed`` as for ``of_image``, here
        only sparing ``forward`` (the stored payloads are all read back, as they are on disk)."""
        return cls(
            f"release {release.version}",
            release.image,
            release.fixtures,
            release.folder,
            _same_schema(release.image, changed),
        )

    @classmethod
    def of_image(cls, label: str, image: Image, changed: Collection[str] | None = None) -> Snapshot:
        """Payloads made from ``image``. ``changed``: its targets whose schema differs from the
        current one (``changed_targets``, importers included); only their messages can read
        differently, so only they get payloads and the rest are ``same_schema``."""
        from protokit.evolution.fixtures import make_fixtures

        if changed is None:
            return cls(label, image, tuple(make_fixtures(image)))
        pruned = replace(image, targets=tuple(sorted(changed)))
        same = _same_schema(image, changed)
        return cls(label, pruned, tuple(make_fixtures(pruned)), same_schema=same)

    @cached_property
    def schema(self) -> DynamicSchema:
        """The baseline's message classes, built once for every check against it."""
        from protokit.evolution.fixtures import DynamicSchema

        return DynamicSchema(self.image)

    def where(self, fixture: Fixture, suffix: str | None = None) -> str:
        """Where a payload lives (``suffix``: its file's, the binary one by default)."""
        from protokit.evolution.fixtures import BINARY_SUFFIX

        suffix = BINARY_SUFFIX if suffix is None else suffix
        if self.folder is None:
            return f"{fixture.stem}{suffix} of {self.label}"
        return f"{self.folder}/fixtures/{fixture.stem}{suffix}"

    def messages(self) -> list[str]:
        return sorted({f.message for f in self.fixtures})


def _same_schema(image: Image, changed: Collection[str] | None) -> frozenset[str]:
    """The messages of ``image``'s targets outside ``changed``."""
    if changed is None:
        return frozenset()
    return frozenset(
        at.full_name
        for file in image.target_files()
        if file.name not in changed
        for at in walk_messages(file)
    )


@dataclass
class Compat:
    """The current schema, ready to be checked against any number of baselines."""

    current: Image
    schema: DynamicSchema = field(init=False)
    _fixtures: dict[str, list[Fixture]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        from protokit.evolution.fixtures import DynamicSchema

        self.schema = DynamicSchema(self.current)

    @cached_property
    def sources(self) -> SourceMap:
        """Where the current schema declares each element: built when a finding needs a place."""
        return SourceMap(self.current)

    @cached_property
    def _messages(self) -> dict[str, None]:
        """The current schema's own messages, sorted: the ones it writes payloads for."""
        return dict.fromkeys(self.schema.messages())

    def _current_fixtures(self, name: str) -> list[Fixture]:
        """The payloads the current schema writes for one message, made on first use (a big
        tree's unchanged messages are never made)."""
        from protokit.evolution.fixtures import message_fixtures

        found = self._fixtures.get(name)
        if found is None:
            found = self._fixtures[name] = message_fixtures(self.schema, name)
        return found

    def check(self, old: Snapshot, json_too: bool = True) -> list[Finding]:
        """Every check against one baseline; ``json_too`` False for the WIRE category, where
        JSON compatibility is not promised."""
        return [*self.backward(old), *self.forward(old), *(self.json(old) if json_too else [])]

    def backward(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The current schema reads the baseline's binary payloads."""
        from protokit.evolution.reads import read_binary

        writer = old.schema
        findings: list[Finding] = []
        for fixture in old.fixtures:
            if only is not None and fixture.message != only:
                continue
            if not self.schema.has_message(fixture.message):
                # Deleted or renamed: the current schema has no reader of these payloads, and
                # buf's own rules say whether losing the message breaks (MESSAGE_NO_DELETE).
                continue
            where = old.where(fixture)
            for problem in read_binary(fixture.binary, fixture.message, writer, self.schema, True):
                findings.append(self._finding(problem, "backward", where))
        return dedupe(findings)

    def forward(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The baseline schema reads payloads the current schema writes."""
        from protokit.evolution.fixtures import BINARY_SUFFIX
        from protokit.evolution.reads import read_binary

        reader = old.schema
        findings: list[Finding] = []
        names = self._messages if only is None else [n for n in [only] if n in self._messages]
        for name in names:
            if name in old.same_schema or not reader.has_message(name):
                continue  # read the same either way, or a message the baseline never had
            for fixture in self._current_fixtures(name):
                where = f"{fixture.stem}{BINARY_SUFFIX} (current schema)"
                for problem in read_binary(fixture.binary, name, self.schema, reader, False):
                    findings.append(self._finding(problem, "forward", where))
        return dedupe(findings)

    def json(self, old: Snapshot, only: str | None = None) -> list[Finding]:
        """The baseline's JSON payloads parse into the values its binary payloads hold."""
        from protokit.evolution.fixtures import JSON_SUFFIX
        from protokit.evolution.reads import read_json

        writer = old.schema
        findings: list[Finding] = []
        for fixture in old.fixtures:
            if only is not None and fixture.message != only:
                continue
            if not self.schema.has_message(fixture.message):
                continue  # no reader of these payloads any more
            where = old.where(fixture, JSON_SUFFIX)
            for problem in read_json(fixture, writer, self.schema):
                findings.append(self._finding(problem, "json", where))
        return dedupe(findings)

    def _finding(self, problem: Problem, direction: str, where: str) -> Finding:
        names: list[str] = []
        if problem.number is not None and self.schema.has_message(problem.scope):
            current_field = self.schema.descriptor(problem.scope).fields_by_number.get(
                problem.number
            )
            if current_field is not None:
                names.append(current_field.full_name)
        names.append(problem.scope)
        location = self.sources.nearest(*names)
        return Finding(
            path=location.path if location else "",
            line=location.line if location else 0,
            column=location.column if location else 0,
            rule=problem.rule,
            message=f"{direction}: {problem.text} (payload {where})",
            source=SOURCE,
        )
