"""Live metrics: events in, running totals out, fanned out to every subscribed dashboard.

Concurrency: one lock guards the totals, the duplicate filter and the subscriber set, and an
update is queued to every subscriber while that lock is held, so each dashboard sees the values
of one metric in the order they were reached. Queuing never blocks: each subscription has a
bounded mailbox that drops its oldest update when full and reports how many it dropped in the
next update's ``dropped`` field. A dashboard that reads slowly therefore costs at most
``queue_capacity`` queued updates and never delays the others or the event producers; a metric
is a running total, so the newest update is all a late reader needs.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from acme.analytics.v1 import analytics_service_pb2

from services.common.errors import InvalidArgument, Violation
from services.common.mailbox import CloseReason, Mailbox, Overflow

_pb = analytics_service_pb2
#: Every metric the service tracks, in the order a new subscriber receives their current values.
METRIC_TYPES: tuple[int, ...] = (
    _pb.METRIC_TYPE_PAGE_VIEWS,
    _pb.METRIC_TYPE_ACTIVE_USERS,
    _pb.METRIC_TYPE_PURCHASES,
    _pb.METRIC_TYPE_ERRORS,
)
_KIND_METRIC = {
    "page_view": _pb.METRIC_TYPE_PAGE_VIEWS,
    "purchase": _pb.METRIC_TYPE_PURCHASES,
    "error": _pb.METRIC_TYPE_ERRORS,
}
_LABELS = {"window": "since-start"}


@dataclass(eq=False)
class Subscription:
    """One dashboard's stream of updates."""

    dashboard_id: str
    types: frozenset[int]
    mailbox: Mailbox[_pb.Metric]

    def wants(self, metric_type: int) -> bool:
        return not self.types or metric_type in self.types


@dataclass(frozen=True)
class HubStats:
    """Counters for load tests and operators."""

    subscribers: int
    events_accepted: int
    duplicates: int
    updates_queued: int
    updates_delivered: int
    updates_dropped: int


class MetricsHub:
    """Running totals of reported events and the dashboards subscribed to them."""

    def __init__(self, queue_capacity: int = 256, dedup_window: int = 100_000) -> None:
        self.queue_capacity = queue_capacity
        self._dedup_window = dedup_window
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._totals: dict[int, float] = dict.fromkeys(METRIC_TYPES, 0.0)
        self._users: set[str] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._subscriptions: set[Subscription] = set()
        self._closed = False
        self._accepted = 0
        self._duplicates = 0
        self._queued = 0
        # Deliveries and drops of subscriptions that have ended.
        self._past_delivered = 0
        self._past_dropped = 0

    def subscribe(
        self,
        dashboard_id: str,
        types: Iterable[int] = (),
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Subscription:
        """Register a dashboard; its mailbox starts with the current value of each metric."""
        wanted = frozenset(types)
        violations = []
        if not dashboard_id:
            violations.append(Violation("dashboard_id", "must not be empty"))
        unknown = sorted(wanted - set(METRIC_TYPES))
        if unknown:
            violations.append(Violation("types", f"unknown or unspecified metric types {unknown}"))
        if violations:
            raise InvalidArgument(violations)
        subscription = Subscription(
            dashboard_id,
            wanted,
            Mailbox(
                self.queue_capacity,
                Overflow.DROP_OLDEST,
                loop=loop,
                name=f"dashboard {dashboard_id!r}",
            ),
        )
        with self._lock:
            if self._closed:
                subscription.mailbox.close(CloseReason.SHUTDOWN)
                return subscription
            now = datetime.now(UTC)
            for metric_type in METRIC_TYPES:
                if subscription.wants(metric_type):
                    subscription.mailbox.put(self._metric_locked(metric_type, now))
                    self._queued += 1
            self._subscriptions.add(subscription)
            self._changed.notify_all()
        return subscription

    def unsubscribe(
        self, subscription: Subscription, reason: CloseReason = CloseReason.CLIENT_GONE
    ) -> None:
        """End a subscription (idempotent): its reader wakes and its queue is freed."""
        subscription.mailbox.close(reason)
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
                self._past_delivered += subscription.mailbox.delivered_total
                self._past_dropped += subscription.mailbox.dropped_total
                self._changed.notify_all()

    def record(self, event: _pb.Event) -> bool:
        """Count one event and publish what changed; False for a duplicate id."""
        kind = check_event(event)
        with self._lock:
            if event.id in self._seen:
                self._duplicates += 1
                return False
            self._seen[event.id] = None
            if len(self._seen) > self._dedup_window:
                self._seen.popitem(last=False)
            self._accepted += 1
            changed = [_KIND_METRIC[kind]]
            self._totals[_KIND_METRIC[kind]] += 1
            if event.user_id and event.user_id not in self._users:
                self._users.add(event.user_id)
                self._totals[_pb.METRIC_TYPE_ACTIVE_USERS] = len(self._users)
                changed.append(_pb.METRIC_TYPE_ACTIVE_USERS)
            now = datetime.now(UTC)
            for metric_type in changed:
                metric = self._metric_locked(metric_type, now)
                for subscription in self._subscriptions:
                    if subscription.wants(metric_type) and subscription.mailbox.put(metric):
                        self._queued += 1
        return True

    def value(self, metric_type: int) -> float:
        """The current total of one metric."""
        with self._lock:
            return self._totals[metric_type]

    def close_all(self) -> None:
        """End every subscription (server shutdown); later subscriptions end at once."""
        with self._lock:
            self._closed = True
            everyone = list(self._subscriptions)
        for subscription in everyone:
            self.unsubscribe(subscription, CloseReason.SHUTDOWN)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def wait_for_subscribers(self, count: int, timeout: float) -> bool:
        """Block until exactly ``count`` dashboards are subscribed; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: len(self._subscriptions) == count, timeout=timeout
            )

    def stats(self) -> HubStats:
        with self._lock:
            live = list(self._subscriptions)
            return HubStats(
                subscribers=len(live),
                events_accepted=self._accepted,
                duplicates=self._duplicates,
                updates_queued=self._queued,
                updates_delivered=self._past_delivered
                + sum(s.mailbox.delivered_total for s in live),
                updates_dropped=self._past_dropped + sum(s.mailbox.dropped_total for s in live),
            )

    def _metric_locked(self, metric_type: int, now: datetime) -> _pb.Metric:
        metric = _pb.Metric(type=_metric_type(metric_type), value=self._totals[metric_type])
        metric.labels.update(_LABELS)
        metric.timestamp.FromDatetime(now)
        return metric


def _metric_type(value: int) -> Any:
    """A metric type number as the generated constructor takes it (typed stubs differ)."""
    return value


def check_event(event: _pb.Event) -> str:
    """The event's kind; InvalidArgument names what is missing or wrong."""
    violations = []
    if not event.id:
        violations.append(Violation("event.id", "must not be empty"))
    kind: str | None = event.WhichOneof("kind")
    if kind is None:
        violations.append(Violation("event.kind", "set one of page_view, purchase or error"))
    elif kind == "purchase" and event.purchase.amount_minor < 0:
        violations.append(Violation("event.purchase.amount_minor", "must not be negative"))
    if violations or kind is None:
        raise InvalidArgument(violations)
    return kind
