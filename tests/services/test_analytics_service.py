"""AnalyticsService end to end: fan-out, cleanup, slow readers, intake and session analysis."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator

import grpc
import grpc.aio
import pytest
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc
from google.protobuf import duration_pb2, timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from service_harness import RPC_TIMEOUT, Served, run_async

from services.analytics.metrics import MetricsHub

_pb = analytics_service_pb2
PAGE_VIEWS = _pb.METRIC_TYPE_PAGE_VIEWS
ACTIVE_USERS = _pb.METRIC_TYPE_ACTIVE_USERS
PURCHASES = _pb.METRIC_TYPE_PURCHASES
ERRORS = _pb.METRIC_TYPE_ERRORS


def _stub(
    channel: Callable[[Served], grpc.Channel], served: Served
) -> analytics_service_pb2_grpc.AnalyticsServiceStub:
    return analytics_service_pb2_grpc.AnalyticsServiceStub(channel(served))


def _hub(served: Served) -> MetricsHub:
    hub: MetricsHub = served.state["hub"]
    return hub


def page_view(event_id: str, user_id: str = "") -> _pb.ReportEventRequest:
    return _pb.ReportEventRequest(
        event=_pb.Event(id=event_id, user_id=user_id, page_view=_pb.Event.PageView(path="/"))
    )


def purchase(event_id: str, user_id: str) -> _pb.ReportEventRequest:
    return _pb.ReportEventRequest(
        event=_pb.Event(
            id=event_id,
            user_id=user_id,
            purchase=_pb.Event.Purchase(order_id="o-1", amount_minor=1999, currency="EUR"),
        )
    )


def _values(responses: Iterable[_pb.SubscribeMetricsResponse]) -> list[tuple[int, float]]:
    return [(response.metric.type, response.metric.value) for response in responses]


def _take(
    call: Iterator[_pb.SubscribeMetricsResponse], count: int
) -> list[_pb.SubscribeMetricsResponse]:
    return [next(call) for _ in range(count)]


def _bad_fields(error: BaseException) -> list[str]:
    assert isinstance(error, grpc.Call)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    return [violation.field for violation in bad_request.field_violations]


def test_new_subscriber_first_receives_the_current_value_of_each_requested_metric(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    call = _stub(channel, analytics_server).SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="ops", types=[ERRORS, PAGE_VIEWS]),
        timeout=RPC_TIMEOUT,
    )

    first = _take(call, 2)

    assert _values(first) == [(PAGE_VIEWS, 0.0), (ERRORS, 0.0)]
    assert first[0].metric.timestamp.seconds > 0
    assert dict(first[0].metric.labels) == {"window": "since-start"}
    call.cancel()


def test_reported_events_reach_every_subscriber_in_order(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, analytics_server)
    calls = [
        stub.SubscribeMetrics(
            _pb.SubscribeMetricsRequest(dashboard_id=f"dash-{n}"), timeout=RPC_TIMEOUT
        )
        for n in range(3)
    ]
    for call in calls:
        assert len(_take(call, 4)) == 4  # the current values: each dashboard is now subscribed

    summary = stub.ReportEvent(
        iter([page_view("e1", "u1"), page_view("e2", "u2"), purchase("e3", "u1")]),
        timeout=RPC_TIMEOUT,
    )

    assert (summary.accepted, summary.duplicates) == (3, 0)
    for call in calls:
        updates = _take(call, 5)
        assert _values(updates) == [
            (PAGE_VIEWS, 1.0),
            (ACTIVE_USERS, 1.0),
            (PAGE_VIEWS, 2.0),
            (ACTIVE_USERS, 2.0),
            (PURCHASES, 1.0),
        ]
        assert [update.dropped for update in updates] == [0] * 5
        call.cancel()


def test_concurrent_report_streams_add_up_exactly_and_reach_subscribers_in_order(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, analytics_server)
    watch = stub.SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="wall", types=[PAGE_VIEWS]), timeout=RPC_TIMEOUT
    )
    received = _take(watch, 1)

    def events(stream: int) -> Iterator[_pb.ReportEventRequest]:
        return (page_view(f"s{stream}-e{n}") for n in range(300))

    reports = [stub.ReportEvent.future(events(stream), timeout=RPC_TIMEOUT) for stream in range(4)]
    while received[-1].metric.value < 1200:
        received.append(next(watch))

    assert [report.result(timeout=RPC_TIMEOUT).accepted for report in reports] == [300] * 4
    values = [update.metric.value for update in received]
    assert values == sorted(values)
    assert len(received) + sum(update.dropped for update in received) == 1201
    watch.cancel()


def test_report_event_counts_a_repeated_event_id_once(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    summary = _stub(channel, analytics_server).ReportEvent(
        iter([page_view("e1"), page_view("e1"), page_view("e2")]), timeout=RPC_TIMEOUT
    )

    assert (summary.accepted, summary.duplicates) == (2, 1)
    assert _hub(analytics_server).value(PAGE_VIEWS) == 2


def test_event_without_a_kind_is_invalid_argument_after_recording_the_ones_before(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        _stub(channel, analytics_server).ReportEvent(
            iter([page_view("e1"), _pb.ReportEventRequest(event=_pb.Event(id="e2"))]),
            timeout=RPC_TIMEOUT,
        )

    assert _bad_fields(raised.value) == ["event.kind"]
    assert _hub(analytics_server).value(PAGE_VIEWS) == 1


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (_pb.SubscribeMetricsRequest(dashboard_id=""), "dashboard_id"),
        (_pb.SubscribeMetricsRequest(dashboard_id="d", types=[0]), "types"),
        (
            _pb.SubscribeMetricsRequest(
                dashboard_id="d", min_interval=duration_pb2.Duration(seconds=-1)
            ),
            "min_interval",
        ),
    ],
    ids=["empty-dashboard", "unspecified-type", "negative-interval"],
)
def test_subscribe_with_a_bad_request_is_invalid_argument_naming_the_field(
    analytics_server: Served,
    channel: Callable[[Served], grpc.Channel],
    request_: _pb.SubscribeMetricsRequest,
    field: str,
) -> None:
    call = _stub(channel, analytics_server).SubscribeMetrics(request_, timeout=RPC_TIMEOUT)

    with pytest.raises(grpc.RpcError) as raised:
        next(call)

    assert _bad_fields(raised.value) == [field]


def test_subscriber_with_a_pause_gets_the_newest_value_and_the_skipped_count(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    stub = _stub(channel, analytics_server)
    watch = stub.SubscribeMetrics(
        _pb.SubscribeMetricsRequest(
            dashboard_id="calm",
            types=[PAGE_VIEWS],
            min_interval=duration_pb2.Duration(nanos=300_000_000),
        ),
        timeout=RPC_TIMEOUT,
    )
    received = _take(watch, 1)  # the current value goes out at once; then a pause begins

    summary = stub.ReportEvent((page_view(f"e{n}") for n in range(100)), timeout=RPC_TIMEOUT)
    while received[-1].metric.value < 100:
        received.append(next(watch))

    assert summary.accepted == 100
    assert len(received) + sum(update.dropped for update in received) == 101
    assert sum(update.dropped for update in received) > 0  # values within a pause were merged
    watch.cancel()


def test_subscription_past_its_deadline_ends_deadline_exceeded_and_is_removed(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    call = _stub(channel, analytics_server).SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="short-lived"), timeout=0.5
    )
    _take(call, 4)

    with pytest.raises(grpc.RpcError) as raised:
        next(call)  # no events come, so the deadline passes while the stream waits

    assert isinstance(raised.value, grpc.Call)
    assert raised.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED
    assert _hub(analytics_server).wait_for_subscribers(0, timeout=RPC_TIMEOUT)


def test_sync_client_cancelling_its_subscription_removes_it(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    hub = _hub(analytics_server)
    call = _stub(channel, analytics_server).SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="wall"), timeout=RPC_TIMEOUT
    )
    _take(call, 4)
    assert hub.subscriber_count == 1

    call.cancel()

    assert hub.wait_for_subscribers(0, timeout=RPC_TIMEOUT)


def test_asyncio_client_cancelling_its_subscription_task_removes_it(
    analytics_server: Served,
) -> None:
    hub = _hub(analytics_server)

    async def scenario() -> bool:
        async with grpc.aio.insecure_channel(analytics_server.target) as aio_channel:
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(aio_channel)
            subscribed = asyncio.Event()

            async def watch() -> None:
                call = stub.SubscribeMetrics(
                    _pb.SubscribeMetricsRequest(dashboard_id="tv"), timeout=RPC_TIMEOUT
                )
                seen = 0
                async for _ in call:
                    seen += 1
                    if seen == 4:
                        subscribed.set()

            task = asyncio.create_task(watch())
            await subscribed.wait()
            assert hub.subscriber_count == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await asyncio.to_thread(hub.wait_for_subscribers, 0, RPC_TIMEOUT)

    assert run_async(scenario())


def test_slow_subscriber_drops_its_oldest_updates_without_stalling_the_others(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    # The hub of this fixture queues at most 8 updates per subscriber.
    events = 4000
    stub = _stub(channel, analytics_server)
    # No BDP probing: the slow reader's window stays small, so the server's writes to it block
    # and its queue overflows while it is not reading.
    slow_channel = grpc.insecure_channel(
        analytics_server.target, options=[("grpc.http2.bdp_probe", 0)]
    )
    slow = analytics_service_pb2_grpc.AnalyticsServiceStub(slow_channel).SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="slow", types=[PAGE_VIEWS]), timeout=30
    )
    fast = stub.SubscribeMetrics(
        _pb.SubscribeMetricsRequest(dashboard_id="fast", types=[PAGE_VIEWS]), timeout=30
    )
    slow_received = _take(slow, 1)
    fast_received = _take(fast, 1)

    def read_fast() -> None:
        while fast_received[-1].metric.value < events:
            fast_received.append(next(fast))

    fast_reader = threading.Thread(target=read_fast)
    fast_reader.start()
    summary = stub.ReportEvent((page_view(f"e{n}") for n in range(events)), timeout=RPC_TIMEOUT)
    fast_reader.join(timeout=RPC_TIMEOUT)
    assert not fast_reader.is_alive()
    while slow_received[-1].metric.value < events:
        slow_received.append(next(slow))

    assert summary.accepted == events
    for received in (fast_received, slow_received):
        assert received[-1].metric.value == events
        # Every update is either delivered or counted as dropped in the next delivered one.
        assert len(received) + sum(update.dropped for update in received) == events + 1
    assert sum(update.dropped for update in slow_received) > 0
    slow.cancel()
    fast.cancel()
    slow_channel.close()
    assert _hub(analytics_server).wait_for_subscribers(0, timeout=RPC_TIMEOUT)


def _action(session: str, action: str, target: str, at: float) -> _pb.AnalyzeSessionRequest:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(int(at * 1e9))
    return _pb.AnalyzeSessionRequest(
        session_id=session, action=_pb.UserAction(action=action, target=target, at=stamp)
    )


SESSION = [
    _action("s1", "click", "#buy", 100.0),
    _action("s1", "click", "#buy", 100.2),
    _action("s2", "scroll", "body", 100.3),
    _action("s1", "click", "#buy", 100.4),
    _action("s1", "scroll", "body", 140.0),
    _action("s1", "error", "checkout", 141.0),
]
EXPECTED = [
    ("s1", "normal", 1),
    ("s1", "normal", 2),
    ("s2", "normal", 1),
    ("s1", "rage_click", 3),
    ("s1", "long_pause", 4),
    ("s1", "error_seen", 5),
]


def test_analyze_session_answers_each_action_as_it_arrives(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    outgoing: list[_pb.AnalyzeSessionRequest] = []
    ready = threading.Semaphore(0)

    def requests() -> Iterator[_pb.AnalyzeSessionRequest]:
        for request in SESSION:
            ready.acquire()  # the next action goes out only after the previous answer came
            outgoing.append(request)
            yield request

    call = _stub(channel, analytics_server).AnalyzeSession(requests(), timeout=RPC_TIMEOUT)
    answers = []
    ready.release()
    for answer in call:
        answers.append(answer)
        ready.release()

    assert [(a.session_id, a.insight, a.actions_seen) for a in answers] == EXPECTED
    assert answers[3].confidence == pytest.approx(0.8)
    assert len(outgoing) == len(SESSION)


def test_analyze_session_without_a_session_id_is_invalid_argument(
    analytics_server: Served, channel: Callable[[Served], grpc.Channel]
) -> None:
    call = _stub(channel, analytics_server).AnalyzeSession(
        iter([_action("", "click", "#x", 1.0)]), timeout=RPC_TIMEOUT
    )

    with pytest.raises(grpc.RpcError) as raised:
        list(call)

    assert _bad_fields(raised.value) == ["session_id"]


def test_asyncio_client_past_its_deadline_gets_deadline_exceeded_and_is_removed(
    analytics_server: Served,
) -> None:
    async def scenario() -> grpc.StatusCode:
        async with grpc.aio.insecure_channel(analytics_server.target) as aio_channel:
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(aio_channel)
            call = stub.SubscribeMetrics(
                _pb.SubscribeMetricsRequest(dashboard_id="aio", types=[ERRORS]), timeout=0.5
            )
            assert _values([await call.read()]) == [(ERRORS, 0.0)]
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await call.read()
            return raised.value.code()

    assert run_async(scenario()) is grpc.StatusCode.DEADLINE_EXCEEDED
    assert _hub(analytics_server).wait_for_subscribers(0, timeout=RPC_TIMEOUT)


def test_asyncio_client_calls_every_analytics_rpc(analytics_server: Served) -> None:
    async def scenario() -> None:
        async with grpc.aio.insecure_channel(analytics_server.target) as aio_channel:
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(aio_channel)
            watch = stub.SubscribeMetrics(
                _pb.SubscribeMetricsRequest(dashboard_id="aio", types=[PURCHASES]),
                timeout=RPC_TIMEOUT,
            )
            assert _values([await watch.read()]) == [(PURCHASES, 0.0)]

            report = stub.ReportEvent(timeout=RPC_TIMEOUT)
            await report.write(purchase("p1", "u1"))
            await report.write(purchase("p1", "u1"))
            await report.write(purchase("p2", "u2"))
            await report.done_writing()
            summary = await report
            assert (summary.accepted, summary.duplicates) == (2, 1)
            assert _values([await watch.read(), await watch.read()]) == [
                (PURCHASES, 1.0),
                (PURCHASES, 2.0),
            ]
            watch.cancel()

            analyze = stub.AnalyzeSession(timeout=RPC_TIMEOUT)
            answers = []
            for request in SESSION:
                await analyze.write(request)
                answer = await analyze.read()
                answers.append((answer.session_id, answer.insight, answer.actions_seen))
            await analyze.done_writing()
            assert await analyze.read() is grpc.aio.EOF
            assert answers == EXPECTED

    run_async(scenario())
    assert _hub(analytics_server).wait_for_subscribers(0, timeout=RPC_TIMEOUT)
