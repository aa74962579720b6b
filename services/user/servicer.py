"""UserService for the sync server (``grpc.server``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import grpc
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc

from services.common.errors import ServiceError, Unavailable, abort
from services.common.mailbox import CloseReason, MailboxClosed
from services.user.chat import ChatRooms, Participant
from services.user.logic import CreateBatch, UpdateSummary, pages, to_proto
from services.user.store import UserStore

#: How often a waiting stream re-checks that its call is still alive, as a safety net for the
#: termination callback that normally wakes it at once.
_POLL_SECONDS = 1.0


class UserService(user_service_pb2_grpc.UserServiceServicer):
    """UserService manages accounts and connects users with support."""

    def __init__(self, store: UserStore, rooms: ChatRooms) -> None:
        self._store = store
        self._rooms = rooms

    def GetUser(
        self, request: user_service_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_service_pb2.GetUserResponse:
        """GetUser returns one user by id."""
        try:
            return user_service_pb2.GetUserResponse(user=to_proto(self._store.get(request.id)))
        except ServiceError as error:
            abort(context, error)

    def ListUsers(
        self, request: user_service_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> Iterator[user_service_pb2.ListUsersResponse]:
        """ListUsers streams every user, one page per message."""
        for page in pages(self._store, request):
            if not context.is_active():
                return  # the client cancelled or its deadline passed: stop paging
            yield page

    def UpdateUser(
        self,
        request_iterator: Iterator[user_service_pb2.UpdateUserRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.UpdateUserResponse:
        """UpdateUser applies a stream of changes and reports a summary when the client is done."""
        summary = UpdateSummary(self._store)
        for request in request_iterator:
            summary.apply(request)
        return summary.response()

    def CreateUsers(
        self,
        request_iterator: Iterator[user_service_pb2.CreateUsersRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.CreateUsersResponse:
        """CreateUsers creates a stream of new users and reports what was created."""
        batch = CreateBatch(self._store)
        try:
            for request in request_iterator:
                batch.add(request)
            return batch.commit()
        except ServiceError as error:
            abort(context, error)

    def ChatSupport(
        self,
        request_iterator: Iterator[user_service_pb2.ChatSupportRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[user_service_pb2.ChatSupportResponse]:
        """ChatSupport is a live chat: each message a participant sends reaches everyone in the room."""  # noqa: E501
        first = next(request_iterator, None)
        if first is None:
            return  # the client closed before saying anything
        try:
            participant = self._rooms.join(first)
        except ServiceError as error:
            abort(context, error)
        if not context.add_callback(lambda: self._rooms.leave(participant)):
            self._rooms.leave(participant)
            return
        reader = threading.Thread(
            target=self._read_messages,
            args=(participant, request_iterator),
            name=f"chat-reader-{participant.user_id}",
            daemon=True,
        )
        reader.start()
        try:
            while True:
                try:
                    delivery = participant.outbox.get(timeout=_POLL_SECONDS)
                except MailboxClosed as closed:
                    if closed.reason is CloseReason.SHUTDOWN:
                        abort(context, Unavailable("the server is shutting down; reconnect"))
                    if closed.error is not None:
                        abort(context, closed.error)
                    return  # the client left
                if delivery is None:
                    if not context.is_active():
                        return
                    continue
                yield delivery.item
        finally:
            self._rooms.leave(participant)

    def _read_messages(
        self,
        participant: Participant,
        request_iterator: Iterator[user_service_pb2.ChatSupportRequest],
    ) -> None:
        """Post what the client sends until it half-closes, disconnects or sends a bad message."""
        try:
            for request in request_iterator:
                self._rooms.post(participant, request)
        except ServiceError as error:
            participant.outbox.close(CloseReason.FAILED, error)
        except grpc.RpcError:
            pass  # the call ended under us (cancelled, deadline, shutdown)
        finally:
            self._rooms.leave(participant)
