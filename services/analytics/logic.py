"""What the sync and asyncio servicers share besides the hub and the analyzer."""

from __future__ import annotations

from collections.abc import Sequence

from acme.analytics.v1 import analytics_service_pb2

from services.common.errors import InvalidArgument, Violation
from services.common.mailbox import Delivery

_pb = analytics_service_pb2
MAX_MIN_INTERVAL_SECONDS = 3600.0


def min_interval_seconds(request: _pb.SubscribeMetricsRequest) -> float:
    """The requested pause between two updates; 0 (as fast as they come) when unset.

    During a pause updates keep queuing; afterwards the subscriber gets the newest value of
    each metric that changed (see :func:`coalesce`), not a backlog of stale ones.
    """
    if not request.HasField("min_interval"):
        return 0.0
    seconds = request.min_interval.ToNanoseconds() / 1e9
    if not 0 <= seconds <= MAX_MIN_INTERVAL_SECONDS:
        raise InvalidArgument(
            [
                Violation(
                    "min_interval",
                    f"must be between 0 and {MAX_MIN_INTERVAL_SECONDS:.0f} seconds",
                )
            ]
        )
    return seconds


def coalesce(deliveries: Sequence[Delivery[_pb.Metric]]) -> list[_pb.SubscribeMetricsResponse]:
    """The newest value of each metric among ``deliveries``, for a subscriber with a pause.

    Superseded values count as dropped, added to the first update returned (``dropped`` means
    "since the previous update"), so delivered plus dropped still adds up to everything queued.
    """
    newest: dict[int, _pb.Metric] = {}
    for delivery in deliveries:
        newest.pop(delivery.item.type, None)
        newest[delivery.item.type] = delivery.item  # re-inserted: ordered by last change
    dropped = sum(d.dropped for d in deliveries) + len(deliveries) - len(newest)
    responses = [_pb.SubscribeMetricsResponse(metric=metric) for metric in newest.values()]
    if responses:
        responses[0].dropped = dropped
    return responses


class EventTally:
    """Counts what a ReportEvent stream contributed."""

    def __init__(self) -> None:
        self.accepted = 0
        self.duplicates = 0
        self.received = 0

    def count(self, accepted: bool) -> None:
        self.received += 1
        if accepted:
            self.accepted += 1
        else:
            self.duplicates += 1

    def response(self) -> _pb.ReportEventResponse:
        return _pb.ReportEventResponse(accepted=self.accepted, duplicates=self.duplicates)


def locate(error: InvalidArgument, index: int, accepted: int) -> InvalidArgument:
    """The same violations, saying which message of the stream they are about."""
    return InvalidArgument(
        [
            Violation(
                v.field,
                f"{v.description} (message {index} of the stream;"
                f" the {accepted} accepted before it were recorded)",
            )
            for v in error.violations
        ]
    )
