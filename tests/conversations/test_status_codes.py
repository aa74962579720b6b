"""The conversation model's status codes are gRPC's: the same names and numbers as
``grpc.StatusCode`` and ``google.rpc.Code``, so a file reads without the gRPC runtime and a
replayed call's code converts by name."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import code_pb2

from protokit.conversations.model import StatusCode


def test_the_table_holds_grpcs_codes_by_name_and_number() -> None:
    assert [(c.name, c.value) for c in StatusCode] == [
        (c.name, c.value[0]) for c in grpc.StatusCode
    ]


def test_the_table_holds_google_rpc_codes() -> None:
    assert sorted((c.name, c.value) for c in StatusCode) == sorted(code_pb2.Code.items())


@pytest.mark.parametrize("code", list(grpc.StatusCode))
def test_a_grpc_code_converts_to_the_code_of_the_same_name(code: grpc.StatusCode) -> None:
    assert StatusCode.of(code).name == code.name
