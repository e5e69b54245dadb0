"""The worker pool: jobs run in other processes, and a worker that dies or hangs costs
its own job only."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import tempfile
from collections.abc import Callable, Coroutine, Generator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.defer import Deferred

from crawler.extract.errors import NoArticle
from crawler.pool.workers import WorkerFailed, WorkerPool

JOBS = "tests.pool.jobs:work"


def on_asyncio(
    test: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[], Generator[Deferred[None], Any, None]]:
    """Run an asyncio coroutine as a test, on the reactor's asyncio loop (a job that never
    comes back fails the test after a minute instead of hanging the suite)."""

    @functools.wraps(test)
    @pytest_twisted.inlineCallbacks
    def run() -> Generator[Deferred[None], Any, None]:
        yield Deferred.fromFuture(asyncio.ensure_future(asyncio.wait_for(test(), 60)))

    return run


class HandClock:
    """Timers that fire only when the test says so."""

    def __init__(self) -> None:
        self.timers: list[Timer] = []
        self.scheduled = asyncio.Event()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(delay, callback)
        self.timers.append(timer)
        self.scheduled.set()
        return timer

    def advance(self, seconds: float) -> None:
        for timer in list(self.timers):
            if not timer.cancelled and timer.delay <= seconds:
                self.timers.remove(timer)
                timer.callback()


class Timer:
    def __init__(self, delay: float, callback: Callable[[], None]) -> None:
        self.delay, self.callback, self.cancelled = delay, callback, False

    def cancel(self) -> None:
        self.cancelled = True


@contextmanager
def watchdog(what: str, seconds: int = 30) -> Iterator[None]:
    """Turn a call that blocks this thread (and so the event loop) into a failure."""

    def alarm(*_: object) -> None:
        raise TimeoutError(what)

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def pool(size: int, clock: HandClock | None = None) -> WorkerPool:
    return WorkerPool(JOBS, size, 60.0, expected=("crawler.extract.errors:NoArticle",), clock=clock)


@on_asyncio
async def test_jobs_on_two_workers_each_get_their_own_result() -> None:
    with closing(pool(2)) as workers:
        results = await asyncio.gather(*(workers.run("square", n) for n in range(40)))
    assert results == [n * n for n in range(40)]
    assert workers.replaced == 0


@on_asyncio
async def test_a_worker_killed_mid_job_fails_that_job_only_and_is_replaced() -> None:
    with closing(pool(1)) as workers:
        jobs = [workers.run("square", 3), workers.run("die"), workers.run("square", 4)]
        results = await asyncio.gather(*jobs, return_exceptions=True)
        after = await workers.run("square", 5)
    first, died, last = results
    assert (first, last, after) == (9, 16, 25)
    assert isinstance(died, WorkerFailed)
    assert str(died) == "extraction worker died while working on it (killed by SIGKILL)"
    assert workers.replaced == 1


@on_asyncio
async def test_a_job_sent_to_a_worker_that_has_just_died_goes_to_its_replacement() -> None:
    with closing(pool(1)) as workers:
        assert await workers.run("square", 2) == 4
        process = workers._workers[0].process  # (white box: to kill it between two jobs)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join()  # dead, and the pool not told yet: the job is written to a closed pipe
        assert await workers.run("square", 3) == 9
    assert workers.replaced == 1


@on_asyncio
async def test_a_job_that_runs_too_long_is_stopped_and_its_worker_replaced() -> None:
    clock = HandClock()
    with closing(pool(1, clock)) as workers:
        hung = asyncio.ensure_future(workers.run("hang"))
        await clock.scheduled.wait()  # the job is with its worker, its timer running
        clock.advance(59)
        assert not hung.done()
        clock.advance(60)
        with pytest.raises(WorkerFailed, match=r"^extraction took longer than 60 s; stopped$"):
            await hung
        assert await workers.run("square", 7) == 49
    assert workers.replaced == 1


@on_asyncio
async def test_a_job_held_behind_another_has_its_time_counted_from_its_own_start() -> None:
    clock = HandClock()
    with tempfile.TemporaryDirectory() as directory, closing(pool(1, clock)) as workers:
        gate = Path(directory) / "gate"
        os.mkfifo(gate)
        first = asyncio.ensure_future(workers.run("gated", 6, fifo=str(gate)))
        hung = asyncio.ensure_future(workers.run("hang"))
        await clock.scheduled.wait()  # both are with the worker now: it holds two
        assert len(clock.timers) == 1  # only the first's time runs while it works on it
        with watchdog("the gated job's worker never opened its gate"):
            gate.write_bytes(b"go")  # the first job ends (opening waits for the worker)
        assert await first == 6
        assert [t.cancelled for t in clock.timers] == [True, False]  # the hung job's runs
        clock.advance(60)
        with pytest.raises(WorkerFailed, match=r"^extraction took longer than 60 s; stopped$"):
            await hung
    assert workers.replaced == 1


@on_asyncio
async def test_a_large_job_waits_for_an_idle_worker_instead_of_blocking_the_loop() -> None:
    """Written to a busy worker, a job larger than the pipe's buffer would block this
    process until the worker finished: its timers would never fire. (A watchdog alarm
    turns that into a failure instead of a hang.)"""

    clock = HandClock()
    blocked = "the event loop was blocked writing a job to a busy worker"
    with watchdog(blocked), closing(pool(1, clock)) as workers:
        hung = asyncio.ensure_future(workers.run("hang"))
        await clock.scheduled.wait()  # the worker is busy with it
        page = b"x" * 4_000_000
        large = asyncio.ensure_future(workers.run("size", data=page))
        await asyncio.sleep(0)  # (it is handed out now, or left queued)
        assert not large.done()
        clock.advance(60)  # the hung job's time is up: a new worker takes the large one
        with pytest.raises(WorkerFailed, match="longer than 60 s"):
            await hung
        assert await large == len(page)


@on_asyncio
async def test_failures_of_the_job_itself_come_back_and_the_worker_stays() -> None:
    with closing(pool(1)) as workers:
        with pytest.raises(NoArticle, match=r"^nothing on page 3$"):
            await workers.run("no article", 3)
        with pytest.raises(WorkerFailed, match=r"^extraction failed: ValueError: page 4 broke"):
            await workers.run("bug", 4)
        assert await workers.run("square", 2) == 4
    assert workers.replaced == 0


@on_asyncio
async def test_a_job_that_does_not_pickle_fails_alone() -> None:
    with closing(pool(1)) as workers:
        unsent = workers.run("square", lambda: 1)  # nothing of it can reach a worker
        jobs = await asyncio.gather(unsent, workers.run("square", 3), return_exceptions=True)
    failed, answered = jobs
    assert isinstance(failed, WorkerFailed) and str(failed).startswith("job could not be sent")
    assert answered == 9
    assert workers.replaced == 0


@on_asyncio
async def test_a_closed_pool_takes_no_more_jobs() -> None:
    workers = pool(1)
    workers.close()
    with pytest.raises(WorkerFailed, match="closed"):
        await workers.run("square", 1)


@on_asyncio
async def test_a_job_given_up_by_its_caller_holds_up_no_other() -> None:
    with closing(pool(1)) as workers:
        first = asyncio.ensure_future(workers.run("square", 2))
        given_up = asyncio.ensure_future(workers.run("square", 3))
        last = asyncio.ensure_future(workers.run("square", 4))
        await asyncio.sleep(0)  # (all three are queued)
        given_up.cancel()
        assert (await first, await last) == (4, 16)


@on_asyncio
async def test_ctrl_c_and_sigterm_do_not_kill_a_worker_mid_job() -> None:
    # The crawl stops gracefully on them and still wants the pages in hand extracted.
    with closing(pool(1)) as workers:
        assert await workers.run("interrupted", 6) == 6
    assert workers.replaced == 0


@on_asyncio
async def test_workers_that_cannot_start_fail_the_jobs_instead_of_starting_for_ever() -> None:
    workers = WorkerPool("tests.pool.no_such_module:work", 1, 60.0)
    with pytest.raises(
        WorkerFailed, match=r"^extraction workers die as they start \(3 in a row\)$"
    ):
        await workers.run("square", 1)
    assert workers.replaced == 3
