"""Servicers for acme.user.v1 (sync gRPC).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc


class UserService(user_service_pb2_grpc.UserServiceServicer):
    """UserService manages accounts and connects users with support."""

    def GetUser(
        self,
        request: user_service_pb2.GetUserRequest,
        context: grpc.ServicerContext,
    ) -> user_service_pb2.GetUserResponse:
        """GetUser returns one user by id."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def ListUsers(
        self,
        request: user_service_pb2.ListUsersRequest,
        context: grpc.ServicerContext,
    ) -> Iterator[user_service_pb2.ListUsersResponse]:
        """ListUsers streams every user, one page per message."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield user_service_pb2.ListUsersResponse()

    def UpdateUser(
        self,
        request_iterator: Iterator[user_service_pb2.UpdateUserRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.UpdateUserResponse:
        """UpdateUser applies a stream of changes and reports a summary when the client is done."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def CreateUsers(
        self,
        request_iterator: Iterator[user_service_pb2.CreateUsersRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.CreateUsersResponse:
        """CreateUsers creates a stream of new users and reports what was created."""
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    def ChatSupport(
        self,
        request_iterator: Iterator[user_service_pb2.ChatSupportRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[user_service_pb2.ChatSupportResponse]:
        """ChatSupport is a live chat: each message a participant sends reaches everyone in the
        room.
        """
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this a generator, the shape of a streaming RPC.
        yield user_service_pb2.ChatSupportResponse()
