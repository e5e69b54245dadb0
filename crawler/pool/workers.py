"""A pool of worker processes driven from an asyncio event loop.

The crawl's reactor thread never waits on a worker: jobs are handed to workers, results
are read when their pipe is readable. A worker holds up to DEPTH jobs, so that it never
waits for this process to read a result before it has its next job; it works on them in
the order sent, and answers in that order, so the pool always knows which job a dead or
stuck worker was working on (the first it holds):

- a worker that dies mid-job (a crash, the OOM killer) fails that job with
  WorkerFailed, and a new worker takes its place;
- a job that runs past `timeout` seconds (a pathological page) has its worker
  killed, fails with WorkerFailed, and a new worker takes its place.

The jobs it held behind that one go back to the front of the queue, and the other jobs
never notice. Timers run on `clock` (the event loop by default; a
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
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.reduction import ForkingPickler
from typing import Any, Protocol

from crawler.pool.child import serve

MAX_START_FAILURES = 3
DEPTH = 2  # jobs a worker holds: the one it works on, and the next
# A job is written to a busy worker only if it is this small: the pipe buffers a few
# hundred kilobytes, and a larger write would block this process (and its timers) until
# the worker has finished the job in hand. A larger one waits for an idle worker.
PIPELINE_BYTES = 64 * 1024


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
    payload: bytes | memoryview = b""
    """The pickled (args, kwargs), once made."""


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    jobs: deque[_Job] = field(default_factory=deque)
    """Sent to it, in order; it works on the first."""
    timer: Timer | None = None
    """The first job's: it runs from when the worker starts on it."""
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
            held = self._forget_jobs(worker)
            self._stop_reading(worker)
            if held:  # busy: no use waiting for it
                for job in held:
                    _fail(job, WorkerFailed(why))
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
        for depth in range(1, DEPTH + 1):  # every idle worker a job before any a second
            for worker in list(self._workers):
                if worker not in self._workers or not worker.ready or len(worker.jobs) >= depth:
                    continue
                job = self._next_sendable_job()
                if job is None:
                    return
                if worker.jobs and len(job.payload) > PIPELINE_BYTES:
                    self._queue.appendleft(job)  # for the next worker to be idle
                    return
                self._send(worker, job)

    def _send(self, worker: _Worker, job: _Job) -> None:
        try:
            worker.conn.send_bytes(job.payload)
        except OSError:  # it died before taking the job, which goes to the next worker
            self._queue.appendleft(job)
            self._lost(worker, "extraction worker died while working on it")
            return
        worker.jobs.append(job)
        if len(worker.jobs) == 1:
            self._start_timer(worker)

    def _start_timer(self, worker: _Worker) -> None:
        worker.timer = self._clock.call_later(self._timeout, partial(self._expired, worker))

    def _next_sendable_job(self) -> _Job | None:
        """The next job to hand out, pickled; one that does not pickle fails (nothing of
        it is sent, and no worker is the worse for it)."""
        while self._queue:
            job = self._queue.popleft()
            if job.future.done():  # (a caller that gave up cancelled it)
                continue
            if not job.payload:
                try:
                    job.payload = ForkingPickler.dumps((job.args, job.kwargs))
                except Exception as exc:
                    _fail(job, WorkerFailed(f"job could not be sent to a worker: {exc}"))
                    continue
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
        elif worker.jobs:
            job = worker.jobs.popleft()
            self._stop_timer(worker)
            if worker.jobs:  # the worker has started on the next
                self._start_timer(worker)
            if not job.future.done():
                kind, value = message
                if kind == "ok":
                    job.future.set_result(value)
                elif kind == "raise":
                    job.future.set_exception(value)
                else:
                    job.future.set_exception(WorkerFailed(f"extraction failed: {value}"))
        self._dispatch()

    def _expired(self, worker: _Worker) -> None:
        if worker.jobs:
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
        held = self._forget_jobs(worker)
        self._stop_reading(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()
        if held:
            working, waiting = held[0], held[1:]
            _fail(working, WorkerFailed(reason if said else reason + _ending(worker.process)))
            # Not started: the next worker takes them first. (A closed pool holds no jobs:
            # close() failed them all and stopped the readers and timers that lead here.)
            self._queue.extendleft(reversed(waiting))
        if self._closed or worker not in self._workers:
            return
        self._workers[self._workers.index(worker)] = self._start()
        self.replaced += 1
        self._dispatch()

    def _forget_jobs(self, worker: _Worker) -> list[_Job]:
        """The worker's jobs, which it no longer holds, in order; its timer stopped."""
        held = list(worker.jobs)
        worker.jobs.clear()
        self._stop_timer(worker)
        return held

    def _stop_timer(self, worker: _Worker) -> None:
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None

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
