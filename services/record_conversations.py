"""The client that records the example services' conversations (``protokit record`` runs it).

One run per service, each against a fresh server, so the cases start from the sample data::

    python -m services.user --port 50052 &
    protokit record --server 127.0.0.1:50052 --vary created_at --vary users.created_at \\
        --vary sent_at -- python -m services.record_conversations user

The analytics fan-out case records several concurrent calls as one case::

    protokit record --server 127.0.0.1:50053 --together --vary metric.timestamp \\
        -- python -m services.record_conversations fan-out

The target comes from ``$PROTOKIT_RECORD_TARGET``; ``x-protokit-case`` names each case.
"""

from __future__ import annotations

import os
import queue
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import grpc
from acme.analytics.v1 import analytics_service_pb2 as an
from acme.analytics.v1 import analytics_service_pb2_grpc as an_grpc
from acme.inventory.v1 import inventory_service_pb2 as inv
from acme.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from acme.user.v1 import user_pb2, user_service_pb2
from acme.user.v1 import user_service_pb2_grpc as user_grpc
from google.protobuf import duration_pb2

TIMEOUT = 10.0


def _case(name: str) -> tuple[tuple[str, str | bytes], ...]:
    return (("x-protokit-case", name),)


def _quietly(call: Callable[[], Any]) -> None:
    """Make a call whose failure is the behaviour being recorded."""
    try:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    except grpc.RpcError:
        pass


