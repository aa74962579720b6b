"""Names new-service accepts: what buf's STANDARD rules and Python both take, including
builtins and soft keywords where they only name a nested package or a method."""

from __future__ import annotations

import pytest

from protokit.core.errors import UsageError
from protokit.core.naming import ProtoCase, proto_name_problem
from protokit.gen.model import RpcKind
from protokit.scaffold.answers import RpcSpec, validate


@pytest.mark.parametrize(
    "name",
    ["billing", "b2b_api", "v2x", "a", "list", "type", "match", "print", "x" * 40],
)
def test_service_names_buf_and_python_both_take_are_accepted(name: str) -> None:
    validate(name, [RpcSpec("Get", RpcKind.UNARY_UNARY)], None, None)


@pytest.mark.parametrize(
    "rpc",
    ["GetInvoice", "GETX", "Get2", "Exception", "List", "Type", "Print", "A" * 64],
)
def test_rpc_names_buf_and_python_both_take_are_accepted(rpc: str) -> None:
    assert proto_name_problem(rpc, ProtoCase.PASCAL, what="RPC", max_length=64) is None
    validate("billing", [RpcSpec(rpc, RpcKind.STREAM_STREAM)], None, None)


@pytest.mark.parametrize(
    ("package", "version"),
    [
        ("acme.billing.v1", None),
        ("acme.billing.v2", "v2"),
        ("acme.finance.billing.v1beta1", None),
        ("billing.v1alpha2", None),
        (None, "v10"),
    ],
)
def test_packages_and_versions_buf_accepts_are_accepted(
    package: str | None, version: str | None
) -> None:
    validate("billing", [RpcSpec("Get", RpcKind.UNARY_UNARY)], package, version)


def test_every_problem_of_a_command_line_is_named_at_once() -> None:
    with pytest.raises(UsageError) as raised:
        validate(
            "billing",
            [RpcSpec("get", RpcKind.UNARY_UNARY), RpcSpec("None", RpcKind.STREAM_STREAM)],
            None,
            "1",
        )
    message = str(raised.value)
    assert "'get' is not PascalCase" in message
    assert "'None' is a Python keyword" in message
    assert "\n" not in message


@pytest.mark.parametrize("case", list(ProtoCase))
def test_a_hostile_name_is_shown_escaped_and_cut(case: ProtoCase) -> None:
    problem = proto_name_problem("\x1b[31m" + "x" * 100, case, what="name", max_length=200)
    assert problem is not None
    assert "\x1b" not in problem
    assert "\\x1b" in problem
    assert "x" * 41 not in problem
