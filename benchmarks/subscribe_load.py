"""Load test of AnalyticsService.SubscribeMetrics: many dashboards, random disconnects, no leaks.

Runs a real AnalyticsService on 127.0.0.1 (asyncio server by default, ``--server sync`` for the
thread-pool one) in this process and a client process that holds ``--streams`` concurrent
SubscribeMetrics streams for ``--duration`` seconds while reporters feed events through
ReportEvent. Each dashboard stream ends at random, by cancelling, by letting its deadline pass,
or because its whole connection is dropped, and then subscribes again; a share of dashboards
reads slowly, so their bounded queues drop their oldest updates.

Afterwards it reports the updates delivered, the subscriptions left in the server's store once
every client is gone (leaked: must be 0), and the peak resident memory of both processes.

    python -m benchmarks.subscribe_load --streams 200 --duration 30   # from the repository root

Everything stays on 127.0.0.1 and stops by itself; it is not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
from acme.analytics.v1 import analytics_service_pb2, analytics_service_pb2_grpc

from services.analytics import __main__ as analytics_main
from services.analytics.metrics import MetricsHub
from services.common.config import ServerConfig

REPO = Path(__file__).resolve().parents[1]

_pb = analytics_service_pb2
METRIC_TYPES = [
    _pb.METRIC_TYPE_PAGE_VIEWS,
    _pb.METRIC_TYPE_ACTIVE_USERS,
    _pb.METRIC_TYPE_PURCHASES,
    _pb.METRIC_TYPE_ERRORS,
]
SLOW_LINK = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)]
#: Statuses a dashboard expects when it ends its own stream or loses its connection.
EXPECTED_ENDINGS = {
    grpc.StatusCode.CANCELLED,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.UNAVAILABLE,
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="concurrent dashboards")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--server", choices=["aio", "sync"], default="aio")
    parser.add_argument("--channels", type=int, default=16, help="client connections")
    parser.add_argument("--event-rate", type=float, default=40.0, help="events per second")
    parser.add_argument("--reporters", type=int, default=4, help="concurrent ReportEvent streams")
    parser.add_argument(
        "--mean-lifetime", type=float, default=5.0, help="mean seconds a subscription lives"
    )
    parser.add_argument(
        "--slow-share", type=float, default=0.1, help="share of dashboards that read slowly"
    )
    parser.add_argument(
        "--slow-delay", type=float, default=0.2, help="seconds a slow dashboard waits per read"
    )
    parser.add_argument(
        "--channel-drop-every", type=float, default=3.0, help="seconds between dropped connections"
    )
    parser.add_argument("--queue", type=int, default=64, help="server queue per subscriber")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--client-of", metavar="TARGET", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# The client process: dashboards, reporters and connection drops.


class Clients:
    def __init__(self, args: argparse.Namespace, target: str) -> None:
        self.args = args
        self.target = target
        self.channels: list[grpc.aio.Channel] = []
        self.stats: Counter[str] = Counter()
        self.stop_at = 0.0

    async def run(self) -> dict[str, Any]:
        # Channels belong to the running event loop, so they are made here, not in __init__.
        self.channels = [grpc.aio.insecure_channel(self.target) for _ in range(self.args.channels)]
        # Slow dashboards sit behind small receive windows (a phone on a poor link), so the
        # server soon cannot hand them more and their bounded queues start dropping.
        self.slow_channels = [
            grpc.aio.insecure_channel(self.target, options=SLOW_LINK) for _ in range(2)
        ]
        loop = asyncio.get_running_loop()
        self.stop_at = loop.time() + self.args.duration
        tasks = [asyncio.create_task(self.dashboard(i)) for i in range(self.args.streams)]
        tasks += [asyncio.create_task(self.reporter(i)) for i in range(self.args.reporters)]
        tasks.append(asyncio.create_task(self.drop_connections()))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                self.stats[f"task_failed:{type(result).__name__}"] += 1
        for channel in [*self.channels, *self.slow_channels]:
            await channel.close()
        self.stats["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return dict(self.stats)

    def remaining(self) -> float:
        return self.stop_at - asyncio.get_running_loop().time()

    async def dashboard(self, number: int) -> None:
        rng = random.Random(self.args.seed * 100_003 + number)
        slow = number < self.args.streams * self.args.slow_share
        while self.remaining() > 0:
            types = rng.sample(METRIC_TYPES, k=rng.randint(0, len(METRIC_TYPES)))
            lifetime = min(rng.expovariate(1 / self.args.mean_lifetime), self.remaining())
            by_deadline = rng.random() < 0.5
            pool = self.slow_channels if slow else self.channels
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(pool[number % len(pool)])
            call = stub.SubscribeMetrics(
                _pb.SubscribeMetricsRequest(dashboard_id=f"dash-{number}", types=types),
                timeout=max(lifetime, 0.05) if by_deadline else self.args.duration + 60,
            )
            self.stats["subscriptions"] += 1
            try:
                if by_deadline:
                    await self.read(call, slow)
                else:
                    try:
                        await asyncio.wait_for(self.read(call, slow), max(lifetime, 0.05))
                    except TimeoutError:
                        call.cancel()
                        self.stats["ended_by_cancel"] += 1
            except asyncio.CancelledError:
                # grpc.aio raises CancelledError from a call whose channel was closed under it
                # (drop_connections); nothing here cancels the dashboard tasks themselves.
                self.stats["ended_by_connection_drop"] += 1
            except grpc.aio.AioRpcError as error:
                code = error.code()
                self.stats[f"ended_by_status:{code.name}"] += 1
                if code not in EXPECTED_ENDINGS:
                    self.stats["unexpected_errors"] += 1
                if code is grpc.StatusCode.UNAVAILABLE:
                    await asyncio.sleep(0.05)  # the connection is being replaced: back off

    async def read(self, call: Any, slow: bool) -> None:
        async for response in call:
            self.stats["updates_delivered"] += 1
            self.stats["updates_dropped_reported"] += response.dropped
            if slow:
                self.stats["updates_delivered_to_slow"] += 1
                await asyncio.sleep(self.args.slow_delay)

    async def reporter(self, number: int) -> None:
        interval = self.args.reporters / self.args.event_rate
        rng = random.Random(-number - 1)
        sent = 0
        while self.remaining() > 0:
            stub = analytics_service_pb2_grpc.AnalyticsServiceStub(self.channels[number])
            call = stub.ReportEvent(timeout=self.args.duration + 60)
            try:
                for _ in range(200):
                    if self.remaining() <= 0:
                        break
                    await call.write(_pb.ReportEventRequest(event=self.event(rng, number, sent)))
                    sent += 1
                    await asyncio.sleep(interval)
                await call.done_writing()
                summary = await call
            except (grpc.aio.AioRpcError, asyncio.InvalidStateError) as error:
                self.stats[f"report_failed:{type(error).__name__}"] += 1
                self.stats["unexpected_errors"] += 1
                await asyncio.sleep(0.1)
                continue
            self.stats["events_accepted"] += summary.accepted
        self.stats["events_sent"] += sent

    @staticmethod
    def event(rng: random.Random, reporter: int, number: int) -> _pb.Event:
        event = _pb.Event(id=f"r{reporter}-{number}", user_id=f"user-{rng.randrange(1000)}")
        kind = rng.choice(["page_view", "page_view", "page_view", "purchase", "error"])
        if kind == "page_view":
            event.page_view.path = "/"
        elif kind == "purchase":
            event.purchase.amount_minor = 1999
        else:
            event.error.code = "E_TIMEOUT"
        return event

    async def drop_connections(self) -> None:
        """Now and then close one connection abruptly, like a dashboard losing its network."""
        rng = random.Random(self.args.seed)
        while self.remaining() > self.args.channel_drop_every:
            await asyncio.sleep(self.args.channel_drop_every)
            # Reporters use the first connections; drop one of the dashboards' only.
            index = rng.randrange(self.args.reporters, len(self.channels))
            old = self.channels[index]
            self.channels[index] = grpc.aio.insecure_channel(self.target)
            await old.close(grace=None)
            self.stats["connections_dropped"] += 1


# ---------------------------------------------------------------------------------------------
# The server process: a real AnalyticsService, memory sampling, the leak check.


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Sampler:
    """Samples this process's RSS and the hub's subscriber count every quarter second."""

    def __init__(self, subscribers: Callable[[], int]) -> None:
        self._subscribers = subscribers
        self.start_rss = _rss_kib()
        self.peak_rss = self.start_rss
        self.peak_subscribers = 0
        self.subscriber_samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self.peak_rss = max(self.peak_rss, _rss_kib())
            count = self._subscribers()
            self.subscriber_samples.append(count)
            self.peak_subscribers = max(self.peak_subscribers, count)


def _client_command(args: argparse.Namespace, target: str) -> list[str]:
    forwarded = [
        f"--{name.replace('_', '-')}={value}"
        for name, value in vars(args).items()
        if name not in ("json", "client_of", "server") and value is not None
    ]
    return [sys.executable, "-m", "benchmarks.subscribe_load", *forwarded, f"--client-of={target}"]


def run_load(args: argparse.Namespace) -> dict[str, Any]:
    hub = MetricsHub(queue_capacity=args.queue)
    config = ServerConfig(port=0, grace=5.0, max_workers=args.streams + args.reporters + 32)
    started = time.monotonic()
    if args.server == "sync":
        running = analytics_main.serve(config, hub=hub)
        with Sampler(lambda: hub.subscriber_count) as sampler:
            client = subprocess.run(
                _client_command(args, running.target),
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=args.duration + 120,
                check=False,
            )
            settled = hub.wait_for_subscribers(0, timeout=10)
        running.shutdown(grace=5)
    else:
        loop_thread_result: dict[str, Any] = {}

        async def drive() -> None:
            running = await analytics_main.serve_aio(config, hub=hub)
            with Sampler(lambda: hub.subscriber_count) as sampler:
                process = await asyncio.create_subprocess_exec(
                    *_client_command(args, running.target),
                    cwd=REPO,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE,
                )
                out, err = await asyncio.wait_for(process.communicate(), args.duration + 120)
                settled = await asyncio.to_thread(hub.wait_for_subscribers, 0, 10)
            await running.shutdown(grace=5)
            loop_thread_result.update(
                sampler=sampler,
                client=subprocess.CompletedProcess(
                    [], process.returncode or 0, out.decode(), err.decode()
                ),
                settled=settled,
            )

        asyncio.run(drive())
        sampler = loop_thread_result["sampler"]
        client = loop_thread_result["client"]
        settled = loop_thread_result["settled"]
    if client.returncode != 0:
        raise SystemExit(f"the client process failed ({client.returncode}):\n{client.stderr}")
    clients = json.loads(client.stdout)
    stats = hub.stats()
    return {
        "server": args.server,
        "streams": args.streams,
        "duration_s": args.duration,
        "wall_s": round(time.monotonic() - started, 1),
        "client": clients,
        "server_stats": {
            "events_accepted": stats.events_accepted,
            "updates_queued": stats.updates_queued,
            "updates_delivered": stats.updates_delivered,
            "updates_dropped": stats.updates_dropped,
            "peak_concurrent_subscriptions": sampler.peak_subscribers,
            "median_concurrent_subscriptions": _median(sampler.subscriber_samples),
        },
        "subscriptions_leaked": hub.subscriber_count,
        "leak_check_settled": settled,
        "server_rss_mib": {
            "start": round(sampler.start_rss / 1024, 1),
            "peak": round(max(sampler.peak_rss, _rss_kib()) / 1024, 1),
            "end": round(_rss_kib() / 1024, 1),
        },
        "client_peak_rss_mib": round(clients.get("peak_rss_kib", 0) / 1024, 1),
    }


def _median(samples: list[int]) -> int:
    """The median of the samples taken while the load ran (the idle tail is left out)."""
    busy = [sample for sample in samples if sample > 0]
    return sorted(busy)[len(busy) // 2] if busy else 0


def render(report: dict[str, Any]) -> str:
    client = report["client"]
    server = report["server_stats"]
    endings = ", ".join(
        f"{key.split(':', 1)[1].lower()} {value}"
        for key, value in sorted(client.items())
        if key.startswith("ended_by_status:")
    )
    return "\n".join(
        [
            f"SubscribeMetrics load: {report['streams']} concurrent streams for"
            f" {report['duration_s']:.0f} s, {report['server']} server on 127.0.0.1"
            f" (wall {report['wall_s']} s)",
            f"  subscriptions opened     {client.get('subscriptions', 0)}"
            f" (concurrent on the server: median {server['median_concurrent_subscriptions']},"
            f" peak {server['peak_concurrent_subscriptions']})",
            f"  disconnects              cancelled {client.get('ended_by_cancel', 0)};"
            f" ended by status: {endings or 'none'};"
            f" {client.get('connections_dropped', 0)} connections dropped,"
            f" ending {client.get('ended_by_connection_drop', 0)} streams",
            f"  unexpected errors        {client.get('unexpected_errors', 0)}",
            f"  events reported          {client.get('events_sent', 0)}"
            f" (accepted {server['events_accepted']})",
            f"  updates delivered        {client.get('updates_delivered', 0)} received by clients"
            f" ({client.get('updates_delivered_to_slow', 0)} by slow dashboards);"
            f" server queued {server['updates_queued']}, handed out {server['updates_delivered']}",
            f"  updates dropped          {server['updates_dropped']} on the server,"
            f" {client.get('updates_dropped_reported', 0)} reported to clients in `dropped`",
            f"  subscriptions leaked     {report['subscriptions_leaked']}",
            f"  peak RSS                 server {report['server_rss_mib']['peak']} MiB"
            f" (start {report['server_rss_mib']['start']}, end {report['server_rss_mib']['end']});"
            f" client process {report['client_peak_rss_mib']} MiB",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.client_of:
        print(json.dumps(asyncio.run(Clients(args, args.client_of).run())))
        return 0
    report = run_load(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    return (
        0
        if report["subscriptions_leaked"] == 0 and not report["client"].get("unexpected_errors")
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
