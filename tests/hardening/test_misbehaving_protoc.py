"""Class 6, continued: a protoc that exits 0 but leaves nothing usable behind.

``gen`` runs grpcio-tools' protoc through its module ``grpc_tools.protoc`` (``main``, with the
include folder ``_get_resource_file_name`` gives, as ``python -m grpc_tools.protoc`` does), with
protokit's own environment, so a ``grpc_tools`` package first on ``PYTHONPATH`` stands in for
it. The stand-in here is the real protoc but for one thing: it takes the real package's other
modules (its ``_protoc_compiler`` included) by adding the real folder to its ``__path__``, runs
the real ``protoc.py`` loaded from there, and only then spoils the one output under test,
leaving a mark that it did (so no test passes because protoc was never asked).
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.hardening.conftest import (
    CONTRACT,
    CORE_PROTO,
    EXTRA_FIELD,
    MANIFEST,
    Case,
    Snapshot,
    run_protokit,
    snapshot,
)

GARBAGE = b"\xff" * 40
"""Neither a zip archive nor a FileDescriptorSet (an over-long varint)."""


def _unsupported_zip() -> bytes:
    """A zip archive whose one member claims a compression method ``zipfile`` cannot read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a/v1/a_pb2.py", "x = 1\n")
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.index(signature) + offset
        data[at : at + 2] = (99).to_bytes(2, "little")
    return bytes(data)


SPOILT = {"garbage": GARBAGE, "unsupported": _unsupported_zip()}

FAKE_INIT = """\
# The real grpcio-tools package behind this one: every module but protoc.py comes from there.
__path__.append({real!r})
"""

FAKE_PROTOC = """\
import importlib.util, os, pathlib, sys

REAL, OPTION, SPOIL, MARK = {real!r}, {option!r}, {spoil!r}, {mark!r}

spec = importlib.util.spec_from_file_location("grpc_tools._real_protoc", REAL + "/protoc.py")
real = importlib.util.module_from_spec(spec)
spec.loader.exec_module(real)


def _get_resource_file_name(package, resource):
    return os.path.join(REAL, resource)  # the real package's include folder


def main(command_arguments):
    code = real.main(command_arguments)
    for arg in command_arguments[1:]:
        out = arg.removeprefix(OPTION)
        if code == 0 and out != arg and out.endswith({suffix!r}):
            if SPOIL == "missing":
                os.remove(out)
            else:
                pathlib.Path(out).write_bytes({spoilt!r}[SPOIL])
            with open(MARK, "a") as mark:
                mark.write(out + "\\n")
    return code


if __name__ == "__main__":  # run as `python -m grpc_tools.protoc`, as upstream's entry does
    sys.exit(main(sys.argv + ["-I" + _get_resource_file_name("grpc_tools", "_proto")]))
"""


def fake_protoc(tmp_path: Path, option: str, suffix: str, spoil: str) -> dict[str, str]:
    """The environment under which protoc, given ``option`` (``--python_out=``, say) with a
    path ending in ``suffix``, does its work, exits 0 and then leaves that path ``missing``,
    or holding ``SPOILT[spoil]``; each spoiled path is recorded in ``tmp_path/spoiled``. Any
    other run is the real protoc's, and ``import grpc_tools.<anything else>`` finds the real
    module. A private image cache, so the compile really runs."""
    spec = importlib.util.find_spec("grpc_tools")
    assert spec is not None and spec.submodule_search_locations
    real = next(iter(spec.submodule_search_locations))
    package = tmp_path / "fake" / "grpc_tools"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_INIT.format(real=real), encoding="utf-8")
    (package / "protoc.py").write_text(
        FAKE_PROTOC.format(
            real=real,
            option=option,
            spoil=spoil,
            mark=str(tmp_path / "spoiled"),
            suffix=suffix,
            spoilt=SPOILT,
        ),
        encoding="utf-8",
    )
    return {"PYTHONPATH": str(tmp_path / "fake"), "PROTOKIT_CACHE_DIR": str(tmp_path / "cache")}


def spoiled(tmp_path: Path) -> list[str]:
    mark = tmp_path / "spoiled"
    return mark.read_text(encoding="utf-8").splitlines() if mark.exists() else []


SPOILS = pytest.mark.parametrize("spoil", ["missing", "garbage"])
ZIP_SPOILS = pytest.mark.parametrize("spoil", ["missing", "garbage", "unsupported"])
CHANGED = CORE_PROTO.replace("string id = 1;", EXTRA_FIELD, 1)
"""The contract with a field more: a change ``gen`` must write out."""


@ZIP_SPOILS
def test_protoc_leaving_no_readable_modules_is_one_error_and_writes_nothing(
    case: Case, tmp_path: Path, spoil: str
) -> None:
    shutil.rmtree(case.root / "gen")
    case.freeze()
    env = fake_protoc(tmp_path, "--python_out=", ".zip", spoil)

    line = case.refused(case.run("gen", env=env), 1, "exited 0 but left no readable modules")

    assert len(spoiled(tmp_path)) == 1, line
    assert not (case.root / "gen").exists()


@ZIP_SPOILS
def test_protoc_leaving_no_readable_modules_leaves_the_generated_tree_as_it_was(
    case: Case, tmp_path: Path, spoil: str
) -> None:
    case.write(CONTRACT, CHANGED)
    case.freeze()
    env = fake_protoc(tmp_path, "--python_out=", ".zip", spoil)

    case.refused(case.run("gen", env=env), 1, "exited 0 but left no readable modules")

    assert len(spoiled(tmp_path)) == 1


def normal_run(base_workspace: Path, tmp_path: Path, contract: str) -> Path:
    """A copy of the workspace with ``contract``, generated by the real protoc: its root."""
    normal = tmp_path / "normal"
    shutil.copytree(base_workspace, normal, symlinks=True)
    (normal / CONTRACT).write_text(contract, encoding="utf-8")
    env = {"PROTOKIT_CACHE_DIR": str(tmp_path / "normal-cache")}
    proc = run_protokit(("gen",), normal, env)
    assert proc.returncode == 0, proc.stderr
    return normal


def generated(root: Path) -> Snapshot:
    """Everything under ``root/gen`` but the manifest."""
    return {rel: entry for rel, entry in snapshot(root / "gen").items() if f"gen/{rel}" != MANIFEST}


@SPOILS
def test_protoc_compiling_to_no_descriptor_set_hands_the_compile_to_buf(
    case: Case, base_workspace: Path, tmp_path: Path, spoil: str
) -> None:
    expected = generated(normal_run(base_workspace, tmp_path, CHANGED))
    case.write(CONTRACT, CHANGED)
    env = fake_protoc(tmp_path, "--descriptor_set_out=", ".binpb", spoil)

    proc = case.run("gen", env=env)

    assert proc.returncode == 0, proc.stderr
    assert spoiled(tmp_path), "protoc was never asked to compile"
    assert generated(case.root) == expected


def test_the_manifest_after_buf_stood_in_for_protoc_is_a_normal_runs(
    case: Case, base_workspace: Path, tmp_path: Path
) -> None:
    normal = normal_run(base_workspace, tmp_path, CHANGED)
    case.write(CONTRACT, CHANGED)
    env = fake_protoc(tmp_path, "--descriptor_set_out=", ".binpb", "garbage")

    assert case.run("gen", env=env).returncode == 0
    assert spoiled(tmp_path), "protoc was never asked to compile"

    assert (case.root / MANIFEST).read_bytes() == (normal / MANIFEST).read_bytes()
