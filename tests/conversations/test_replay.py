"""Replaying conversations against real servers: green when the behaviour holds, and the exact
position when an implementation changes (status, stream length, order, deadline)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from acme.analytics.v1 import analytics_service_pb2 as an
from acme.user.v1 import user_service_pb2 as us

from protokit.conversations.harness import Case, ConversationSuite
from protokit.conversations.replay import replay
from protokit.evolution.fixtures import DynamicSchema
from services.user.logic import pages
from services.user.store import UserStore
from tests.conversations.conftest import ROOT, conversation, recorded, serve_handlers

USER = "acme.user.v1.UserService"
ANALYTICS = "acme.analytics.v1.AnalyticsService"


def _list_users(drop_last: bool = False, extra: bool = False) -> grpc.RpcMethodHandler:
    def handler(request: us.ListUsersRequest, context: grpc.ServicerContext) -> Iterator[Any]:
        found = list(pages(UserStore.with_sample_data(), request))
        if drop_last:
            found = found[:-1]
        if extra:
            found.append(us.ListUsersResponse(page=len(found)))
        yield from found

    return grpc.unary_stream_rpc_method_handler(
        handler,
        request_deserializer=us.ListUsersRequest.FromString,
        response_serializer=us.ListUsersResponse.SerializeToString,
    )


@pytest.fixture(scope="module")
def suite() -> ConversationSuite:
    return ConversationSuite(ROOT)


def test_recorded_conversation_replays_green_on_the_real_service(suite: ConversationSuite) -> None:
    rel = "compat/conversations/acme.user.v1/UserService/ChatSupport/room.json"
    assert suite.run(Case("current", rel, "acme.user.v1", "aio")) is None


def test_a_different_status_fails_at_the_receive_it_broke(schema: DynamicSchema) -> None:
    def deny(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "no")

    handler = grpc.unary_unary_rpc_method_handler(
        deny,
        request_deserializer=us.GetUserRequest.FromString,
        response_serializer=us.GetUserResponse.SerializeToString,
    )
    case = recorded(schema, "acme.user.v1/UserService/GetUser/found.json")
    for channel in serve_handlers(USER, {"GetUser": handler}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.step == 2
    assert (
        "receive #1: the stream ended after 0 message(s) with PERMISSION_DENIED" in mismatch.problem
    )


def test_a_status_code_that_differs_is_reported(schema: DynamicSchema) -> None:
    def missing(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad id")

    handler = grpc.unary_unary_rpc_method_handler(
        missing,
        request_deserializer=us.GetUserRequest.FromString,
        response_serializer=us.GetUserResponse.SerializeToString,
    )
    case = recorded(schema, "acme.user.v1/UserService/GetUser/not-found.json")
    for channel in serve_handlers(USER, {"GetUser": handler}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.problem == "status: expected NOT_FOUND, got INVALID_ARGUMENT ('bad id')"


def test_one_message_fewer_in_a_stream_names_the_missing_message(schema: DynamicSchema) -> None:
    case = recorded(schema, "acme.user.v1/UserService/ListUsers/paged.json")
    for channel in serve_handlers(USER, {"ListUsers": _list_users(drop_last=True)}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.problem.startswith("receive #3: the stream ended after 2 message(s) with OK")
    assert mismatch.step == 4


def test_one_message_more_in_a_stream_is_reported(schema: DynamicSchema) -> None:
    case = recorded(schema, "acme.user.v1/UserService/ListUsers/paged.json")
    for channel in serve_handlers(USER, {"ListUsers": _list_users(extra=True)}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.problem.startswith("message #4 was not expected (the case receives 3)")


def test_the_unchanged_stream_passes_through_the_same_harness(schema: DynamicSchema) -> None:
    case = recorded(schema, "acme.user.v1/UserService/ListUsers/paged.json")
    for channel in serve_handlers(USER, {"ListUsers": _list_users()}):
        assert replay(case, channel, schema) is None


def _reversed_session() -> grpc.RpcMethodHandler:
    def handler(requests: Iterator[an.AnalyzeSessionRequest], context: Any) -> Iterator[Any]:
        seen = list(requests)
        for i, request in enumerate(reversed(seen)):
            yield an.AnalyzeSessionResponse(
                session_id=request.session_id, insight=request.action.action, actions_seen=i + 1
            )

    return grpc.stream_stream_rpc_method_handler(
        handler,
        request_deserializer=an.AnalyzeSessionRequest.FromString,
        response_serializer=an.AnalyzeSessionResponse.SerializeToString,
    )


BIDI_CASE: dict[str, Any] = {
    "rpc": f"{ANALYTICS}/AnalyzeSession",
    "timeout_seconds": 5,
    "exchange": [
        {"send": {"sessionId": "s", "action": {"action": "click"}}},
        {"send": {"sessionId": "s", "action": {"action": "error"}}},
        {"close": True},
        {"receive": {"sessionId": "s", "insight": "click", "actionsSeen": 1}},
        {"receive": {"sessionId": "s", "insight": "error", "actionsSeen": 2}},
    ],
}


def test_a_reordered_bidi_reply_names_the_field_and_position(schema: DynamicSchema) -> None:
    case = conversation(schema, BIDI_CASE)
    for channel in serve_handlers(ANALYTICS, {"AnalyzeSession": _reversed_session()}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.step == 4
    assert mismatch.problem == "receive #1: field insight: expected 'click', got 'error'"


def test_a_hanging_handler_fails_by_the_cases_deadline(schema: DynamicSchema) -> None:
    release = threading.Event()

    def hang(request: Any, context: grpc.ServicerContext) -> Any:
        release.wait(30)
        return us.GetUserResponse()

    handler = grpc.unary_unary_rpc_method_handler(
        hang,
        request_deserializer=us.GetUserRequest.FromString,
        response_serializer=us.GetUserResponse.SerializeToString,
    )
    case = conversation(
        schema,
        {
            "rpc": f"{USER}/GetUser",
            "timeout_seconds": 0.5,
            "exchange": [{"send": {"id": "u-1"}}, {"receive": {}}],
        },
    )
    try:
        for channel in serve_handlers(USER, {"GetUser": handler}):
            mismatch = replay(case, channel, schema)
    finally:
        release.set()
    assert mismatch is not None
    assert "DEADLINE_EXCEEDED" in mismatch.problem


def test_status_details_that_differ_are_reported(schema: DynamicSchema) -> None:
    def plain(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(
            grpc.StatusCode.NOT_FOUND,
            "no user with id 'u-9999'",
        )

    handler = grpc.unary_unary_rpc_method_handler(
        plain,
        request_deserializer=us.GetUserRequest.FromString,
        response_serializer=us.GetUserResponse.SerializeToString,
    )
    case = recorded(schema, "acme.user.v1/UserService/GetUser/not-found.json")
    for channel in serve_handlers(USER, {"GetUser": handler}):
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    assert mismatch.problem == "status details: expected 1, got 0"


AUTHORIZED = (
    "compat/conversations/acme.inventory.v1/InventoryService/GetProductAvailability/authorized.json"
)


@pytest.mark.parametrize("flavour", ["sync", "aio"])
def test_an_authorized_case_replays_green_against_a_token_protected_server(
    suite: ConversationSuite, flavour: str
) -> None:
    assert suite.run(Case("current", AUTHORIZED, "acme.inventory.v1", flavour)) is None


@pytest.mark.parametrize("flavour", ["sync", "aio"])
def test_the_harness_server_for_an_authorized_case_refuses_a_call_without_the_token(
    suite: ConversationSuite, flavour: str
) -> None:
    case = Case("current", AUTHORIZED, "acme.inventory.v1", flavour)
    conversation = suite.load(case)
    with suite.serving(case, "harness-token") as target, grpc.insecure_channel(target) as channel:
        mismatch = replay(conversation, channel, suite.schema, env={})
    assert mismatch is not None
    assert "with UNAUTHENTICATED (missing 'authorization: Bearer <token>' metadata)" in (
        mismatch.problem
    )
    assert mismatch.problem.endswith(
        "the case sends authorization from $SERVICES_TOKEN, which is not set"
    )


def test_a_bidi_case_with_no_steps_opens_half_closes_and_checks_the_status(
    schema: DynamicSchema,
) -> None:
    empty = conversation(schema, {"rpc": f"{ANALYTICS}/AnalyzeSession", "exchange": []})
    for channel in serve_handlers(ANALYTICS, {"AnalyzeSession": _reversed_session()}):
        assert replay(empty, channel, schema) is None
    expects_failure = conversation(
        schema,
        {"rpc": f"{ANALYTICS}/AnalyzeSession", "exchange": [], "status": {"code": "NOT_FOUND"}},
    )
    for channel in serve_handlers(ANALYTICS, {"AnalyzeSession": _reversed_session()}):
        mismatch = replay(expects_failure, channel, schema)
    assert mismatch is not None and mismatch.problem == "status: expected NOT_FOUND, got OK"
