"""Several concurrent calls in one case: the analytics fan-out case replays green on both server
flavours, and a changed implementation fails at the exact call, step and field."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from protokit.conversations.harness import Case, ConversationSuite, LoopThread
from protokit.conversations.model import Conversation
from protokit.conversations.replay import Mismatch, replay
from protokit.evolution.fixtures import DynamicSchema
from services.analytics import logic, servicer, servicer_aio
from services.analytics.__main__ import serve, serve_aio
from services.analytics.metrics import MetricsHub, Subscription
from services.common.config import ServerConfig
from tests.conversations.conftest import ROOT, recorded

REL = "acme.analytics.v1/AnalyticsService/SubscribeMetrics/fan-out-and-dropped.json"
FLAVOURS = ["sync", "aio"]


@pytest.fixture(scope="module")
def suite() -> ConversationSuite:
    return ConversationSuite(ROOT)


@pytest.fixture
def case(schema: DynamicSchema) -> Conversation:
    return recorded(schema, REL)


@contextlib.contextmanager
def analytics(flavour: str, hub: MetricsHub | None = None) -> Iterator[grpc.Channel]:
    """The real AnalyticsService on 127.0.0.1 (sync or asyncio server), with ``hub``."""
    if flavour == "sync":
        running = serve(ServerConfig(port=0), hub)
        try:
            with grpc.insecure_channel(running.target) as channel:
                yield channel
        finally:
            running.shutdown(grace=0)
        return
    loop = LoopThread()
    try:
        started = loop.run(serve_aio(ServerConfig(port=0), hub))
        try:
            with grpc.insecure_channel(started.target) as channel:
                yield channel
        finally:
            loop.run(started.shutdown(grace=0))
    finally:
        loop.close()


def _step(case: Conversation, call: str, kind: str, number: int) -> tuple[int, int]:
    """(1-based position, line) of a call's step in the file."""
    step = next(
        s for s in case.exchange if s.call == call and s.kind.value == kind and s.number == number
    )
    return step.position + 1, step.line


def test_the_case_holds_three_calls_in_file_order(case: Conversation) -> None:
    assert [c.name for c in case.calls] == ["fast", "slow", "report"]
    assert [s.call for s in case.exchange][:5] == ["fast", "fast", "slow", "slow", "report"]
    assert case.multi


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_fan_out_and_dropped_replay_green_through_the_generated_harness(
    suite: ConversationSuite, flavour: str
) -> None:
    rel = f"compat/conversations/{REL}"
    assert suite.run(Case("current", rel, "acme.analytics.v1", flavour)) is None


def _miscount(real: object) -> object:
    def coalesce(deliveries: list[logic.Delivery[object]]) -> list[object]:
        responses = real(deliveries)  # type: ignore[operator]
        if responses and responses[0].dropped:
            responses[0].dropped -= 1
        return list(responses)

    return coalesce


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_miscounted_dropped_fails_at_the_slow_dashboards_second_update(
    case: Conversation, schema: DynamicSchema, flavour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = servicer if flavour == "sync" else servicer_aio
    monkeypatch.setattr(module, "coalesce", _miscount(logic.coalesce))
    with analytics(flavour) as channel:
        mismatch = replay(case, channel, schema)
    assert mismatch is not None
    position, line = _step(case, "slow", "receive", 2)
    assert (mismatch.call, mismatch.step, mismatch.line) == ("slow", position, line)
    assert mismatch.problem == "call 'slow': receive #2: field dropped: expected '2', got '1'"
    assert str(mismatch) == f"{REL}:{line}: {mismatch.problem}"


class _StarvingHub(MetricsHub):
    """Feeds one dashboard its current values and then nothing more."""

    def __init__(self, starved: str) -> None:
        super().__init__()
        self.starved = starved

    def subscribe(self, dashboard_id: str, *args: object, **kwargs: object) -> Subscription:
        subscription = super().subscribe(dashboard_id, *args, **kwargs)  # type: ignore[arg-type]
        if dashboard_id == self.starved:
            subscription.mailbox.put = lambda item: True  # type: ignore[method-assign]
        return subscription


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_a_subscriber_that_is_not_fed_fails_at_its_first_missing_update(
    case: Conversation, schema: DynamicSchema, flavour: str
) -> None:
    quick = replace(case, timeout=2.0)  # the missing update fails by the case's deadline
    with analytics(flavour, _StarvingHub("fast")) as channel:
        mismatch = replay(quick, channel, schema)
    assert mismatch is not None
    position, line = _step(case, "fast", "receive", 2)
    assert (mismatch.call, mismatch.step, mismatch.line) == ("fast", position, line)
    assert mismatch.problem.startswith(
        "call 'fast': receive #2: the stream ended after 1 message(s) with DEADLINE_EXCEEDED"
    )


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_slow_dashboard_not_fed_is_named_not_the_fast_one(
    case: Conversation, schema: DynamicSchema, flavour: str
) -> None:
    quick = replace(case, timeout=4.0)
    with analytics(flavour, _StarvingHub("slow")) as channel:
        mismatch = replay(quick, channel, schema)
    assert mismatch is not None
    assert mismatch.call == "slow"
    assert mismatch.step == _step(case, "slow", "receive", 2)[0]
    assert "call 'slow': receive #2: the stream ended after 1 message(s)" in mismatch.problem


def test_the_unchanged_service_passes_the_same_direct_replay(
    case: Conversation, schema: DynamicSchema
) -> None:
    with analytics("sync") as channel:
        result: Mismatch | None = replay(case, channel, schema)
    assert result is None


def test_matchers_belong_to_their_call(case: Conversation, schema: DynamicSchema) -> None:
    fast, *others = case.calls
    strict_fast = replace(case, calls=(replace(fast, matchers=()), *others))
    with analytics("sync") as channel:
        mismatch = replay(strict_fast, channel, schema)
    assert mismatch is not None
    assert (mismatch.call, mismatch.step) == ("fast", _step(case, "fast", "receive", 1)[0])
    assert mismatch.problem.startswith("call 'fast': receive #1: field metric.timestamp: expected")
