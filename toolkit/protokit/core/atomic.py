"""Atomic writes and their leftovers: temp files beside the target, fsync, ``os.replace``.

``write_atomic`` replaces one file, ``write_tree_atomic`` creates a folder all at once; the
staging helpers here are what ``writer.apply`` uses, and ``leftover_temps``/``remove_leftovers``
find and remove what a killed run left behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from protokit.core.errors import ProtokitError
from protokit.core.paths import check_write_target

__all__ = [
    "TEMP_SUFFIX",
    "leftover_temps",
    "remove_leftovers",
    "write_atomic",
    "write_tree_atomic",
]

TEMP_SUFFIX = ".protokit-tmp"


def _check_relative(path: str) -> str:
    if _plain_relative(path):
        return path  # already what the checks below would return: no parsing needed
    pure = PurePosixPath(path)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in path:
        raise ProtokitError(f"refusing to write outside the output root: {path!r}")
    return pure.as_posix()


def _plain_relative(path: str) -> bool:
    """Whether ``path`` is a relative POSIX path in its normal form: no empty, ``.`` or ``..``
    part, no leading or trailing slash, no backslash."""
    if not path or path[0] == "/" or path[-1] == "/" or "\\" in path or "//" in path:
        return False
    return all(part not in (".", "..") for part in path.split("/"))


def _temp_for(target: Path) -> Path:
    # The pid keeps two concurrent runs from writing into one temp file.
    return target.with_name(f".{target.name}.{os.getpid()}{TEMP_SUFFIX}")


def _write_synced(path: Path, data: bytes, mode: int | None, *, sync: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
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
    if isinstance(exc, FileExistsError | NotADirectoryError):
        what = "a file is in the way of a folder"
    return ProtokitError(f"cannot write: {what}; nothing was changed", path=shown)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


_IN_THE_WAY = (
    "cannot write: a file is in the way of a folder protokit writes into; nothing was changed"
)


class _Folders:
    """Folders a run creates, so a failed run removes them again (deepest first)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.created: list[Path] = []

    def _shown(self, path: Path) -> str:
        if self.root is not None:
            with contextlib.suppress(ValueError):
                return path.relative_to(self.root).as_posix()
        return str(path)

    def make(self, folder: Path) -> None:
        missing: list[Path] = []
        current = folder
        while not current.exists() and not current.is_symlink() and current != current.parent:
            missing.append(current)
            current = current.parent
        if not current.is_dir():
            self.undo()
            raise ProtokitError(
                _IN_THE_WAY,
                path=self._shown(current),
            )
        for path in reversed(missing):
            try:
                path.mkdir()
            except FileExistsError:
                if path.is_dir():
                    continue
                self.undo()
                raise ProtokitError(
                    _IN_THE_WAY,
                    path=self._shown(path),
                ) from None
            except OSError as exc:
                self.undo()
                raise ProtokitError(
                    f"cannot create a folder: {exc.strerror or exc}; nothing was changed",
                    path=self._shown(path.parent),
                ) from exc
            self.created.append(path)

    def undo(self) -> None:
        for path in reversed(self.created):
            with contextlib.suppress(OSError):
                path.rmdir()


def _stage(target: Path, data: bytes, folders: _Folders, *, sync: bool = True) -> Path:
    """``data`` written (and fsynced unless the caller flushes once for many) to a hidden temp
    file beside ``target``; returns the temp."""
    folders.make(target.parent)
    temp = _temp_for(target)
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else None
        temp.unlink(missing_ok=True)  # a leftover of a killed run with this pid
        _write_synced(temp, data, mode, sync=sync)
    except BaseException:
        _discard(temp)
        raise
    return temp


def write_atomic(path: Path, data: bytes, *, shown: str | None = None, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically (temp file, fsync, rename): readers see the old
    file or the new one, never a half. For files outside a workspace (a cache); files in the
    workspace are outputs of ``plan_outputs`` + ``apply``. ``sync=False`` skips the fsyncs, for
    a file whose reader checks it and can do without it (a cache entry holding its own hash):
    still atomic for readers, but a crash of the machine may lose it."""
    folders = _Folders()
    try:
        temp = _stage(path, data, folders, sync=sync)
        os.replace(temp, path)
    except ProtokitError:
        raise
    except OSError as exc:
        folders.undo()
        raise ProtokitError(
            f"cannot write: {exc.strerror or exc}", path=shown or str(path)
        ) from exc
    if sync:
        _fsync_dir(path.parent)


def write_tree_atomic(root: Path, rel: str, files: Mapping[str, bytes]) -> Path:
    """Create the folder ``root/rel`` holding ``files`` (relative paths → bytes) all at once:
    staged in a hidden sibling folder, then renamed into place. An existing folder is never
    replaced; a failure leaves nothing behind."""
    target = check_write_target(root, _check_relative(rel))
    if target.exists():
        raise ProtokitError("exists already; refusing to replace it", path=rel)
    folders = _Folders(root)
    folders.make(target.parent)
    staging = _temp_for(target)
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name, data in sorted(files.items()):
            path = staging / _check_relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_synced(path, data, None)
        staging.chmod(0o755)
        os.rename(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        folders.undo()
        raise _os_error(exc, target, root) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        folders.undo()
        raise
    _fsync_dir(target.parent)
    return target


def leftover_temps(root: Path, folders: Sequence[str]) -> list[Path]:
    """Temporary files and folders an interrupted run left under ``folders`` (relative to
    ``root``)."""
    found: list[Path] = []
    for rel in folders:
        base = root / rel
        if base.is_dir() and not base.is_symlink():
            found.extend(sorted(base.rglob(f".*{TEMP_SUFFIX}")))
    return found


def _owner_gone(temp: Path) -> bool:
    """Whether the run that named ``temp`` (``.<name>.<pid>.protokit-tmp``) is no longer alive:
    a killed run's leftovers are removed, a concurrent run's are not."""
    stem = temp.name.removesuffix(TEMP_SUFFIX)
    pid_text = stem.rsplit(".", 1)[-1]
    if not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _remove_temps(paths: Iterable[Path]) -> None:
    for path in paths:
        if not _owner_gone(path):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def remove_leftovers(root: Path, folders: Sequence[str]) -> None:
    """Remove what an interrupted run left under ``folders``: its hidden temp files and folders."""
    _remove_temps(leftover_temps(root, folders))
