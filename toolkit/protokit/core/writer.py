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
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath

from protokit.core.errors import ProtokitError

__all__ = [
    "MANIFEST_VERSION",
    "TEMP_SUFFIX",
    "Action",
    "Change",
    "Manifest",
    "OutputFile",
    "Owner",
    "Plan",
    "apply",
    "leftover_temps",
    "plan_outputs",
    "read_manifest",
    "sha256",
]

MANIFEST_VERSION = 1
TEMP_SUFFIX = ".protokit-tmp"


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


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_relative(path: str) -> str:
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in path:
        raise ProtokitError(f"refusing to write outside the output root: {path!r}")
    return pure.as_posix()


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
class Manifest:
    """What a previous run generated: path → sha256, plus an input fingerprint and notes.

    ``inputs`` lets a generator skip all work when nothing it reads has changed; ``notes`` holds
    small facts worth remembering between runs (tool versions, say). ``files`` lists generated
    files only (user-owned files are never deleted, so they need no hash); ``created`` lists the
    user-owned files ever created, so a scaffold the user deleted on purpose is not re-created.
    """

    files: Mapping[str, str] = field(default_factory=dict)
    inputs: str = ""
    notes: Mapping[str, str] = field(default_factory=dict)
    created: tuple[str, ...] = ()

    def dumps(self) -> bytes:
        data = {
            "version": MANIFEST_VERSION,
            "generator": "protokit",
            "inputs": self.inputs,
            "notes": dict(sorted(self.notes.items())),
            "files": dict(sorted(self.files.items())),
            "created": sorted(set(self.created)),
        }
        return (json.dumps(data, indent=2, sort_keys=False) + "\n").encode("utf-8")

    @classmethod
    def loads(cls, data: bytes, *, path: str) -> Manifest:
        try:
            raw = json.loads(data.decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("version") != MANIFEST_VERSION:
                raise ValueError("unknown manifest version")
            files = {_check_relative(str(k)): str(v) for k, v in dict(raw["files"]).items()}
            notes = {str(k): str(v) for k, v in dict(raw.get("notes", {})).items()}
            created = tuple(sorted(_check_relative(str(p)) for p in raw.get("created", [])))
            return cls(files=files, inputs=str(raw.get("inputs", "")), notes=notes, created=created)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, ProtokitError) as exc:
            raise ProtokitError(
                f"unreadable manifest ({exc}); delete it and run again to regenerate everything",
                path=path,
            ) from exc

    def matches_disk(self, root: Path) -> bool:
        """True when every listed file exists with the recorded bytes."""
        for rel, digest in self.files.items():
            try:
                if sha256((root / rel).read_bytes()) != digest:
                    return False
            except OSError:
                return False
        return True


