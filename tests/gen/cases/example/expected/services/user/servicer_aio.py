"""Servicers for acme.user.v1 (asyncio gRPC, ``grpc.aio``).

Created by ``protokit gen``; this file is yours: implement the methods here, gen never
overwrites it. When the contract gains an RPC, ``protokit gen`` prints the method to add.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from acme.user.v1 import user_service_pb2, user_service_pb2_grpc


class UserService(user_service_pb2_grpc.UserServiceServicer):
    """UserService manages accounts and connects users with support."""

    async def GetUser(
        self,
        request: user_service_pb2.GetUserRequest,
        context: grpc.aio.ServicerContext[
            user_service_pb2.GetUserRequest, user_service_pb2.GetUserResponse
        ],
    ) -> user_service_pb2.GetUserResponse:
        """GetUser returns one user by id."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def ListUsers(
        self,
        request: user_service_pb2.ListUsersRequest,
        context: grpc.aio.ServicerContext[
            user_service_pb2.ListUsersRequest, user_service_pb2.ListUsersResponse
        ],
    ) -> AsyncIterator[user_service_pb2.ListUsersResponse]:
        """ListUsers streams every user, one page per message."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield user_service_pb2.ListUsersResponse()

    async def UpdateUser(
        self,
        request_iterator: AsyncIterator[user_service_pb2.UpdateUserRequest],
        context: grpc.aio.ServicerContext[
            user_service_pb2.UpdateUserRequest, user_service_pb2.UpdateUserResponse
        ],
    ) -> user_service_pb2.UpdateUserResponse:
        """UpdateUser applies a stream of changes and reports a summary when the client is done."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def CreateUsers(
        self,
        request_iterator: AsyncIterator[user_service_pb2.CreateUsersRequest],
        context: grpc.aio.ServicerContext[
            user_service_pb2.CreateUsersRequest, user_service_pb2.CreateUsersResponse
        ],
    ) -> user_service_pb2.CreateUsersResponse:
        """CreateUsers creates a stream of new users and reports what was created."""
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")

    async def ChatSupport(
        self,
        request_iterator: AsyncIterator[user_service_pb2.ChatSupportRequest],
        context: grpc.aio.ServicerContext[
            user_service_pb2.ChatSupportRequest, user_service_pb2.ChatSupportResponse
        ],
    ) -> AsyncIterator[user_service_pb2.ChatSupportResponse]:
        """ChatSupport is a live chat: each message a participant sends reaches everyone in the
        room.
        """
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")
        # Never reached; the yield makes this an async generator, the shape of a streaming RPC.
        yield user_service_pb2.ChatSupportResponse()
