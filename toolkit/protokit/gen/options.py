"""What a ``gen`` run was asked to do, its output folders resolved inside the workspace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from protokit.core.paths import workspace_relative
from protokit.core.workspace import Workspace

if TYPE_CHECKING:
    from protokit.gen.skeletons import Flavour

__all__ = ["MANIFEST_NAME", "TESTS_FOLDER", "GenOptions", "output_folder"]

MANIFEST_NAME = ".protokit-manifest.json"
TESTS_FOLDER = "tests/services"
"""Where the starter tests of servicer skeletons go."""


@dataclass(frozen=True)
class GenOptions:
    """Where and what ``gen`` writes, resolved once."""

    stubs: str  # the stub folder, relative to the root
    services: str  # the skeleton folder
    skeletons: bool
    force: bool
    writes: bool  # False for --check and --dry-run
    flavours: Mapping[str, Flavour] | None = None  # new-service's servicer flavour per package

    @property
    def manifest(self) -> str:
        return f"{self.stubs}/{MANIFEST_NAME}"

    def facts(self) -> dict[str, object]:
        """What the stat stamp records besides files: the options a result depends on."""
        return {"stubs": self.stubs, "services": self.services, "skeletons": self.skeletons}


def output_folder(ws: Workspace, value: str, what: str) -> str:
    """``value`` as a folder relative to the workspace root, inside it (symbolic links
    resolved) and not the root itself (the stub distribution's ``pyproject.toml``, or a skeleton
    ``__init__.py``, would land on the user's own file there)."""
    return workspace_relative(ws.root, value, what=what)
