"""MetricsHub under concurrency: exact totals, ordered updates, no lost subscriptions."""

from __future__ import annotations

import threading

from acme.analytics.v1 import analytics_service_pb2

from services.analytics.metrics import MetricsHub
from services.common.mailbox import MailboxClosed

_pb = analytics_service_pb2
THREADS = 8
EVENTS_PER_THREAD = 2000


def _page_view(event_id: str, user_id: str) -> _pb.Event:
    return _pb.Event(id=event_id, user_id=user_id, page_view=_pb.Event.PageView(path="/"))


def test_concurrent_reporters_and_subscribers_leave_exact_totals_and_no_subscription() -> None:
    hub = MetricsHub(queue_capacity=16)
    watcher = hub.subscribe("watcher", [_pb.METRIC_TYPE_PAGE_VIEWS])
    start = threading.Barrier(THREADS * 2)

    def report(worker: int) -> None:
        start.wait()
        for number in range(EVENTS_PER_THREAD):
            hub.record(_page_view(f"{worker}-{number}", f"user-{number % 50}"))
            hub.record(_page_view(f"{worker}-{number}", "repeat"))  # a duplicate id

    def churn(worker: int) -> None:
        start.wait()
        for number in range(200):
            subscription = hub.subscribe(f"churn-{worker}-{number}")
            hub.unsubscribe(subscription)

    threads = [threading.Thread(target=report, args=(n,)) for n in range(THREADS)]
    threads += [threading.Thread(target=churn, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    total = THREADS * EVENTS_PER_THREAD
    assert hub.value(_pb.METRIC_TYPE_PAGE_VIEWS) == total
    assert hub.value(_pb.METRIC_TYPE_ACTIVE_USERS) == 50
    stats = hub.stats()
    assert (stats.events_accepted, stats.duplicates) == (total, total)
    assert stats.subscribers == 1
    values = []
    dropped = 0
    while (delivery := watcher.mailbox.get(timeout=0)) is not None:
        values.append(delivery.item.value)
        dropped += delivery.dropped
    # The watcher saw the snapshot and then every total it was handed in increasing order,
    # and every update it did not see was counted as dropped.
    assert values == sorted(values) and values[-1] == total
    assert len(values) + dropped == total + 1
    hub.close_all()
    assert hub.subscriber_count == 0


def test_subscribing_after_shutdown_ends_at_once() -> None:
    hub = MetricsHub()
    hub.close_all()

    subscription = hub.subscribe("late")

    try:
        subscription.mailbox.get(timeout=0)
    except MailboxClosed as closed:
        assert closed.reason.value == "shutdown"
    else:
        raise AssertionError("a subscription after shutdown should be closed")
    assert hub.subscriber_count == 0
