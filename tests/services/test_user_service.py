"""UserService end to end: every RPC with sync and asyncio clients, on both server flavours."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator

import grpc
import grpc.aio
import pytest
from acme.user.v1 import user_pb2, user_service_pb2, user_service_pb2_grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from service_harness import RPC_TIMEOUT, Served, run_async

from services.common.errors import InvalidArgument
from services.user.chat import ChatRooms
from services.user.store import NewUser, UserStore

_pb = user_service_pb2
_END = object()


def _stub(
    channel: Callable[[Served], grpc.Channel], served: Served
) -> user_service_pb2_grpc.UserServiceStub:
    return user_service_pb2_grpc.UserServiceStub(channel(served))


def _bad_fields(error: grpc.RpcError) -> list[str]:
    assert isinstance(error, grpc.Call)
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    return [violation.field for violation in bad_request.field_violations]


class Chatter:
    """One sync ChatSupport stream: messages go in through a queue, come out of the call."""

    def __init__(self, stub: user_service_pb2_grpc.UserServiceStub, room: str, user: str) -> None:
        self.room = room
        self.user = user
        self._outgoing: queue.Queue[object] = queue.Queue()
        requests: Iterator[_pb.ChatSupportRequest] = iter(self._outgoing.get, _END)  # type: ignore[arg-type]
        self.call = stub.ChatSupport(requests, timeout=RPC_TIMEOUT)

    def say(self, text: str) -> None:
        self._outgoing.put(_pb.ChatSupportRequest(room_id=self.room, user_id=self.user, text=text))

    def send(self, request: _pb.ChatSupportRequest) -> None:
        self._outgoing.put(request)

    def hear(self) -> tuple[str, str]:
        message: _pb.ChatSupportResponse = next(self.call)
        return message.from_user_id, message.text

    def join(self, text: str) -> None:
        """Say something and wait for it to come back: from then on, this stream is in the room."""
        self.say(text)
        assert self.hear() == (self.user, text)

    def leave(self) -> None:
        self._outgoing.put(_END)


def test_get_user_returns_the_stored_account(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    response = _stub(channel, user_server).GetUser(
        _pb.GetUserRequest(id="u-0001"), timeout=RPC_TIMEOUT
    )

    user = response.user
    assert (user.id, user.name, user.email) == ("u-0001", "Ada Lovelace", "ada@example.com")
    assert list(user.roles) == [user_pb2.ROLE_CUSTOMER]
    assert user.HasField("nickname") and user.nickname == "ada"
    assert user.created_at.seconds > 0


def test_get_user_with_unknown_id_is_not_found(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _stub(channel, user_server).GetUser(_pb.GetUserRequest(id="u-9999"), timeout=RPC_TIMEOUT)

    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert raised.value.details() == "no user with id 'u-9999'"


def test_get_user_with_empty_id_is_invalid_argument(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _stub(channel, user_server).GetUser(_pb.GetUserRequest(id=""), timeout=RPC_TIMEOUT)

    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_fields(raised.value) == ["id"]


def test_list_users_streams_numbered_pages_of_the_requested_size(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    pages = list(
        _stub(channel, user_server).ListUsers(
            _pb.ListUsersRequest(page_size=2), timeout=RPC_TIMEOUT
        )
    )

    assert [page.page for page in pages] == [0, 1, 2]
    assert [[user.id for user in page.users] for page in pages] == [
        ["u-0001", "u-0002"],
        ["u-0003", "u-0004"],
        ["u-0005"],
    ]


def test_list_users_keeps_only_holders_of_the_role(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    pages = list(
        _stub(channel, user_server).ListUsers(
            _pb.ListUsersRequest(role=user_pb2.ROLE_SUPPORT), timeout=RPC_TIMEOUT
        )
    )

    assert [[user.id for user in page.users] for page in pages] == [["u-0002", "u-0004"]]


def test_update_user_applies_changes_and_reports_each_rejected_one(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    changes = [
        _pb.UpdateUserRequest(id="u-0001", name="Augusta Ada King"),
        _pb.UpdateUserRequest(
            id="u-0003",
            roles=_pb.UpdateUserRequest.RoleSet(
                roles=[user_pb2.ROLE_CUSTOMER, user_pb2.ROLE_ADMIN]
            ),
        ),
        _pb.UpdateUserRequest(id="u-0002", email="ada@example.com"),
        _pb.UpdateUserRequest(id="u-4040", name="Nobody"),
        _pb.UpdateUserRequest(id="u-0005"),
    ]

    summary = stub.UpdateUser(iter(changes), timeout=RPC_TIMEOUT)

    assert summary.updated_count == 2
    assert dict(summary.failures) == {
        "u-0002": "email 'ada@example.com' belongs to another user",
        "u-4040": "no user with id 'u-4040'",
        "u-0005": "no change given: set one of name, email or roles",
    }
    renamed = stub.GetUser(_pb.GetUserRequest(id="u-0001"), timeout=RPC_TIMEOUT).user
    assert renamed.name == "Augusta Ada King"
    promoted = stub.GetUser(_pb.GetUserRequest(id="u-0003"), timeout=RPC_TIMEOUT).user
    assert list(promoted.roles) == [user_pb2.ROLE_CUSTOMER, user_pb2.ROLE_ADMIN]


def test_create_users_creates_the_stream_and_reports_new_ids_and_elapsed_time(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    new_users = [
        _pb.CreateUsersRequest(name="Margaret Hamilton", email="margaret@example.com"),
        _pb.CreateUsersRequest(
            name="Ken Thompson",
            email="ken@example.com",
            roles=[user_pb2.ROLE_SUPPORT],
            nickname="ken",
        ),
    ]

    response = stub.CreateUsers(iter(new_users), timeout=RPC_TIMEOUT)

    assert [(user.id, user.name) for user in response.users] == [
        ("u-0006", "Margaret Hamilton"),
        ("u-0007", "Ken Thompson"),
    ]
    assert response.users[1].nickname == "ken"
    assert not response.users[0].HasField("nickname")
    assert response.HasField("elapsed")
    fetched = stub.GetUser(_pb.GetUserRequest(id="u-0007"), timeout=RPC_TIMEOUT).user
    assert fetched.email == "ken@example.com"


def test_create_users_with_bad_entries_creates_none_and_names_every_bad_field(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    new_users = [
        _pb.CreateUsersRequest(name="Fine Person", email="fine@example.com"),
        _pb.CreateUsersRequest(name="", email="not-an-address"),
        _pb.CreateUsersRequest(name="Copy Cat", email="FINE@example.com"),
    ]

    with pytest.raises(grpc.RpcError) as raised:
        stub.CreateUsers(iter(new_users), timeout=RPC_TIMEOUT)

    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_fields(raised.value) == ["users[1].name", "users[1].email", "users[2].email"]
    everyone = stub.ListUsers(_pb.ListUsersRequest(), timeout=RPC_TIMEOUT)
    assert sum(len(page.users) for page in everyone) == 5


def test_chat_message_from_one_participant_reaches_the_others_in_its_room_only(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    ada = Chatter(stub, "room-1", "u-0001")
    ada.join("hello, anyone there?")
    grace = Chatter(stub, "room-1", "u-0002")
    grace.join("hi Ada, Grace from support here")
    assert ada.hear() == ("u-0002", "hi Ada, Grace from support here")
    alan = Chatter(stub, "room-2", "u-0003")
    alan.join("a different conversation")

    ada.say("my order is stuck")
    assert grace.hear() == ("u-0001", "my order is stuck")
    assert ada.hear() == ("u-0001", "my order is stuck")
    grace.say("let me look")
    assert ada.hear() == ("u-0002", "let me look")
    assert grace.hear() == ("u-0002", "let me look")

    # Anything from room-1 would have been queued for Alan before this line of his own.
    alan.join("still only me here?")
    for chatter in (ada, grace, alan):
        chatter.leave()
        assert list(chatter.call) == []
        assert chatter.call.code() is grpc.StatusCode.OK


def test_chat_attachment_reaches_the_room_as_bytes(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    ada = Chatter(stub, "room-1", "u-0001")
    ada.join("sending a screenshot")
    grace = Chatter(stub, "room-1", "u-0002")
    grace.join("go ahead")
    assert ada.hear() == ("u-0002", "go ahead")

    ada.send(_pb.ChatSupportRequest(attachment=b"\x89PNG\r\n\x1a\n"))

    message = next(grace.call)
    assert (message.room_id, message.from_user_id) == ("room-1", "u-0001")
    assert message.WhichOneof("content") == "attachment"
    assert message.attachment == b"\x89PNG\r\n\x1a\n"
    assert message.sent_at.seconds > 0
    ada.leave()
    grace.leave()


def test_chat_first_message_without_room_or_user_is_invalid_argument(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    call = _stub(channel, user_server).ChatSupport(
        iter([_pb.ChatSupportRequest(text="who am I?")]), timeout=RPC_TIMEOUT
    )

    with pytest.raises(grpc.RpcError) as raised:
        list(call)

    assert _bad_fields(raised.value) == ["room_id", "user_id"]


def test_chat_first_message_too_long_is_refused_without_joining(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    rooms: ChatRooms = user_server.state["rooms"]
    call = _stub(channel, user_server).ChatSupport(
        iter([_pb.ChatSupportRequest(room_id="r", user_id="u", text="x" * 5000)]),
        timeout=RPC_TIMEOUT,
    )

    with pytest.raises(grpc.RpcError) as raised:
        list(call)

    assert _bad_fields(raised.value) == ["text"]
    assert rooms.participant_count() == 0


def test_chat_message_for_another_room_is_invalid_argument(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    chatter = Chatter(_stub(channel, user_server), "room-1", "u-0001")
    chatter.join("hello")

    chatter.send(_pb.ChatSupportRequest(room_id="room-2", text="wrong room"))

    with pytest.raises(grpc.RpcError) as raised:
        chatter.hear()
    assert _bad_fields(raised.value) == ["room_id"]


def test_chat_participant_that_cancels_leaves_the_room(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    rooms: ChatRooms = user_server.state["rooms"]
    chatter = Chatter(_stub(channel, user_server), "room-1", "u-0001")
    chatter.join("brb")
    assert rooms.participant_count("room-1") == 1

    chatter.call.cancel()

    assert rooms.wait_for_participants(0, "room-1", timeout=RPC_TIMEOUT)


def test_chat_participant_too_far_behind_is_disconnected_without_stalling_the_room(
    user_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, user_server)
    rooms: ChatRooms = user_server.state["rooms"]
    # No BDP probing: the slow reader's window stays at its initial size, so the server's
    # writes to it block soon and its outbox (64 messages here) fills up.
    slow_channel = grpc.insecure_channel(user_server.target, options=[("grpc.http2.bdp_probe", 0)])
    slow = Chatter(user_service_pb2_grpc.UserServiceStub(slow_channel), "room-1", "u-0009")
    slow.join("I read very slowly")
    fast = Chatter(stub, "room-1", "u-0001")
    fast.join("I keep talking")

    padding = "." * 500  # big lines fill the slow reader's transport window sooner
    for number in range(1000):
        fast.join(f"line {number} {padding}")  # each line returns to its sender before the next

    with pytest.raises(grpc.RpcError) as raised:
        while True:
            slow.hear()
    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert rooms.wait_for_participants(1, "room-1", timeout=RPC_TIMEOUT)
    fast.leave()
    slow_channel.close()


def test_asyncio_client_calls_every_user_rpc(user_server: Served) -> None:
    async def scenario() -> None:
        async with grpc.aio.insecure_channel(user_server.target) as aio_channel:
            stub = user_service_pb2_grpc.UserServiceStub(aio_channel)
            got = await stub.GetUser(_pb.GetUserRequest(id="u-0002"), timeout=RPC_TIMEOUT)
            assert got.user.name == "Grace Hopper"

            pages = [
                page
                async for page in stub.ListUsers(
                    _pb.ListUsersRequest(page_size=3), timeout=RPC_TIMEOUT
                )
            ]
            assert [len(page.users) for page in pages] == [3, 2]

            update = stub.UpdateUser(timeout=RPC_TIMEOUT)
            await update.write(_pb.UpdateUserRequest(id="u-0005", email="barbara@mit.example"))
            await update.write(_pb.UpdateUserRequest(id="u-0005", email="bad"))
            await update.done_writing()
            summary = await update
            assert summary.updated_count == 1
            assert dict(summary.failures) == {"u-0005": "email 'bad' is not an email address"}

            create = stub.CreateUsers(timeout=RPC_TIMEOUT)
            await create.write(_pb.CreateUsersRequest(name="Donald Knuth", email="don@example.com"))
            await create.done_writing()
            created = await create
            assert [user.id for user in created.users] == ["u-0006"]

            ada = stub.ChatSupport(timeout=RPC_TIMEOUT)
            grace = stub.ChatSupport(timeout=RPC_TIMEOUT)
            await ada.write(_pb.ChatSupportRequest(room_id="r", user_id="u-0001", text="hi"))
            assert (await ada.read()).text == "hi"
            await grace.write(_pb.ChatSupportRequest(room_id="r", user_id="u-0002", text="hello"))
            assert (await grace.read()).text == "hello"
            assert (await ada.read()).from_user_id == "u-0002"
            await ada.write(_pb.ChatSupportRequest(text="help, please"))
            heard = await grace.read()
            assert (heard.from_user_id, heard.text) == ("u-0001", "help, please")
            assert (await ada.read()).text == "help, please"
            await ada.done_writing()
            await grace.done_writing()
            assert await ada.read() is grpc.aio.EOF
            assert await grace.read() is grpc.aio.EOF
            assert await ada.code() is grpc.StatusCode.OK
            assert await grace.code() is grpc.StatusCode.OK

    run_async(scenario())


def test_store_creates_nothing_when_an_email_is_taken() -> None:
    store = UserStore.with_sample_data()

    with pytest.raises(InvalidArgument) as raised:
        store.create([NewUser("New", "new@example.com"), NewUser("Ada 2", "ADA@example.com")])

    assert [v.field for v in raised.value.violations] == ["users[1].email"]
    assert len(store) == 5
