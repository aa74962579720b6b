"""Output planning and atomic writes: render in memory, compare with disk, then write.

A generator hands over every file it wants as an ``OutputFile`` (path relative to a root, bytes,
owner). ``plan_outputs`` compares them with disk and with the previous ``Manifest`` and classifies
each path:

- ``create``    the file does not exist yet (either owner);
- ``identical`` the file exists with exactly these bytes (nothing to do);
- ``update``    a protokit-owned (generated) file exists with other bytes: it is rewritten;
- ``conflict``  a user-owned file exists with other bytes: it is left alone, never overwritten;
- ``delete``    a generated file the previous manifest lists that nothing produces any more.

``apply`` writes the plan so that an interrupted run never leaves a half-written file and never
loses the previous output: every new file is first written to a temporary file in its own
folder, all of them flushed to disk at once; only then are they moved into place with
``os.replace``; stale files are
removed after that; the manifest is written last. A run killed before the manifest is replaced
leaves the previous manifest, so the next run sees the difference and repairs it.

The manifest lives in ``manifest``; the temp-file and rename primitives in ``atomic``.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from protokit.core.atomic import (
    TEMP_SUFFIX,
    _check_relative,
    _discard,
    _Folders,
    _fsync_dir,
    _os_error,
    _remove_temps,
    _stage,
    write_atomic,
)
from protokit.core.errors import ProtokitError
from protokit.core.manifest import Manifest, carries_marker, sha256
from protokit.core.paths import check_write_target, read_regular

__all__ = [
    "Action",
    "Change",
    "OutputFile",
    "Owner",
    "Plan",
    "apply",
    "clear_plan_leftovers",
    "plan_outputs",
]


class Owner(Enum):
    """Who a file belongs to once written."""

    GENERATED = "generated"  # protokit's: rewritten when it differs, deleted when stale
    USER = "user"  # the user's: created once, never overwritten or deleted


class Action(Enum):
    CREATE = "create"
    IDENTICAL = "identical"
    UPDATE = "update"
    CONFLICT = "conflict"
    DELETE = "delete"


@dataclass(frozen=True)
class OutputFile:
    """One file a generator wants on disk; ``path`` is POSIX-style, relative to the root."""

    path: str
    content: bytes
    owner: Owner = Owner.GENERATED

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", _check_relative(self.path))

    @classmethod
    def text(cls, path: str, text: str, owner: Owner = Owner.GENERATED) -> OutputFile:
        return cls(path, text.encode("utf-8"), owner)


@dataclass(frozen=True)
class Change:
    """One path and what the plan does to it. ``old`` is the bytes on disk (None if absent)."""

    path: str
    action: Action
    owner: Owner
    content: bytes | None = None
    old: bytes | None = None

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE)

    def line(self) -> str:
        note = ""
        if self.action is Action.CONFLICT:
            note = "  (yours, differs; left unchanged)"
        return f"{self.action.value:<9} {self.path}{note}"

    def diff(self) -> str:
        """A unified diff from what is on disk to what the plan wants (text files)."""
        old = (self.old or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = (self.content or b"").decode("utf-8", "replace").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}"))


@dataclass(frozen=True)
class Plan:
    root: Path
    changes: tuple[Change, ...]
    manifest_path: str | None = None
    manifest: Manifest | None = None
    manifest_changed: bool = False
    kept: tuple[str, ...] = ()  # stale manifest entries not deleted, each with its reason

    def by_action(self, action: Action) -> list[Change]:
        return [c for c in self.changes if c.action is action]

    @property
    def pending(self) -> list[Change]:
        """Changes that would touch disk (create, update, delete)."""
        return [c for c in self.changes if c.writes]

    @property
    def conflicts(self) -> list[Change]:
        return self.by_action(Action.CONFLICT)

    @property
    def up_to_date(self) -> bool:
        """Nothing to write: every wanted file is identical (or user-owned and kept)."""
        return not self.pending and not self.manifest_changed

    def lines(self, *, include_identical: bool = True) -> list[str]:
        return [
            c.line() for c in self.changes if include_identical or c.action is not Action.IDENTICAL
        ]

    def summary(self) -> str:
        counts = {a: len(self.by_action(a)) for a in Action}
        return ", ".join(f"{n} {a.value}" for a, n in counts.items() if n)


MAX_OUTPUT_BYTES = 512 * 1024 * 1024
"""The largest existing file at an output path that is read to compare with."""


def _read(root: Path, rel: str, checked: set[str] | None = None) -> bytes | None:
    """The bytes at an output path (None when absent); the path must be a regular file (never a
    link, a FIFO or a folder) whose folder stays inside ``root`` (``checked``: folders this pass
    has resolved already)."""
    target = check_write_target(root, rel, checked=checked)
    try:
        return read_regular(target, shown=rel, limit=MAX_OUTPUT_BYTES)
    except (FileNotFoundError, NotADirectoryError):
        return None  # absent (a file where a parent folder should be fails later, at staging)


def _generated_before(rel: str, old: bytes, previous: Manifest | None) -> bool:
    """Whether an existing file at a generated path may be replaced: the previous run wrote it,
    or it says it is generated (a run whose manifest was deleted)."""
    if previous is not None and rel in previous.files:
        return True
    return carries_marker(old)


def _deletable(rel: str, old: bytes, digest: str, owned: Sequence[str]) -> str | None:
    """Why a stale manifest entry must be kept, or None when it may be deleted: it lies in an
    output folder of the generator, still carries a generated mark (or is empty) and still has
    the bytes the manifest recorded."""
    if not any(rel.startswith(folder.rstrip("/") + "/") for folder in owned):
        return "outside the generator's output folders"
    if sha256(old) != digest:
        return "changed since it was generated"
    if old and not carries_marker(old):
        return "carries no generated mark"
    return None


def plan_outputs(
    root: Path,
    files: Iterable[OutputFile],
    *,
    manifest_path: str | None = None,
    previous: Manifest | None = None,
    inputs: str = "",
    notes: Mapping[str, str] | None = None,
    owned: Sequence[str] | None = None,
    unchanged: Mapping[str, str] | None = None,
) -> Plan:
    """Compare the wanted files with disk (and the previous manifest) without writing anything.

    ``unchanged``: generated files (path → digest, as the previous manifest lists them) the
    caller has proven to be on disk as that manifest recorded them; they are planned identical
    without being read again, and stay in the new manifest.

    With ``manifest_path`` the plan also carries the new manifest (generated files only, plus
    ``inputs`` and ``notes``); with ``previous`` it deletes generated files nothing wants now,
    but only inside ``owned`` folders (default: the manifest's folder), still marked as
    generated and unchanged since; any other stale entry is kept and listed in ``kept``.
    """
    wanted: dict[str, OutputFile] = {}
    for item in files:
        if item.path in wanted:
            raise ProtokitError(f"two outputs want the same file: {item.path}")
        wanted[item.path] = item
    if manifest_path is not None and _check_relative(manifest_path) in wanted:
        raise ProtokitError(f"an output would overwrite the manifest: {manifest_path}")
    carried = {rel: digest for rel, digest in (unchanged or {}).items() if rel not in wanted}
    changes: list[Change] = [
        Change(rel, Action.IDENTICAL, Owner.GENERATED) for rel in sorted(carried)
    ]
    checked: set[str] = set()
    for rel in sorted(wanted):
        item = wanted[rel]
        old = _read(root, rel, checked)
        if old is None:
            action = Action.CREATE
        elif old == item.content:
            action = Action.IDENTICAL
        elif item.owner is Owner.GENERATED and (
            manifest_path is None or _generated_before(rel, old, previous)
        ):
            action = Action.UPDATE
        else:
            action = Action.CONFLICT  # the user's file (or one no generator wrote): kept
        changes.append(Change(rel, action, item.owner, item.content, old))
    kept: list[str] = []
    if previous is not None:
        folders = list(owned) if owned is not None else []
        if owned is None and manifest_path is not None:
            folders.append(posixpath.dirname(_check_relative(manifest_path)))
        for rel in sorted(set(previous.files) - set(wanted) - set(carried)):
            try:
                old = _read(root, rel, checked)
            except ProtokitError as exc:
                kept.append(f"{rel}: kept, not deleted: {exc.message}")
                continue
            if old is None:
                continue
            reason = _deletable(rel, old, previous.files[rel], folders)
            if reason is not None:
                kept.append(f"{rel}: listed as generated by the manifest but {reason}; kept")
                continue
            changes.append(Change(rel, Action.DELETE, Owner.GENERATED, None, old))
    manifest: Manifest | None = None
    manifest_changed = False
    if manifest_path is not None:
        created = set(previous.created) if previous is not None else set()
        created.update(rel for rel, item in wanted.items() if item.owner is Owner.USER)
        manifest = Manifest(
            files={
                **carried,
                **{
                    rel: sha256(item.content)
                    for rel, item in wanted.items()
                    if item.owner is Owner.GENERATED
                },
            },
            inputs=inputs,
            notes=dict(notes or {}),
            created=tuple(sorted(created)),
        )
        on_disk = _read(root, manifest_path)
        manifest_changed = on_disk != manifest.dumps()
    changes.sort(key=lambda c: c.path)
    return Plan(root, tuple(changes), manifest_path, manifest, manifest_changed, tuple(kept))


Event = Callable[[str, str], None]
"""``(stage, path)`` callbacks from ``apply``: staged, replaced, deleted, manifest."""


def _prune_empty(folder: Path, root: Path) -> None:
    root = root.resolve()
    current = folder
    while current.resolve() != root and root in current.resolve().parents:
        try:
            current.rmdir()
        except OSError:
            return
        current = current.parent


def apply(plan: Plan, *, on_event: Event | None = None) -> None:
    """Write ``plan`` to disk: stage all, replace all, delete stale, write the manifest last.

    Staging failures (an unwritable folder, a full disk, a file where a folder goes) remove
    what was staged and every folder the run created, and raise a ``ProtokitError``; the tree
    is left as it was. Conflicts are never written.
    """
    notify = on_event or (lambda _stage, _path: None)
    root = plan.root
    wanted = [
        c
        for c in plan.changes
        if c.action in (Action.CREATE, Action.UPDATE) and c.content is not None
    ]
    checked: set[str] = set()
    for change in [*wanted, *plan.by_action(Action.DELETE)]:
        # again: the tree may have changed since the plan
        check_write_target(root, change.path, checked=checked)
    clear_plan_leftovers(plan)
    staged: list[tuple[Path, Path]] = []
    folders = _Folders(root)
    for change in wanted:  # folders first, in order, so a failure can remove them again
        folders.make((root / change.path).parent)

    def stage(change: Change) -> tuple[Path, Path]:
        target = root / change.path
        try:
            return _stage(target, change.content or b"", folders, sync=False), target
        except OSError as exc:
            raise _os_error(exc, target, root) from exc

    try:
        # Writing many files releases the GIL: stage in a few threads. The
        # order of events (and so of replaces) stays the plan's order.
        with ThreadPoolExecutor(max_workers=min(8, max(1, len(wanted) // 32))) as pool:
            futures = [pool.submit(stage, change) for change in wanted]
            try:
                for change, future in zip(wanted, futures, strict=True):
                    staged.append(future.result())
                    notify("staged", change.path)
            except BaseException:
                for pending in futures:
                    pending.cancel()
                for pending in futures:
                    if not pending.cancelled() and pending.exception() is None:
                        staged.append(pending.result())
                raise
    except BaseException:
        for temp, _ in staged:
            _discard(temp)
        folders.undo()
        raise
    if staged:
        # One flush for every staged file (an fsync per file costs seconds on a big tree):
        # their bytes are on disk before any of them replaces a previous output.
        os.sync()
    touched: set[Path] = set()
    for temp, target in staged:
        os.replace(temp, target)
        touched.add(target.parent)
        notify("replaced", target.relative_to(root).as_posix())
    for change in plan.by_action(Action.DELETE):
        target = root / change.path
        target.unlink(missing_ok=True)
        touched.add(target.parent)
        notify("deleted", change.path)
    for folder in sorted(touched):
        _fsync_dir(folder)
    for change in plan.by_action(Action.DELETE):
        _prune_empty((root / change.path).parent, root)
    if plan.manifest_path is not None and plan.manifest is not None and plan.manifest_changed:
        target = check_write_target(root, plan.manifest_path)
        try:
            write_atomic(target, plan.manifest.dumps(), shown=plan.manifest_path)
        except ProtokitError:
            raise
        notify("manifest", plan.manifest_path)


def clear_plan_leftovers(plan: Plan) -> None:
    """Remove killed runs' temp files beside every path of ``plan`` (done by ``apply`` too)."""
    names = {posixpath.dirname(c.path) for c in plan.changes}  # strings: thousands of paths
    if plan.manifest_path is not None:
        names.add(posixpath.dirname(plan.manifest_path))
    for folder in sorted(plan.root / name for name in names):
        if folder.is_dir() and not folder.is_symlink():
            _remove_temps(sorted(folder.glob(f".*{TEMP_SUFFIX}")))
