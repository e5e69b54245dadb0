"""Results written in arrival order, whatever order the work finished in."""

from __future__ import annotations

import asyncio

from crawler.pool.order import InOrder
from tests.pool.test_workers import on_asyncio


@on_asyncio
async def test_turns_come_in_ticket_order_whatever_order_the_work_ends_in() -> None:
    order = InOrder()
    written: list[int] = []
    finished = {n: asyncio.Event() for n in range(5)}

    async def page(ticket: int) -> None:
        await finished[ticket].wait()  # its extraction
        await order.wait(ticket)
        written.append(ticket)
        order.done(ticket)

    tasks = [asyncio.ensure_future(page(order.take())) for _ in range(5)]
    for n in (4, 2, 3, 0, 1):  # extractions end out of order
        finished[n].set()
        await asyncio.sleep(0)  # (lets the woken tasks run; no waiting on time)
    await asyncio.gather(*tasks)
    assert written == [0, 1, 2, 3, 4]


@on_asyncio
async def test_a_turn_given_up_without_writing_lets_the_next_one_go() -> None:
    order = InOrder()
    first, second = order.take(), order.take()
    waiting = asyncio.ensure_future(order.wait(second))
    await asyncio.sleep(0)
    assert not waiting.done()
    order.done(first)  # its page failed: nothing written, the turn passes on
    await waiting
