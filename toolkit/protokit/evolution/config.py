"""Which breaking rules apply where: buf.yaml's ``breaking`` section per module, as buf itself
resolves it (``use``, ``except``), so ``diff`` judges in the repository's category.

buf's answer is remembered in protokit's cache folder while the buf binary keeps its stat and
the configuration files (the workspace's ``buf.yaml`` and ``buf.work.yaml``, each module's
``buf.yaml``) their bytes: asking costs a buf run per module, as long as a small lint run."""

from __future__ import annotations

import json
from dataclasses import dataclass

from protokit.core.workspace import Workspace
from protokit.evolution.rules import Category, ids_in, main_category
from protokit.tools.buf import config_key, module_paths, remembered, run_buf


@dataclass(frozen=True)
class BreakingConfig:
    """Configured rule ids per module folder ("" when the workspace is one module)."""

    by_module: tuple[tuple[str, frozenset[str]], ...]

    @classmethod
    def of(cls, *categories: Category) -> BreakingConfig:
        ids: frozenset[str] = frozenset()
        for category in categories or (Category.FILE,):
            ids |= ids_in(category)
        return cls((("", ids),))

    def rules_for(self, disk_path: str | None) -> frozenset[str]:
        """The rules of the module holding ``disk_path`` (the first module when unknown)."""
        if disk_path:
            for folder, ids in self.by_module:
                if folder in ("", ".") or disk_path.startswith(folder.rstrip("/") + "/"):
                    return ids
        return self.by_module[0][1]

    @property
    def category(self) -> Category:
        ids: set[str] = set()
        for _, module_ids in self.by_module:
            ids |= module_ids
        return main_category(ids)


def breaking_config(ws: Workspace) -> BreakingConfig:
    """Each module's configured breaking rules, as buf lists them (asked once per buf binary
    and configuration)."""
    modules = module_paths(ws) or ["."]
    key = config_key(ws, ["", *modules])
    if key is None:
        return _ask(ws, modules)
    return remembered(
        "breaking-rules.json",
        json.dumps([key, modules]),
        lambda: _ask(ws, modules),
        _decode,
        lambda config: [[folder, sorted(ids)] for folder, ids in config.by_module],
    )


def _decode(value: object) -> BreakingConfig | None:
    """A remembered answer; None when it is not one (buf is asked)."""
    if not (isinstance(value, list) and value):
        return None
    found: list[tuple[str, frozenset[str]]] = []
    for entry in value:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            return None
        folder, ids = entry
        if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
            return None
        found.append((folder, frozenset(ids)))
    return BreakingConfig(tuple(found))


def _ask(ws: Workspace, modules: list[str]) -> BreakingConfig:
    """Ask buf for each module's configured breaking rules."""
    found: list[tuple[str, frozenset[str]]] = []
    for folder in modules:
        args = ["config", "ls-breaking-rules", "--configured-only", "--format", "json"]
        if len(modules) > 1:
            args += ["--module-path", folder]
        result = run_buf(args, ws.root)
        ids = frozenset(
            str(json.loads(line)["id"])
            for line in result.stdout.decode("utf-8", "replace").splitlines()
            if line.strip()
        )
        found.append(("" if folder == "." else folder, ids))
    return BreakingConfig(tuple(found))
