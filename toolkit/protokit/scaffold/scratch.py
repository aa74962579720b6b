"""A scratch copy of the workspace's buf modules, where a change is compiled and linted before
anything is written: the buf config and every ``.proto`` file of the modules, nothing else
(shared by new-service and new-version)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from protokit.core.descriptors import Image
from protokit.core.errors import ProtokitError
from protokit.core.paths import files_under
from protokit.core.workspace import BUF_YAML, Workspace
from protokit.tools.image import build_image

__all__ = ["compile_scratch", "scratch_workspace"]

_CONFIG_FILES = (BUF_YAML, "buf.lock")


def _copy_protos(ws: Workspace, modules: Sequence[str], dest: Path) -> None:
    for name in _CONFIG_FILES:
        if ws.path(name).is_file():
            shutil.copy2(ws.path(name), dest / name)
    for module in modules:
        base = ws.path(module)
        if not base.is_dir():
            continue
        for proto in files_under(base, ".proto"):
            rel = proto.relative_to(ws.root)
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(proto, dest / rel)


@contextmanager
def scratch_workspace(ws: Workspace, modules: Sequence[str], *, prefix: str) -> Iterator[Workspace]:
    """A temporary workspace holding a copy of ``ws``'s modules; removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        _copy_protos(ws, modules, Path(tmp))
        yield Workspace(Path(tmp), ws.settings)


def compile_scratch(scratch: Workspace, change: str) -> Image:
    """The scratch workspace compiled; when it does not compile, the error buf gives, located,
    saying that ``change`` (``the new contract``, ``the added RPCs``) broke it and that nothing
    was written."""
    try:
        return build_image(scratch)
    except ProtokitError as exc:
        raise ProtokitError(
            f"with {change} the module does not compile: {exc.message}; nothing was written",
            path=exc.path,
            line=exc.line,
            column=exc.column,
        ) from exc
