"""A tree declaring its own FieldOptions extensions where mypy-protobuf keeps its options."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.core.workspace import open_workspace
from protokit.gen import stubs
from protokit.gen.mypy_plugin import strip_fields
from protokit.gen.pipeline import run_gen
from tests.realtrees.trees import COMPUTE, EXTENDED_OPERATIONS, python, workspace

FILES = {
    "google/cloud/extended_operations.proto": EXTENDED_OPERATIONS,
    "google/cloud/compute/v1/compute.proto": COMPUTE,
}

USE = """
from google.cloud import extended_operations_pb2 as ext
from google.cloud.compute.v1 import compute_pb2, compute_pb2_grpc
field = compute_pb2.Operation.DESCRIPTOR.fields_by_name["name"]
print(field.GetOptions().Extensions[ext.operation_response_field])
print(compute_pb2_grpc.ZoneOperationsStub.__name__)
"""


def test_a_tree_with_its_own_options_at_1151_generates_and_its_options_survive_in_pb2(
    tmp_path: Path,
) -> None:
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root), services=False)
    stubs_dir = root / "gen" / "python"
    pyi = (stubs_dir / "google/cloud/compute/v1/compute_pb2.pyi").read_text()
    assert "class Operation" in pyi
    proc = python(USE, root, stubs_dir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["name", "ZoneOperationsStub"]


def test_a_plugin_crash_is_reported_as_the_plugins_and_names_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = workspace(tmp_path / "ws", FILES)
    # Without the cleaning, mypy-protobuf reads "name" as its casttype and fails.
    monkeypatch.setattr(stubs, "declares_foreign_options", lambda _files: False)
    with pytest.raises(ProtokitError) as caught:
        run_gen(open_workspace(root), services=False)
    message = str(caught.value)
    assert "mypy-protobuf failed on google/cloud/compute/v1/compute.proto" in message
    assert "casttype" in message
    assert "unused" not in message


def test_stripping_removes_only_the_claimed_field_numbers() -> None:
    # field 1 varint 5, field 1151 string "x", field 1160 string "y"
    data = b"\x08\x05" + bytes([0xFA, 0x47]) + b"\x01x" + bytes([0xC2, 0x48]) + b"\x01y"
    assert strip_fields(data, range(1151, 1155)) == b"\x08\x05" + bytes([0xC2, 0x48]) + b"\x01y"
