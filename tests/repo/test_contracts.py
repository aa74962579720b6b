"""The example contracts: what PRODUCT.md promises, read from compiled descriptors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2

from protokit.core.descriptors import Image
from protokit.core.workspace import open_workspace
from protokit.tools.image import build_image
from tests.support import BIN, REPO

FDP = descriptor_pb2.FieldDescriptorProto

UNARY, SERVER, CLIENT, BIDI = "unary", "server-stream", "client-stream", "bidi"
EXPECTED = {
    "acme.inventory.v1.InventoryService": {"GetProductAvailability": UNARY},
    "acme.user.v1.UserService": {
        "GetUser": UNARY,
        "ListUsers": SERVER,
        "UpdateUser": CLIENT,
        "CreateUsers": CLIENT,
        "ChatSupport": BIDI,
    },
    "acme.analytics.v1.AnalyticsService": {
        "SubscribeMetrics": SERVER,
        "ReportEvent": CLIENT,
        "AnalyzeSession": BIDI,
    },
}


@pytest.fixture(scope="module")
def image() -> Image:
    return build_image(open_workspace(REPO))


def _kind(method: descriptor_pb2.MethodDescriptorProto) -> str:
    return {
        (False, False): UNARY,
        (False, True): SERVER,
        (True, False): CLIENT,
        (True, True): BIDI,
    }[(method.client_streaming, method.server_streaming)]


def _messages(image: Image) -> list[descriptor_pb2.DescriptorProto]:
    found: list[descriptor_pb2.DescriptorProto] = []
    stack = [m for f in image.target_files() for m in f.message_type]
    while stack:
        message = stack.pop()
        found.append(message)
        stack.extend(message.nested_type)
    return found


def test_services_and_rpc_kinds_match_the_product(image: Image) -> None:
    services = {
        f"{f.package}.{s.name}": {m.name: _kind(m) for m in s.method}
        for f in image.target_files()
        for s in f.service
    }
    assert services == EXPECTED


def test_contracts_use_every_field_shape(image: Image) -> None:
    messages = _messages(image)
    fields = [field for m in messages for field in m.field]
    map_entries = {m.name for m in messages if m.options.map_entry}
    types = {field.type_name for field in fields}
    assert any(f.type == FDP.TYPE_ENUM for f in fields), "enum"
    assert any(
        m.nested_type and not all(n.options.map_entry for n in m.nested_type) for m in messages
    )
    assert any(
        f.label == FDP.LABEL_REPEATED and f.type_name.split(".")[-1] not in map_entries
        for f in fields
    )
    assert map_entries, "map"
    assert any(f.HasField("oneof_index") and not f.proto3_optional for f in fields), "oneof"
    assert any(f.proto3_optional for f in fields), "optional"
    assert any(f.type == FDP.TYPE_BYTES for f in fields), "bytes"
    assert {".google.protobuf.Timestamp", ".google.protobuf.Duration"} <= types


def test_every_element_is_documented(image: Image) -> None:
    for f in image.target_files():
        documented = {
            tuple(loc.path) for loc in f.source_code_info.location if loc.leading_comments.strip()
        }
        for index, message in enumerate(f.message_type):
            path = (descriptor_pb2.FileDescriptorProto.MESSAGE_TYPE_FIELD_NUMBER, index)
            assert path in documented, f"{f.name}: {message.name}"
            for field_index, field in enumerate(message.field):
                field_path = (*path, descriptor_pb2.DescriptorProto.FIELD_FIELD_NUMBER, field_index)
                assert field_path in documented, f"{f.name}: {message.name}.{field.name}"


@pytest.mark.parametrize(
    "args",
    [["lint"], ["format", "--diff", "--exit-code"], ["build"]],
    ids=["lint", "format", "build"],
)
def test_plain_buf_is_clean_on_the_repository(args: list[str]) -> None:
    result = subprocess.run(
        [str(BIN / "buf"), *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_plain_buf_generate_produces_importable_code(repo_copy: Path) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    gen = subprocess.run(
        [str(BIN / "buf"), "generate"], cwd=repo_copy, capture_output=True, text=True, env=env
    )
    assert gen.returncode == 0, gen.stderr
    out = repo_copy / "gen" / "buf"
    assert (out / "acme/user/v1/user_service_pb2.pyi").is_file()
    probe = (
        "from acme.user.v1 import user_service_pb2 as pb, user_service_pb2_grpc as rpc\n"
        "from acme.analytics.v1 import analytics_service_pb2_grpc as arpc\n"
        "from acme.inventory.v1 import inventory_service_pb2_grpc as irpc\n"
        "req = pb.GetUserRequest(id='u1')\n"
        "assert pb.GetUserRequest.FromString(req.SerializeToString()).id == 'u1'\n"
        "assert rpc.UserServiceStub and rpc.add_UserServiceServicer_to_server\n"
        "assert arpc.AnalyticsServiceStub and irpc.InventoryServiceServicer\n"
        "print('ok')\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=out,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(out)},
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
