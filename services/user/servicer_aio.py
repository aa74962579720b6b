"""UserService for the asyncio server (``grpc.aio.server``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc.aio
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc

from services.common.errors import ServiceError, Unavailable, abort_aio
from services.common.mailbox import CloseReason, MailboxClosed
from services.user.chat import ChatRooms, Participant
from services.user.logic import CreateBatch, UpdateSummary, pages, to_proto
from services.user.store import UserStore

_pb = user_service_pb2


class UserService(user_service_pb2_grpc.UserServiceServicer):
    """UserService manages accounts and connects users with support."""

    def __init__(self, store: UserStore, rooms: ChatRooms) -> None:
        self._store = store
        self._rooms = rooms

    async def GetUser(
        self,
        request: _pb.GetUserRequest,
        context: grpc.aio.ServicerContext[_pb.GetUserRequest, _pb.GetUserResponse],
    ) -> _pb.GetUserResponse:
        """GetUser returns one user by id."""
        try:
            return _pb.GetUserResponse(user=to_proto(self._store.get(request.id)))
        except ServiceError as error:
            await abort_aio(context, error)

    async def ListUsers(
        self,
        request: _pb.ListUsersRequest,
        context: grpc.aio.ServicerContext[_pb.ListUsersRequest, _pb.ListUsersResponse],
    ) -> AsyncIterator[_pb.ListUsersResponse]:
        """ListUsers streams every user, one page per message."""
        # A cancelled client cancels this task at the next await, so no explicit check is needed.
        for page in pages(self._store, request):
            yield page

    async def UpdateUser(
        self,
        request_iterator: AsyncIterator[_pb.UpdateUserRequest],
        context: grpc.aio.ServicerContext[_pb.UpdateUserRequest, _pb.UpdateUserResponse],
    ) -> _pb.UpdateUserResponse:
        """UpdateUser applies a stream of changes and reports a summary when the client is done."""
        summary = UpdateSummary(self._store)
        async for request in request_iterator:
            summary.apply(request)
        return summary.response()

    async def CreateUsers(
        self,
        request_iterator: AsyncIterator[_pb.CreateUsersRequest],
        context: grpc.aio.ServicerContext[_pb.CreateUsersRequest, _pb.CreateUsersResponse],
    ) -> _pb.CreateUsersResponse:
        """CreateUsers creates a stream of new users and reports what was created."""
        batch = CreateBatch(self._store)
        try:
            async for request in request_iterator:
                batch.add(request)
            return batch.commit()
        except ServiceError as error:
            await abort_aio(context, error)

    async def ChatSupport(
        self,
        request_iterator: AsyncIterator[_pb.ChatSupportRequest],
        context: grpc.aio.ServicerContext[_pb.ChatSupportRequest, _pb.ChatSupportResponse],
    ) -> AsyncIterator[_pb.ChatSupportResponse]:
        """ChatSupport is a live chat: each message a participant sends reaches everyone in the room."""  # noqa: E501
        try:
            first = await anext(aiter(request_iterator))
        except StopAsyncIteration:
            return  # the client closed before saying anything
        try:
            participant = self._rooms.join(first, loop=asyncio.get_running_loop())
        except ServiceError as error:
            await abort_aio(context, error)
        reader = asyncio.create_task(self._read_messages(participant, request_iterator))
        try:
            while True:
                try:
                    delivery = await participant.outbox.aget()
                except MailboxClosed as closed:
                    if closed.reason is CloseReason.SHUTDOWN:
                        await abort_aio(context, Unavailable("the server is shutting down"))
                    if closed.error is not None:
                        await abort_aio(context, closed.error)
                    return  # the client left
                yield delivery.item
        finally:
            # Runs on completion and when the call is cancelled (the client went away).
            # The reader's own ending (cancelled, or the call failing under it) needs no report.
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            self._rooms.leave(participant)

    async def _read_messages(
        self, participant: Participant, request_iterator: AsyncIterator[_pb.ChatSupportRequest]
    ) -> None:
        """Post what the client sends until it half-closes or sends a bad message."""
        try:
            async for request in request_iterator:
                self._rooms.post(participant, request)
        except ServiceError as error:
            participant.outbox.close(CloseReason.FAILED, error)
        finally:
            self._rooms.leave(participant)
