"""A pool of worker processes driven from an asyncio event loop, one job per worker.

The crawl's reactor thread never waits on a worker: jobs are handed to idle workers,
results are read when their pipe is readable. Each worker holds one job at a time,
so the pool always knows whose job a dead or stuck worker had:

- a worker that dies mid-job (a crash, the OOM killer) fails that job with
  WorkerFailed, and a new worker takes its place;
- a job that runs past `timeout` seconds (a pathological page) has its worker
  killed, fails with WorkerFailed, and a new worker takes its place.

The other jobs never notice. Timers run on `clock` (the event loop by default; a
test passes a clock it moves by hand).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from crawler.pool.child import serve

MAX_START_FAILURES = 3


class WorkerFailed(Exception):
    """The job's worker died or took too long; the message says which."""


class Timer(Protocol):
    def cancel(self) -> None: ...


class Clock(Protocol):
    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer: ...


@dataclass
class _Job:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    job: _Job | None = None
    timer: Timer | None = None
    ready: bool = False


def default_size() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class WorkerPool:
    """`size` processes each running `function` ("module:name") on the jobs given to
    `run`; `expected` names exceptions ("module:name") that `run` raises as they are."""

    def __init__(
        self,
        function: str,
        size: int,
        timeout: float,
        *,
        expected: tuple[str, ...] = (),
        clock: Clock | None = None,
    ) -> None:
        self._function, self._expected = function, expected
        self._timeout = timeout
        self._loop = asyncio.get_running_loop()  # (made inside the loop it works for)
        self._clock: Clock = clock or self._loop
        self._context = multiprocessing.get_context("spawn")
        self._queue: deque[_Job] = deque()
        self._workers: list[_Worker] = []
        self._closed = False
        self._broken = ""
        self._start_failures = 0
        self.replaced = 0
        """Workers started in place of one that died or was stopped."""
        self._size = max(1, size)

    @property
    def size(self) -> int:
        return self._size

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        """The function's result on these arguments, computed in a worker."""
        if self._closed:
            raise WorkerFailed(self._broken or "the worker pool is closed")
        if not self._workers:  # started with the first job: a run of 304s needs none
            self._workers = [self._start() for _ in range(self._size)]
        job = _Job(args, kwargs, self._loop.create_future())
        self._queue.append(job)
        self._dispatch()
        return await job.future

    def close(self) -> None:
        """Stop every worker; jobs not finished fail."""
        self._closed = True
        why = self._broken or "the worker pool was closed"
        for queued in self._queue:
            _fail(queued, WorkerFailed(why))
        self._queue.clear()
        for worker in self._workers:
            held = self._forget_job(worker)
            self._stop_reading(worker)
            if held is not None:  # busy: no use waiting for it
                _fail(held, WorkerFailed(why))
                worker.process.kill()
            else:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers.clear()

    # --------------------------------------------------------------------------------

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(child, self._function, self._expected), daemon=True
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._loop.add_reader(parent.fileno(), self._readable, worker)
        return worker

    def _dispatch(self) -> None:
        for worker in self._workers:
            if not (worker.ready and worker.job is None):
                continue
            job = self._next_job()
            if job is None:
                return
            worker.job = job
            worker.timer = self._clock.call_later(self._timeout, partial(self._expired, worker))
            try:
                worker.conn.send((job.args, job.kwargs))
            except OSError:
                self._lost(worker, "extraction worker died before taking the job")
            except Exception as exc:  # it does not pickle: nothing was sent, the worker stays
                self._forget_job(worker)
                _fail(job, WorkerFailed(f"job could not be sent to a worker: {exc}"))

    def _next_job(self) -> _Job | None:
        while self._queue:
            job = self._queue.popleft()
            if not job.future.done():  # (a caller that gave up cancelled it)
                return job
        return None

    def _readable(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv()
        except Exception:  # closed, or a message that does not unpickle: the worker is done
            started = worker.ready
            self._lost(worker, "extraction worker died while working on it")
            if not started:
                self._failed_start()
            return
        if message == "ready":
            worker.ready = True
            self._start_failures = 0
        else:
            job = self._forget_job(worker)
            if job is not None and not job.future.done():
                kind, value = message
                if kind == "ok":
                    job.future.set_result(value)
                elif kind == "raise":
                    job.future.set_exception(value)
                else:
                    job.future.set_exception(WorkerFailed(f"extraction failed: {value}"))
        self._dispatch()

    def _expired(self, worker: _Worker) -> None:
        if worker.job is not None:
            self._lost(
                worker, f"extraction took longer than {self._timeout:g} s; stopped", said=True
            )

    def _failed_start(self) -> None:
        """A worker died before it was ready (it cannot import its function, say): after
        MAX_START_FAILURES in a row the pool gives up, and its jobs fail saying why."""
        self._start_failures += 1
        if self._start_failures < MAX_START_FAILURES:
            return
        self._broken = f"extraction workers die as they start ({MAX_START_FAILURES} in a row)"
        self.close()

    def _lost(self, worker: _Worker, reason: str, *, said: bool = False) -> None:
        """The worker is gone (or made to go): fail its job, put a new one in its place.
        Unless `said` (the pool stopped it, and the reason says why), the reason tells
        how the process ended."""
        job = self._forget_job(worker)
        self._stop_reading(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        if job is not None:
            _fail(job, WorkerFailed(reason if said else reason + _ending(worker.process)))
        if self._closed or worker not in self._workers:
            return
        self._workers[self._workers.index(worker)] = self._start()
        self.replaced += 1
        self._dispatch()

    def _forget_job(self, worker: _Worker) -> _Job | None:
        """The worker's job, which it no longer holds, its timer stopped."""
        job, worker.job = worker.job, None
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        return job

    def _stop_reading(self, worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._loop.remove_reader(worker.conn.fileno())


def _ending(process: BaseProcess) -> str:
    """How a worker process ended, for the reason its job failed."""
    code = process.exitcode
    if code is not None and code < 0:
        return f" (killed by {signal.Signals(-code).name})"
    return f" (exit status {code})" if code else ""


def _fail(job: _Job, exc: Exception) -> None:
    if not job.future.done():
        job.future.set_exception(exc)
