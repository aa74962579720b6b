"""The model: names and shapes computed once from descriptors."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
from protokit.gen.model import RpcKind, python_module, service_folder
from protokit.gen.model_build import build_model
from protokit.tools.image import build_image


@pytest.mark.parametrize(
    ("proto", "module"),
    [
        ("acme/user/v1/user.proto", "acme.user.v1.user_pb2"),
        ("a/b-c.proto", "a.b_c_pb2"),
        ("top.proto", "top_pb2"),
    ],
)
def test_python_module_follows_protoc(proto: str, module: str) -> None:
    assert python_module(proto) == module


@pytest.mark.parametrize(
    ("package", "folder"),
    [
        ("acme.inventory.v1", "inventory"),
        ("acme.user.v1beta1", "user"),
        ("google.cloud.vision.v1p3beta1", "vision"),
        ("billing", "billing"),
        ("acme.Orders", "orders"),
        ("acme.class.v1", "class_"),
    ],
)
def test_service_folder_names_the_domain(package: str, folder: str) -> None:
    assert service_folder(package) == folder


def test_the_example_model_has_every_rpc_kind(example_ws: Path) -> None:
    model = build_model(build_image(open_workspace(example_ws)))
    kinds = {m.name: m.kind for s in model.services for m in s.methods}
    assert kinds["GetUser"] is RpcKind.UNARY_UNARY
    assert kinds["ListUsers"] is RpcKind.UNARY_STREAM
    assert kinds["UpdateUser"] is RpcKind.STREAM_UNARY
    assert kinds["ChatSupport"] is RpcKind.STREAM_STREAM
    user = model.file("acme/user/v1/user_service.proto")
    (service,) = user.services
    assert service.comment.text == "UserService manages accounts and connects users with support."
    assert service.comment.line == 10
    update = next(
        m
        for m in model.file("acme/user/v1/user_service.proto").messages
        if m.name == "UpdateUserRequest"
    )
    assert [f.oneof for f in update.fields] == [None, "change", "change", "change"]
    assert [n.py_name for n in update.nested] == ["UpdateUserRequest.RoleSet"]


def test_keyword_names_are_mangled_once_in_the_model(edge_ws: Path) -> None:
    model = build_model(build_image(open_workspace(edge_ws)))
    services = {s.name: s for s in model.file("edge/keywords/v1/keywords.proto").services}
    assert [m.py_name for m in services["print"].methods] == ["import_", "match", "len", "Normal"]
    assert services["print"].experimental_name == "print_"
    assert services["yield"].class_name == "yield_"
    method = services["print"].methods[0]
    assert method.input.aliased == "getattr(_edge_dot_keywords_dot_v1_dot_keywords__pb2, 'class')"
    assert method.input.annotation("keywords_pb2") == "keywords_pb2._r_class"