class _Outbox:
    """A request stream the script feeds step by step (for bidirectional cases)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()

    def send(self, message: Any) -> None:
        self._queue.put(message)

    def close(self) -> None:
        self._queue.put(None)

    def __iter__(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not None:
            yield item


def inventory(channel: grpc.Channel) -> None:
    stub = inv_grpc.InventoryServiceStub(channel)
    for case, product in (("in-stock", "sku-1001"), ("out-of-stock", "sku-1002")):
        stub.GetProductAvailability(
            inv.GetProductAvailabilityRequest(product_id=product),
            timeout=TIMEOUT,
            metadata=_case(case),
        )
    for case, product in (("not-found", "sku-1009"), ("empty-id", "")):
        request = inv.GetProductAvailabilityRequest(product_id=product)
        _quietly(
            partial(stub.GetProductAvailability, request, timeout=TIMEOUT, metadata=_case(case))
        )


def user(channel: grpc.Channel) -> None:
    stub = user_grpc.UserServiceStub(channel)
    stub.GetUser(
        user_service_pb2.GetUserRequest(id="u-0001"), timeout=TIMEOUT, metadata=_case("found")
    )
    _quietly(
        lambda: stub.GetUser(
            user_service_pb2.GetUserRequest(id="u-9999"),
            timeout=TIMEOUT,
            metadata=_case("not-found"),
        )
    )
    list(
        stub.ListUsers(
            user_service_pb2.ListUsersRequest(page_size=2), timeout=TIMEOUT, metadata=_case("paged")
        )
    )
    list(
        stub.ListUsers(
            user_service_pb2.ListUsersRequest(role=user_pb2.ROLE_SUPPORT),
            timeout=TIMEOUT,
            metadata=_case("by-role"),
        )
    )
    _quietly(
        lambda: stub.CreateUsers(
            iter(
                [
                    user_service_pb2.CreateUsersRequest(
                        name="Katherine Johnson", email="kj@example.com"
                    ),
                    user_service_pb2.CreateUsersRequest(name="", email="not-an-email"),
                ]
            ),
            timeout=TIMEOUT,
            metadata=_case("all-or-nothing"),
        )
    )
    stub.CreateUsers(
        iter(
            [
                user_service_pb2.CreateUsersRequest(
                    name="Katherine Johnson", email="kj@example.com", roles=[user_pb2.ROLE_CUSTOMER]
                ),
                user_service_pb2.CreateUsersRequest(
                    name="Margaret Hamilton", email="mh@example.com", nickname="maggie"
                ),
            ]
        ),
        timeout=TIMEOUT,
        metadata=_case("created"),
    )
    stub.UpdateUser(
        iter(
            [
                user_service_pb2.UpdateUserRequest(id="u-0003", name="Alan M. Turing"),
                user_service_pb2.UpdateUserRequest(id="u-0002", email="not-an-email"),
                user_service_pb2.UpdateUserRequest(id="u-9999", name="Nobody"),
            ]
        ),
        timeout=TIMEOUT,
        metadata=_case("each-change-alone"),
    )
    outbox = _Outbox()
    replies = stub.ChatSupport(iter(outbox), timeout=TIMEOUT, metadata=_case("room"))
    outbox.send(user_service_pb2.ChatSupportRequest(room_id="r-1", user_id="u-0001", text="hello"))
    next(replies)
    outbox.send(
        user_service_pb2.ChatSupportRequest(room_id="r-1", user_id="u-0001", text="my order")
    )
    next(replies)
    outbox.close()
    list(replies)


def analytics(channel: grpc.Channel) -> None:
    stub = an_grpc.AnalyticsServiceStub(channel)
    page_view = an.Event.PageView(path="/home")
    events = [
        an.ReportEventRequest(event=an.Event(id="e-1", user_id="u-0001", page_view=page_view)),
        an.ReportEventRequest(event=an.Event(id="e-2", user_id="u-0002", page_view=page_view)),
        an.ReportEventRequest(event=an.Event(id="e-1", user_id="u-0001", page_view=page_view)),
        an.ReportEventRequest(
            event=an.Event(
                id="e-3",
                user_id="u-0001",
                purchase=an.Event.Purchase(order_id="o-1", amount_minor=1999, currency="EUR"),
            )
        ),
    ]
    updates = stub.SubscribeMetrics(
        an.SubscribeMetricsRequest(
            dashboard_id="d-1",
            types=[an.METRIC_TYPE_PAGE_VIEWS, an.METRIC_TYPE_PURCHASES],
        ),
        timeout=TIMEOUT,
        metadata=_case("current-values-first"),
    )
    next(updates)
    next(updates)
    updates.cancel()
    stub.ReportEvent(iter(events), timeout=TIMEOUT, metadata=_case("totals-with-duplicates"))
    outbox = _Outbox()
    findings = stub.AnalyzeSession(
        iter(outbox), timeout=TIMEOUT, metadata=_case("finding-per-action")
    )
    session = "s-1"
    for action, target in (("click", "buy"), ("error", "checkout"), ("scroll", "page")):
        outbox.send(
            an.AnalyzeSessionRequest(
                session_id=session, action=an.UserAction(action=action, target=target)
            )
        )
        next(findings)
    outbox.close()
    list(findings)


def fan_out(channel: grpc.Channel) -> None:
    """Two dashboards and a reporter as one case (``protokit record --together``).

    The fast dashboard reads each update as it comes; the slow one asks for at most one update
    per ``min_interval`` (2s), so the three purchases reported during its pause reach it as the
    newest total with ``dropped`` 2 (the two superseded updates). Each event is sent only after
    the fast dashboard saw the previous one, so the recorded order is the causal one.
    """
    stub = an_grpc.AnalyticsServiceStub(channel)
    purchases = [an.METRIC_TYPE_PURCHASES]
    fast = stub.SubscribeMetrics(
        an.SubscribeMetricsRequest(dashboard_id="fast", types=purchases),
        timeout=TIMEOUT,
        metadata=(*_case("fan-out-and-dropped"), ("x-protokit-call", "fast")),
    )
    next(fast)  # subscribed: the current value comes first
    pause = duration_pb2.Duration(seconds=2)
    slow = stub.SubscribeMetrics(
        an.SubscribeMetricsRequest(dashboard_id="slow", types=purchases, min_interval=pause),
        timeout=TIMEOUT,
        metadata=(("x-protokit-call", "slow"),),
    )
    next(slow)  # subscribed; its pause starts now
    outbox = _Outbox()
    report = stub.ReportEvent.future(
        iter(outbox), timeout=TIMEOUT, metadata=(("x-protokit-call", "report"),)
    )
    for i in range(1, 4):
        order = an.Event.Purchase(order_id=f"o-{i}", amount_minor=100 * i, currency="EUR")
        outbox.send(an.ReportEventRequest(event=an.Event(id=f"p-{i}", purchase=order)))
        next(fast)  # the fast dashboard sees each purchase as it is counted
    outbox.close()
    report.result()
    next(slow)  # after its pause: the newest total, and how many updates it missed
    fast.cancel()
    slow.cancel()


SCRIPTS: dict[str, Callable[[grpc.Channel], None]] = {
    "inventory": inventory,
    "user": user,
    "analytics": analytics,
    "fan-out": fan_out,
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in SCRIPTS:
        print(
            f"usage: python -m services.record_conversations {{{','.join(SCRIPTS)}}}",
            file=sys.stderr,
        )
        return 2
    with grpc.insecure_channel(os.environ["PROTOKIT_RECORD_TARGET"]) as channel:
        SCRIPTS[argv[0]](channel)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
