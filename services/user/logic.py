"""What the sync and asyncio servicers share: conversions, paging and stream summaries."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from acme.user.v1 import user_pb2, user_service_pb2

from services.common.errors import InvalidArgument, Violation
from services.user.store import ChangeRejected, NewUser, UserRecord, UserStore

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: CreateUsers is all-or-nothing, so a batch is held in memory until the client is done.
MAX_CREATE_BATCH = 1000


def to_proto(user: UserRecord) -> user_pb2.User:
    """The protobuf form of a stored user."""
    message = user_pb2.User(id=user.id, name=user.name, email=user.email, roles=_roles(user.roles))
    if user.nickname is not None:
        message.nickname = user.nickname
    message.created_at.FromDatetime(user.created_at)
    return message


def _roles(values: Iterable[int]) -> list[Any]:
    """Role numbers as the generated constructors take them.

    mypy-protobuf types them as ``Role.ValueType`` and protoc's own .pyi as ``Role | str``;
    both are plain ints at run time.
    """
    return list(values)


def pages(
    store: UserStore, request: user_service_pb2.ListUsersRequest
) -> Iterator[user_service_pb2.ListUsersResponse]:
    """Pages of a snapshot of the users; page_size 0 means the default, larger is capped."""
    size = min(request.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    users = store.snapshot(request.role)
    for number, start in enumerate(range(0, len(users), size)):
        yield user_service_pb2.ListUsersResponse(
            users=[to_proto(user) for user in users[start : start + size]], page=number
        )


class UpdateSummary:
    """Applies an UpdateUser stream change by change and sums it up."""

    def __init__(self, store: UserStore) -> None:
        self._store = store
        self._updated = 0
        self._failures: dict[str, str] = {}

    def apply(self, request: user_service_pb2.UpdateUserRequest) -> None:
        """Apply one change; a rejected change is recorded, not raised."""
        change = request.WhichOneof("change")
        try:
            if change == "name":
                self._store.change(request.id, name=request.name)
            elif change == "email":
                self._store.change(request.id, email=request.email)
            elif change == "roles":
                self._store.change(request.id, roles=list(request.roles.roles))
            else:
                raise ChangeRejected("no change given: set one of name, email or roles")
        except ChangeRejected as rejected:
            self._failures[request.id] = str(rejected)
        else:
            self._updated += 1

    def response(self) -> user_service_pb2.UpdateUserResponse:
        return user_service_pb2.UpdateUserResponse(
            updated_count=self._updated, failures=self._failures
        )


class CreateBatch:
    """Collects a CreateUsers stream and creates it all at once when the client is done."""

    def __init__(self, store: UserStore) -> None:
        self._store = store
        self._users: list[NewUser] = []
        self._started = time.monotonic()

    def add(self, request: user_service_pb2.CreateUsersRequest) -> None:
        """Take one more user; InvalidArgument once the batch is too big."""
        if len(self._users) >= MAX_CREATE_BATCH:
            raise InvalidArgument(
                [Violation("users", f"a batch holds at most {MAX_CREATE_BATCH} users")]
            )
        nickname = request.nickname if request.HasField("nickname") else None
        self._users.append(NewUser(request.name, request.email, tuple(request.roles), nickname))

    def commit(self) -> user_service_pb2.CreateUsersResponse:
        """Create the batch (all or nothing) and report it."""
        created = self._store.create(self._users)
        response = user_service_pb2.CreateUsersResponse(users=[to_proto(u) for u in created])
        response.elapsed.FromNanoseconds(int((time.monotonic() - self._started) * 1e9))
        return response
