"""Turns taken in arrival order: work done in any order, its results written in order.

Pages are extracted side by side and finish in any order; the archive must not depend
on which finished first (two fetches of one article in a run: the earlier fetch is the
earlier version). Each page takes a ticket when it arrives, waits for its turn before
writing, and gives the turn on when done, written or not.
"""

from __future__ import annotations

import asyncio


class InOrder:
    def __init__(self) -> None:
        self._issued = 0
        self._next = 0
        self._finished: set[int] = set()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def take(self) -> int:
        """A ticket: turns come in the order tickets were taken."""
        ticket = self._issued
        self._issued += 1
        return ticket

    async def wait(self, ticket: int) -> None:
        """Until every earlier ticket is done."""
        if ticket == self._next:
            return
        future = asyncio.get_event_loop().create_future()
        self._waiting[ticket] = future
        await future

    def done(self, ticket: int) -> None:
        """The holder of `ticket` is through (also when it failed): the next one may go."""
        self._waiting.pop(ticket, None)
        self._finished.add(ticket)
        while self._next in self._finished:
            self._finished.discard(self._next)
            self._next += 1
        future = self._waiting.get(self._next)
        if future is not None and not future.done():
            future.set_result(None)
