"""The bounded mailbox behind metric subscriptions and chat outboxes."""

from __future__ import annotations

import asyncio
import threading

import grpc
import pytest
from service_harness import run_async

from services.common.mailbox import CloseReason, Mailbox, MailboxClosed, Overflow


def test_full_drop_oldest_mailbox_keeps_the_newest_and_counts_what_it_dropped() -> None:
    mailbox: Mailbox[int] = Mailbox(3, Overflow.DROP_OLDEST)
    for number in range(10):
        assert mailbox.put(number)

    deliveries = [mailbox.get(timeout=0) for _ in range(3)]

    assert [(d.item, d.dropped) for d in deliveries if d is not None] == [(7, 7), (8, 0), (9, 0)]
    assert (mailbox.dropped_total, mailbox.delivered_total) == (7, 3)
    assert mailbox.get(timeout=0) is None


def test_full_close_mailbox_closes_with_resource_exhausted_instead_of_dropping() -> None:
    mailbox: Mailbox[str] = Mailbox(2, Overflow.CLOSE, name="reader 'r'")
    assert mailbox.put("a") and mailbox.put("b")

    assert mailbox.put("c") is False

    with pytest.raises(MailboxClosed) as closed:
        mailbox.get(timeout=0)
    assert closed.value.reason is CloseReason.OVERFLOW
    assert closed.value.error is not None
    assert closed.value.error.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "reader 'r' fell 2 messages behind" in closed.value.error.message


def test_closing_wakes_a_thread_waiting_for_an_item() -> None:
    mailbox: Mailbox[int] = Mailbox(1, Overflow.DROP_OLDEST)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            mailbox.get(timeout=30)
        except MailboxClosed as closed:
            outcome.append(closed)

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert mailbox.close(CloseReason.SHUTDOWN)
    waiter.join(timeout=10)

    assert not waiter.is_alive()
    assert [type(e) for e in outcome] == [MailboxClosed]
    assert mailbox.put(1) is False
    assert mailbox.close(CloseReason.CLIENT_GONE) is False  # the first reason stands


def test_asyncio_reader_is_woken_by_a_put_from_another_thread() -> None:
    async def scenario() -> tuple[int, int]:
        mailbox: Mailbox[int] = Mailbox(4, Overflow.DROP_OLDEST, loop=asyncio.get_running_loop())
        reader = asyncio.create_task(mailbox.aget())
        await asyncio.sleep(0)  # the reader is now waiting
        threading.Thread(target=mailbox.put, args=(42,)).start()
        delivery = await reader
        return delivery.item, delivery.dropped

    assert run_async(scenario(), timeout=10) == (42, 0)


def test_asyncio_reader_sees_close_even_with_items_queued() -> None:
    async def scenario() -> CloseReason:
        mailbox: Mailbox[int] = Mailbox(4, Overflow.DROP_OLDEST, loop=asyncio.get_running_loop())
        mailbox.put(1)
        mailbox.close(CloseReason.CLIENT_GONE)
        with pytest.raises(MailboxClosed) as closed:
            await mailbox.aget()
        return closed.value.reason

    assert run_async(scenario(), timeout=10) is CloseReason.CLIENT_GONE
