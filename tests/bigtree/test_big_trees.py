"""gen on trees beyond the example contracts: a real public tree, and a batched big one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
from protokit.gen.pipeline import run_gen
from protokit.gen.stubs import run_protoc_batches
from protokit.tools.image import build_image
from protokit.tools.image_cache import CACHE_ENTRIES

IMPORT_CHECK = """
import google.protobuf
from google.protobuf import any_pb2
from google.rpc import code_pb2, status_pb2
from google.longrunning import operations_proto_pb2, operations_proto_pb2_grpc

generated = {generated!r}
assert status_pb2.__file__.startswith(generated), status_pb2.__file__
assert operations_proto_pb2_grpc.__file__.startswith(generated)
assert not google.protobuf.__file__.startswith(generated), google.protobuf.__file__
detail = any_pb2.Any()
detail.Pack(status_pb2.Status(code=code_pb2.NOT_FOUND, message="gone"))
status = status_pb2.Status(code=code_pb2.NOT_FOUND, details=[detail])
again = status_pb2.Status.FromString(status.SerializeToString())
assert again.details[0].Unpack(status_pb2.Status())
print(again.code, operations_proto_pb2.Operation.DESCRIPTOR.full_name)
"""


def test_gen_on_googleapis_protos_leaves_the_google_namespace_to_the_protobuf_runtime(
    googleapis_ws: Path,
) -> None:
    run_gen(open_workspace(googleapis_ws))
    stubs = googleapis_ws / "gen" / "python"
    assert (stubs / "google" / "rpc" / "status_pb2.py").is_file()
    assert (stubs / "google" / "rpc" / "__init__.py").is_file()
    assert not (stubs / "google" / "__init__.py").exists()
    assert not (stubs / "google" / "protobuf").exists()


def test_stubs_generated_from_googleapis_protos_import_beside_the_installed_protobuf(
    googleapis_ws: Path,
) -> None:
    run_gen(open_workspace(googleapis_ws), services=False)
    stubs = googleapis_ws / "gen" / "python"
    env = {**os.environ, "PYTHONPATH": str(stubs)}
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK.format(generated=str(stubs))],
        cwd=googleapis_ws,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["5", "google.longrunning.Operation"]


def test_protoc_in_parallel_batches_gives_the_same_bytes_as_one_run(synthetic_ws: Path) -> None:
    image = build_image(open_workspace(synthetic_ws))
    one = run_protoc_batches(image, image.targets, batch_size=10_000, workers=1)
    batched = run_protoc_batches(image, image.targets, batch_size=70, workers=2)
    assert (one.runs, batched.runs) == (1, 5)
    # _pb2.py and _pb2.pyi per file, _pb2_grpc.pyi for the 60 files with services
    assert len(one.files) == 2 * 300 + 60
    assert batched.files == one.files
    assert batched.gencode == one.gencode
    assert batched.parsed == one.parsed == frozenset(one.files)


def test_an_unchanged_tree_reuses_its_compiled_image_and_a_changed_one_recompiles(
    synthetic_ws: Path, tmp_path: Path
) -> None:
    ws = open_workspace(synthetic_ws)
    first = build_image(ws)
    assert build_image(ws).serialize() == first.serialize()
    (images,) = [p for p in Path(os.environ["PROTOKIT_CACHE_DIR"]).glob("images/*.binpb")]
    images.write_bytes(b"damaged")
    assert build_image(ws).serialize() == first.serialize()
    extra = synthetic_ws / "protos" / "synth" / "d0000" / "v1" / "extra.proto"
    extra.write_text('syntax = "proto3";\npackage synth.d0000.v1;\nmessage Extra {}\n')
    try:
        changed = build_image(ws)
    finally:
        extra.unlink()
    assert "synth/d0000/v1/extra.proto" in changed.targets
    assert build_image(ws).serialize() == first.serialize()


def test_image_cache_keeps_a_bounded_number_of_workspaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PROTOKIT_CACHE_DIR", str(cache))
    proto = 'syntax = "proto3";\n\npackage shop.v1;\n\nmessage Item {\n  string id = 1;\n}\n'
    for index in range(CACHE_ENTRIES + 3):
        root = tmp_path / f"ws{index}"
        (root / "proto/shop/v1").mkdir(parents=True)
        (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: proto\n")
        (root / "proto/shop/v1/item.proto").write_text(proto)
        build_image(open_workspace(root))
    assert len(list((cache / "images").glob("*.json"))) == CACHE_ENTRIES
    assert len(list((cache / "images").glob("*.binpb"))) == CACHE_ENTRIES
