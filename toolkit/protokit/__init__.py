"""protokit: a Protobuf contract and schema-evolution toolkit for Python teams.

The public API is ``__all__``: each command's work as a typed function that returns data and
raises ``ProtokitError`` (only ``protokit.cli`` prints), and the types they take and give::

    ws = protokit.open_workspace(Path("."))
    result = protokit.run_gen(ws)          # protokit gen
    findings = protokit.run_check(ws)      # protokit check

The names are imported on first use (PEP 562), so ``import protokit`` loads no subsystem and
cannot take part in an import cycle. The package holds one subpackage per layer: ``core`` (what
every subsystem shares), ``tools`` (every subprocess), ``gen``, ``evolution``, ``check``,
``scaffold`` and ``dist`` (the subsystems), and ``cli`` (the commands, the only code that prints).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_HOMES: dict[str, str] = {
    "ApiDiff": "protokit.evolution.apidiff",
    "BuildResult": "protokit.dist.build",
    "CheckOptions": "protokit.check.run",
    "ExitCode": "protokit.core.errors",
    "Finding": "protokit.core.findings",
    "GenResult": "protokit.gen.pipeline",
    "Image": "protokit.core.descriptors",
    "NewServiceResult": "protokit.scaffold.new_service",
    "OutputFormat": "protokit.core.findings",
    "ProtokitError": "protokit.core.errors",
    "PublishResult": "protokit.dist.publish",
    "UsageError": "protokit.core.errors",
    "Workspace": "protokit.core.workspace",
    "build_image": "protokit.tools.image",
    "open_workspace": "protokit.core.workspace",
    "run_build": "protokit.dist.build",
    "run_check": "protokit.check.run",
    "run_diff": "protokit.evolution.checks",
    "run_evolution_checks": "protokit.evolution.checks",
    "run_gen": "protokit.gen.pipeline",
    "run_new_service": "protokit.scaffold.new_service",
    "run_new_version": "protokit.scaffold.new_version",
    "run_publish": "protokit.dist.publish",
    "run_release": "protokit.evolution.checks",
    "run_tagged_release": "protokit.dist.release",
}

__all__ = [
    "ApiDiff",
    "BuildResult",
    "CheckOptions",
    "ExitCode",
    "Finding",
    "GenResult",
    "Image",
    "NewServiceResult",
    "OutputFormat",
    "ProtokitError",
    "PublishResult",
    "UsageError",
    "Workspace",
    "__version__",
    "build_image",
    "open_workspace",
    "run_build",
    "run_check",
    "run_diff",
    "run_evolution_checks",
    "run_gen",
    "run_new_service",
    "run_new_version",
    "run_publish",
    "run_release",
    "run_tagged_release",
]

if TYPE_CHECKING:
    from protokit.check.run import CheckOptions, run_check
    from protokit.core.descriptors import Image
    from protokit.core.errors import ExitCode, ProtokitError, UsageError
    from protokit.core.findings import Finding, OutputFormat
    from protokit.core.workspace import Workspace, open_workspace
    from protokit.dist.build import BuildResult, run_build
    from protokit.dist.publish import PublishResult, run_publish
    from protokit.dist.release import run_tagged_release
    from protokit.evolution.apidiff import ApiDiff
    from protokit.evolution.checks import run_diff, run_evolution_checks, run_release
    from protokit.gen.pipeline import GenResult, run_gen
    from protokit.scaffold.new_service import NewServiceResult, run_new_service
    from protokit.scaffold.new_version import run_new_version
    from protokit.tools.image import build_image


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package`` that imports each name of ``homes`` (name → the
    module defining it) when it is first asked for, then keeps it in the package's namespace
    so later lookups skip this function."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__


__getattr__ = lazy_exports(__name__, _HOMES)


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
