"""Fault points: where a test may kill the process or hold a writer, to prove what survives.

Set KGNEWS_FAULT_POINT=NAME:N and the process kills itself (SIGKILL, as a power cut or
the OOM killer would) the Nth time it reaches the point NAME; NAME:N:TEXT counts only
the times it is reached for a URL that holds TEXT. A test in the same
process may instead run a function of its own there (`hooks`): hold a writer while
another one races it. Unset, as in every real run, a point costs two lookups.

Points: `version_chosen` (a writer has read the next version number, not inserted
it), `version_written` (a new version inserted, its transaction not committed),
`fetch_written` (an article's fetch row added, not committed), `warc_written` (a
response record written, nothing in the database yet), `committed` (a write
transaction committed, its caller not yet told), `conflict_retry` (a write
transaction lost a race and is about to start again), `extracting` (an extraction
worker has taken a page, in the worker's own process).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENV = "KGNEWS_FAULT_POINT"
_NAME, _, _REST = os.environ.get(ENV, "").partition(":")
_COUNT, _, _URL_PART = _REST.partition(":")
_reached = 0
_hooks: dict[str, Callable[..., None]] = {}


def fault_point(name: str, **details: Any) -> None:
    """Die here if the environment asks for it, or run a test's hook (module docstring)."""
    global _reached
    hook = _hooks.get(name)
    if hook is not None:
        hook(**details)
    if name != _NAME or _URL_PART not in str(details.get("url", "")):
        return
    _reached += 1
    if _reached == int(_COUNT or 1):
        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def hooks(**functions: Callable[..., None]) -> Iterator[None]:
    """Run these functions at the fault points they are named after, for the block."""
    _hooks.update(functions)
    try:
        yield
    finally:
        for name in functions:
            _hooks.pop(name, None)
