"""Jobs for the worker pool's tests, run in its worker processes."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from crawler.extract.errors import NoArticle


def work(what: str, value: int = 0, data: bytes = b"", fifo: str = "") -> int:
    """What the test asks of one job: a result, an expected or unexpected failure,
    a worker that dies mid-job, or one that never ends."""
    if what == "square":
        return value * value
    if what == "size":
        return size(data)
    if what == "gated":
        return gated(fifo, value)
    if what == "no article":
        raise NoArticle(f"nothing on page {value}")
    if what == "bug":
        raise ValueError(f"page {value} broke the code")
    if what == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if what == "hang":
        time.sleep(3600)  # in the worker: the test itself never waits on it
    if what == "interrupted":
        return interrupted(value)
    raise AssertionError(what)


def size(data: bytes) -> int:
    """A job as large as a page: how many bytes it was given."""
    return len(data)


def gated(fifo: str, value: int) -> int:
    """A job that runs until the test writes to `fifo` (a named pipe it opens)."""
    Path(fifo).read_bytes()
    return value


def interrupted(value: int) -> int:
    """Ctrl-C and SIGTERM reach the worker (as they reach the crawl's process group)."""
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    return value
