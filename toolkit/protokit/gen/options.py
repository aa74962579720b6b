"""What a ``gen`` run was asked to do, its output folders resolved inside the workspace."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from protokit.core.errors import UsageError
from protokit.core.workspace import Workspace

__all__ = ["MANIFEST_NAME", "GenOptions", "output_folder"]

MANIFEST_NAME = ".protokit-manifest.json"


@dataclass(frozen=True)
class GenOptions:
    """Where and what ``gen`` writes, resolved once."""

    stubs: str  # the stub folder, relative to the root
    services: str  # the skeleton folder
    skeletons: bool
    force: bool
    writes: bool  # False for --check and --dry-run

    @property
    def manifest(self) -> str:
        return f"{self.stubs}/{MANIFEST_NAME}"

    def facts(self) -> dict[str, object]:
        """What the stat stamp records besides files: the options a result depends on."""
        return {"stubs": self.stubs, "services": self.services, "skeletons": self.skeletons}


def output_folder(ws: Workspace, value: str, what: str) -> str:
    """``value`` as a folder relative to the workspace root; refuses the root and the outside.

    An absolute path inside the workspace is accepted; the root itself is refused because the
    stub distribution's ``pyproject.toml`` (or a skeleton ``__init__.py``) would land on the
    user's own file there.
    """
    folder = Path(value.strip())
    if folder.is_absolute():
        try:
            folder = folder.resolve().relative_to(ws.root.resolve())
        except ValueError:
            raise UsageError(
                f"{what} {value!r} is outside the workspace {ws.root}; pass a folder inside it"
            ) from None
    pure = PurePosixPath(posixpath.normpath(folder.as_posix().replace("\\", "/")))
    if ".." in pure.parts:
        raise UsageError(f"{what} {value!r} leaves the workspace; pass a folder inside it")
    if pure.as_posix() in ("", "."):
        raise UsageError(
            f"{what} {value!r} is the workspace root; generated files need a folder of their own"
        )
    return pure.as_posix()
