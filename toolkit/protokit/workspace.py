"""The buf workspace protokit works in, and its ``[tool.protokit]`` settings.

A workspace is the nearest folder upwards holding ``buf.yaml``. Settings are optional: every key
has a default, so protokit works on any buf v2 workspace with no configuration.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protokit.buf import run_buf
from protokit.errors import ProtokitError

BUF_YAML = "buf.yaml"
PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Settings:
    """``[tool.protokit]`` keys; paths are relative to the workspace root."""

    stubs_out: str = "gen/python"
    services_out: str = "services"
    templates: str = "templates"
    fixtures_out: str = "compat"
    stubs_distribution: str = ""  # the stub wheel's name; "" derives "<org>-contracts"
    org: str = ""  # new-service's default package prefix; "" derives it from the contracts
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]


@dataclass(frozen=True)
class Workspace:
    root: Path
    settings: Settings

    def path(self, relative: str) -> Path:
        return self.root / relative

    def module_paths(self) -> list[str]:
        """The module folders buf.yaml declares, as buf itself reads them."""
        result = run_buf(["config", "ls-modules", "--format", "json"], self.root)
        paths: list[str] = []
        for raw in result.stdout.decode().splitlines():
            if raw.strip():
                paths.append(str(json.loads(raw)["path"]))
        return paths


def find_root(start: Path) -> Path:
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / BUF_YAML).is_file():
            return folder
    raise ProtokitError(
        f"no {BUF_YAML} found in {start} or any parent; run protokit inside a buf v2 workspace "
        "(or pass --root)"
    )


def load_settings(root: Path) -> Settings:
    pyproject = root / PYPROJECT
    if not pyproject.is_file():
        return Settings()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProtokitError(f"invalid TOML: {exc}", path=PYPROJECT) from exc
    except UnicodeDecodeError as exc:
        raise ProtokitError("not UTF-8 text", path=PYPROJECT) from exc
    table = data.get("tool", {}).get("protokit", {})
    if not isinstance(table, dict):
        raise ProtokitError("[tool.protokit] must be a table", path=PYPROJECT)
    known = Settings.keys()
    values: dict[str, Any] = {}
    for key, value in table.items():
        normalized = key.replace("-", "_")
        if normalized not in known:
            close = difflib.get_close_matches(normalized, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
            raise ProtokitError(f"unknown key {key!r} in [tool.protokit]{hint}", path=PYPROJECT)
        if not isinstance(value, str):
            raise ProtokitError(
                f"[tool.protokit] {key} must be a string path, got {type(value).__name__}",
                path=PYPROJECT,
            )
        values[normalized] = value
    return Settings(**values)


def open_workspace(root: Path | None = None) -> Workspace:
    folder = find_root(Path.cwd()) if root is None else find_root(root)
    return Workspace(root=folder, settings=load_settings(folder))
