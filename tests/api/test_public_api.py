"""The public API: ``protokit.__all__`` names each command's typed function and the types it
takes and gives; they load on first use, so ``import protokit`` stays cheap."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import protokit

HOMES = {
    "run_gen": "protokit.gen.pipeline",
    "GenResult": "protokit.gen.pipeline",
    "run_check": "protokit.check.run",
    "CheckOptions": "protokit.check.run",
    "run_diff": "protokit.evolution.checks",
    "run_release": "protokit.evolution.checks",
    "run_evolution_checks": "protokit.evolution.checks",
    "ApiDiff": "protokit.evolution.apidiff",
    "run_new_service": "protokit.scaffold.new_service",
    "NewServiceResult": "protokit.scaffold.new_service",
    "run_new_version": "protokit.scaffold.new_version",
    "open_workspace": "protokit.core.workspace",
    "Workspace": "protokit.core.workspace",
    "build_image": "protokit.tools.image",
    "Image": "protokit.core.descriptors",
    "ProtokitError": "protokit.core.errors",
    "UsageError": "protokit.core.errors",
    "ExitCode": "protokit.core.errors",
    "Finding": "protokit.core.findings",
    "OutputFormat": "protokit.core.findings",
    "run_build": "protokit.dist.build",
    "BuildResult": "protokit.dist.build",
    "run_publish": "protokit.dist.publish",
    "PublishResult": "protokit.dist.publish",
    "run_tagged_release": "protokit.dist.release",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(protokit.__all__) == sorted([*HOMES, "__version__"])


@pytest.mark.parametrize(("name", "home"), sorted(HOMES.items()))
def test_each_public_name_is_the_object_its_subpackage_defines(name: str, home: str) -> None:
    assert getattr(protokit, name) is getattr(importlib.import_module(home), name)


def test_importing_protokit_loads_no_subsystem() -> None:
    probe = (
        "import sys, protokit; print(sorted(m for m in sys.modules if m.startswith('protokit')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.strip() == "['protokit']"  # no protokit.* subpackage


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'run_everything'"):
        protokit.run_everything  # noqa: B018