def read_manifest(root: Path, manifest_path: str) -> Manifest | None:
    """The manifest at ``root/manifest_path``, or None when there is none yet."""
    path = root / _check_relative(manifest_path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise ProtokitError(f"cannot read manifest: {exc.strerror}", path=manifest_path) from exc
    return Manifest.loads(data, path=manifest_path)


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


def _read(root: Path, rel: str) -> bytes | None:
    try:
        return (root / rel).read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None  # absent (a file where a parent folder should be fails later, at staging)
    except IsADirectoryError as exc:
        raise ProtokitError("a folder is in the way of a generated file", path=rel) from exc
    except OSError as exc:
        raise ProtokitError(f"cannot read: {exc.strerror}", path=rel) from exc


_GENERATED_MARK = re.compile(rb"@generated|Generated by the protocol buffer compiler|DO NOT EDIT")


def _generated_before(rel: str, old: bytes, previous: Manifest | None) -> bool:
    """Whether an existing file at a generated path may be replaced: the previous run wrote it,
    or it says it is generated (a run whose manifest was deleted)."""
    if previous is not None and rel in previous.files:
        return True
    return _GENERATED_MARK.search(old[:2048]) is not None


def plan_outputs(
    root: Path,
    files: Iterable[OutputFile],
    *,
    manifest_path: str | None = None,
    previous: Manifest | None = None,
    inputs: str = "",
    notes: Mapping[str, str] | None = None,
) -> Plan:
    """Compare the wanted files with disk (and the previous manifest) without writing anything.

    With ``manifest_path`` the plan also carries the new manifest (generated files only, plus
    ``inputs`` and ``notes``); with ``previous`` it deletes generated files nothing wants now.
    """
    wanted: dict[str, OutputFile] = {}
    for item in files:
        if item.path in wanted:
            raise ProtokitError(f"two outputs want the same file: {item.path}")
        wanted[item.path] = item
    if manifest_path is not None and _check_relative(manifest_path) in wanted:
        raise ProtokitError(f"an output would overwrite the manifest: {manifest_path}")
    changes: list[Change] = []
    for rel in sorted(wanted):
        item = wanted[rel]
        old = _read(root, rel)
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
    if previous is not None:
        for rel in sorted(set(previous.files) - set(wanted)):
            old = _read(root, rel)
            if old is not None:
                changes.append(Change(rel, Action.DELETE, Owner.GENERATED, None, old))
    manifest: Manifest | None = None
    manifest_changed = False
    if manifest_path is not None:
        created = set(previous.created) if previous is not None else set()
        created.update(rel for rel, item in wanted.items() if item.owner is Owner.USER)
        manifest = Manifest(
            files={
                rel: sha256(item.content)
                for rel, item in wanted.items()
                if item.owner is Owner.GENERATED
            },
            inputs=inputs,
            notes=dict(notes or {}),
            created=tuple(sorted(created)),
        )
        on_disk = _read(root, manifest_path)
        manifest_changed = on_disk != manifest.dumps()
    changes.sort(key=lambda c: c.path)
    return Plan(root, tuple(changes), manifest_path, manifest, manifest_changed)


Event = Callable[[str, str], None]
"""``(stage, path)`` callbacks from ``apply``: staged, replaced, deleted, manifest."""


def _temp_for(target: Path) -> Path:
    # The pid keeps two concurrent runs from writing into one temp file.
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


def _write_synced(path: Path, data: bytes, mode: int | None, *, sync: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if mode is not None:
            os.fchmod(fd, mode)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _os_error(exc: OSError, path: Path, root: Path) -> ProtokitError:
    try:
        shown = str(path.relative_to(root))
    except ValueError:
        shown = str(path)
    what = exc.strerror or type(exc).__name__
    return ProtokitError(f"cannot write: {what}; nothing was changed", path=shown)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


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

    Staging failures (an unwritable folder, a full disk) remove what was staged and raise a
    ``ProtokitError``; the previous output is untouched. Conflicts are never written.
    """
    notify = on_event or (lambda _stage, _path: None)
    root = plan.root
    wanted = [
        c
        for c in plan.changes
        if c.action in (Action.CREATE, Action.UPDATE) and c.content is not None
    ]
    staged: list[tuple[Path, Path]] = []

    def stage(change: Change) -> tuple[Path, Path]:
        target = root / change.path
        temp = _temp_for(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            mode = target.stat().st_mode & 0o7777 if target.exists() else None
            _write_synced(temp, change.content or b"", mode, sync=False)
        except OSError as exc:
            _discard(temp)
            raise _os_error(exc, target, root) from exc
        return temp, target

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
        raise
    if staged:
        # One flush for every staged file (an fsync per file costs seconds on a big tree):
        # their bytes are on disk before any of them replaces a previous output.
        os.sync()
    folders: set[Path] = set()
    for temp, target in staged:
        os.replace(temp, target)
        folders.add(target.parent)
        notify("replaced", target.relative_to(root).as_posix())
    for change in plan.by_action(Action.DELETE):
        target = root / change.path
        target.unlink(missing_ok=True)
        folders.add(target.parent)
        notify("deleted", change.path)
    for folder in sorted(folders):
        _fsync_dir(folder)
    for change in plan.by_action(Action.DELETE):
        _prune_empty((root / change.path).parent, root)
    if plan.manifest_path is not None and plan.manifest is not None and plan.manifest_changed:
        target = root / plan.manifest_path
        temp = _temp_for(target)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_synced(temp, plan.manifest.dumps(), None)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise _os_error(exc, target, root) from exc
        os.replace(temp, target)
        _fsync_dir(target.parent)
        notify("manifest", plan.manifest_path)


def leftover_temps(root: Path, folders: Sequence[str]) -> list[Path]:
    """Temporary files an interrupted run left under ``folders`` (relative to ``root``)."""
    found: list[Path] = []
    for rel in folders:
        base = root / rel
        if base.is_dir():
            found.extend(sorted(base.rglob(f".*{TEMP_SUFFIX}")))
    return found
