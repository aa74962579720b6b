"""A consumer of the generated stubs: typed sync and asyncio clients and servicers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc
from acme.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc
from acme.user.v1 import user_pb2, user_service_pb2, user_service_pb2_grpc


def availability(channel: grpc.Channel, product_id: str) -> int:
    stub = inventory_service_pb2_grpc.InventoryServiceStub(channel)
    request = inventory_service_pb2.GetProductAvailabilityRequest(product_id=product_id)
    reply: inventory_service_pb2.GetProductAvailabilityResponse = stub.GetProductAvailability(
        request, timeout=1.0
    )
    return reply.quantity


def list_names(channel: grpc.Channel) -> list[str]:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    pages: Iterator[user_service_pb2.ListUsersResponse] = stub.ListUsers(
        user_service_pb2.ListUsersRequest(page_size=10, role=user_pb2.ROLE_ADMIN)
    )
    return [user.name for page in pages for user in page.users]


async def get_user_aio(channel: grpc.aio.Channel, user_id: str) -> str:
    stub = user_service_pb2_grpc.UserServiceStub(channel)
    reply = await stub.GetUser(user_service_pb2.GetUserRequest(id=user_id))
    nickname: str = reply.user.nickname
    return nickname


async def metrics_aio(channel: grpc.aio.Channel) -> list[float]:
    stub = analytics_service_pb2_grpc.AnalyticsServiceStub(channel)
    values: list[float] = []
    async for update in stub.SubscribeMetrics(
        analytics_service_pb2.SubscribeMetricsRequest(dashboard_id="d")
    ):
        values.append(update.metric.value)
    return values


class Users(user_service_pb2_grpc.UserServiceServicer):
    def GetUser(
        self, request: user_service_pb2.GetUserRequest, context: grpc.ServicerContext
    ) -> user_service_pb2.GetUserResponse:
        return user_service_pb2.GetUserResponse(user=user_pb2.User(id=request.id))

    def ListUsers(
        self, request: user_service_pb2.ListUsersRequest, context: grpc.ServicerContext
    ) -> Iterator[user_service_pb2.ListUsersResponse]:
        yield user_service_pb2.ListUsersResponse(page=0)

    def UpdateUser(
        self,
        request_iterator: Iterator[user_service_pb2.UpdateUserRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.UpdateUserResponse:
        return user_service_pb2.UpdateUserResponse(updated_count=sum(1 for _ in request_iterator))

    def CreateUsers(
        self,
        request_iterator: Iterator[user_service_pb2.CreateUsersRequest],
        context: grpc.ServicerContext,
    ) -> user_service_pb2.CreateUsersResponse:
        return user_service_pb2.CreateUsersResponse()

    def ChatSupport(
        self,
        request_iterator: Iterator[user_service_pb2.ChatSupportRequest],
        context: grpc.ServicerContext,
    ) -> Iterator[user_service_pb2.ChatSupportResponse]:
        for message in request_iterator:
            yield user_service_pb2.ChatSupportResponse(room_id=message.room_id, text=message.text)


class AioEvents(analytics_service_pb2_grpc.AnalyticsServiceServicer):
    async def ReportEvent(
        self,
        request_iterator: AsyncIterator[analytics_service_pb2.ReportEventRequest],
        context: grpc.aio.ServicerContext[
            analytics_service_pb2.ReportEventRequest, analytics_service_pb2.ReportEventResponse
        ],
    ) -> analytics_service_pb2.ReportEventResponse:
        accepted = 0
        async for _ in request_iterator:
            accepted += 1
        return analytics_service_pb2.ReportEventResponse(accepted=accepted)


def register(server: grpc.Server) -> None:
    user_service_pb2_grpc.add_UserServiceServicer_to_server(Users(), server)
