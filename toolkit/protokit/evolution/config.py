"""Which breaking rules apply where: buf.yaml's ``breaking`` section per module, as buf itself
resolves it (``use``, ``except``), so ``diff`` judges in the repository's category.

buf's answer is remembered in protokit's cache folder while the buf binary keeps its stat and
the configuration files (the workspace's ``buf.yaml`` and ``buf.work.yaml``, each module's
``buf.yaml``) their bytes: asking costs a buf run per module, as long as a small lint run."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from protokit.core.atomic import write_atomic
from protokit.core.errors import ProtokitError
from protokit.core.paths import cache_dir, read_record, read_regular, stat_stamp
from protokit.core.workspace import Workspace
from protokit.evolution.rules import Category, ids_in, main_category
from protokit.tools.buf import find_buf, module_paths, run_buf


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
    key = _config_key(ws, modules)
    known = _read_known()
    remembered = known.get(key) if key is not None else None
    if remembered is not None:
        return remembered
    config = _ask(ws, modules)
    if key is not None:
        kept = {k: v for k, v in known.items() if k != key}
        kept = dict(list(kept.items())[-(_KNOWN_CONFIGS - 1) :])
        kept[key] = config
        record = {
            k: [[folder, sorted(ids)] for folder, ids in v.by_module] for k, v in kept.items()
        }
        with contextlib.suppress(ProtokitError):  # unwritable: buf is asked again next time
            write_atomic(_record_path(), json.dumps(record).encode(), sync=False)
    return config


_KNOWN_CONFIGS = 16
_CONFIG_FILES = ("buf.yaml", "buf.work.yaml")


def _record_path() -> Path:
    return cache_dir() / "tools" / "breaking-rules.json"


def _config_key(ws: Workspace, modules: list[str]) -> str | None:
    """What buf's answer depends on: the binary (its stat) and the configuration files' bytes;
    None when the binary cannot be stat'ed (then buf is asked every time)."""
    stamp = stat_stamp(find_buf())
    if stamp is None:
        return None
    digest = hashlib.sha256(json.dumps([str(ws.root), str(find_buf()), stamp, modules]).encode())
    for folder in ("", *modules):
        for name in _CONFIG_FILES:
            path = ws.root / folder / name
            try:
                data: bytes | None = read_regular(path, limit=1024 * 1024)
            except (FileNotFoundError, NotADirectoryError):
                data = None
            except (OSError, ProtokitError):
                return None  # not a plain file: buf is asked, and says what is wrong
            digest.update(b"\0" + path.as_posix().encode() + b"\0")
            digest.update(b"-" if data is None else b"+" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _read_known() -> dict[str, BreakingConfig]:
    """The remembered answers by key; a damaged record is an empty one (buf is asked)."""
    raw = read_record(_record_path(), limit=4 * 1024 * 1024)
    known: dict[str, BreakingConfig] = {}
    if not isinstance(raw, dict):
        return known
    for key, modules in raw.items():
        if not (isinstance(modules, list) and modules):
            continue
        found: list[tuple[str, frozenset[str]]] = []
        for entry in modules:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                break
            folder, ids = entry
            if not (isinstance(ids, list) and all(isinstance(i, str) for i in ids)):
                break
            found.append((folder, frozenset(ids)))
        else:
            known[str(key)] = BreakingConfig(tuple(found))
    return known


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
