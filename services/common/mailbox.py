"""A bounded, thread-safe queue per stream reader, usable from threads and from asyncio.

Producers (``put``) may run on any thread or on the event loop; a reader waits with
:meth:`Mailbox.get` (sync servers) or :meth:`Mailbox.aget` (asyncio servers). The queue never
grows past ``capacity``; what happens when it is full is the owner's choice:

- :attr:`Overflow.DROP_OLDEST` discards the oldest queued item and counts it, so a slow reader
  always sees the freshest data and learns how much it missed (live metrics);
- :attr:`Overflow.CLOSE` closes the mailbox with a :class:`ResourceExhausted` error, so nothing
  is lost silently (chat messages, where a gap would change the conversation).

Closing wakes every waiter at once; they raise :class:`MailboxClosed` with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from services.common.errors import ResourceExhausted, ServiceError

T = TypeVar("T")


class Overflow(enum.Enum):
    """What a full mailbox does with one more item."""

    DROP_OLDEST = "drop-oldest"
    CLOSE = "close"


class CloseReason(enum.Enum):
    """Why a mailbox stopped delivering."""

    CLIENT_GONE = "client-gone"
    SHUTDOWN = "shutdown"
    OVERFLOW = "overflow"
    FAILED = "failed"


class MailboxClosed(Exception):
    """Raised to a reader once its mailbox is closed."""

    def __init__(self, reason: CloseReason, error: ServiceError | None) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.error = error

    def copy(self) -> MailboxClosed:
        """A fresh exception to raise, so tracebacks do not pile up on one instance."""
        return MailboxClosed(self.reason, self.error)


@dataclass(frozen=True)
class Delivery(Generic[T]):
    """One item taken from a mailbox, with how many items were dropped just before it."""

    item: T
    dropped: int


class Mailbox(Generic[T]):
    """A bounded queue with one reader; see the module docstring for the overflow policies."""

    def __init__(
        self,
        capacity: int,
        overflow: Overflow,
        loop: asyncio.AbstractEventLoop | None = None,
        name: str = "",
    ) -> None:
        if capacity < 1:
            raise ValueError("a mailbox holds at least one item")
        self.capacity = capacity
        self.overflow = overflow
        self.name = name
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop = loop
        self._wakeup = asyncio.Event() if loop is not None else None
        self._dropped_since_delivery = 0
        self.dropped_total = 0
        self.delivered_total = 0
        self._closed: MailboxClosed | None = None

    @property
    def closed(self) -> bool:
        with self._lock:
            return self._closed is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def put(self, item: T) -> bool:
        """Queue an item; False when the mailbox is closed (the item is discarded)."""
        overflowed = False
        with self._lock:
            if self._closed is not None:
                return False
            if len(self._items) >= self.capacity:
                if self.overflow is Overflow.DROP_OLDEST:
                    self._items.popleft()
                    self._dropped_since_delivery += 1
                    self.dropped_total += 1
                else:
                    error = ResourceExhausted(
                        f"{self.name or 'the reader'} fell {self.capacity} messages behind"
                        " and was disconnected; reconnect to continue",
                        subject=self.name,
                        limit_description=f"at most {self.capacity} undelivered messages",
                    )
                    self._close_locked(CloseReason.OVERFLOW, error)
                    overflowed = True
            if not overflowed:
                self._items.append(item)
                self._changed.notify_all()
        self._wake_loop()
        return not overflowed

    def close(self, reason: CloseReason, error: ServiceError | None = None) -> bool:
        """Stop delivering and wake the reader; False when it was already closed."""
        with self._lock:
            if self._closed is not None:
                return False
            self._close_locked(reason, error)
        self._wake_loop()
        return True

    def get(self, timeout: float | None = None) -> Delivery[T] | None:
        """Wait for the next item (sync readers); None when ``timeout`` passes first.

        Raises :class:`MailboxClosed` once the mailbox is closed, even with items still queued.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                if self._closed is not None:
                    raise self._closed.copy()
                if self._items:
                    return self._take_locked()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(remaining)

    async def aget(self) -> Delivery[T]:
        """Wait for the next item (asyncio readers). Raises :class:`MailboxClosed` when closed."""
        wakeup = self._require_loop_event()
        while True:
            with self._lock:
                if self._closed is not None:
                    raise self._closed.copy()
                if self._items:
                    return self._take_locked()
                wakeup.clear()
            await wakeup.wait()

    def drain(self) -> list[Delivery[T]]:
        """Take everything queued now, without waiting. Raises :class:`MailboxClosed`."""
        with self._lock:
            if self._closed is not None:
                raise self._closed.copy()
            return [self._take_locked() for _ in range(len(self._items))]

    def wait_closed(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds or until closed (sync); True when closed."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._closed is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    async def await_closed(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds or until closed (asyncio); True when closed."""
        wakeup = self._require_loop_event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            with self._lock:
                if self._closed is not None:
                    return True
                wakeup.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except TimeoutError:
                return self.closed

    def _take_locked(self) -> Delivery[T]:
        delivery = Delivery(self._items.popleft(), self._dropped_since_delivery)
        self._dropped_since_delivery = 0
        self.delivered_total += 1
        return delivery

    def _close_locked(self, reason: CloseReason, error: ServiceError | None) -> None:
        self._closed = MailboxClosed(reason, error)
        self._items.clear()
        self._changed.notify_all()

    def _require_loop_event(self) -> asyncio.Event:
        if self._wakeup is None:
            raise RuntimeError("this mailbox was made without an event loop; use get()")
        return self._wakeup

    def _wake_loop(self) -> None:
        if self._loop is None or self._wakeup is None:
            return
        # A closed loop means its reader is gone, so there is no one to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wakeup.set)
