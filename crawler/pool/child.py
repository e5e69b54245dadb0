"""The worker side of the pool: read a job, run the function, send back what came of it.

Runs in a process of its own (started with "spawn": a fresh interpreter, nothing
inherited from the crawl's threads and sockets). Messages on the pipe:
parent → child: (args, kwargs) or None to stop; child → parent: "ready" once the
function is imported, then per job ("ok", result), ("raise", exception) for an
exception the caller expects (it pickles), or ("error", "Type: message") for any other.
"""

from __future__ import annotations

import importlib
import pickle
import signal
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from crawler.store.faults import fault_point


def resolve(path: str) -> Callable[..., Any]:
    """ "package.module:function" → the function."""
    module, _, name = path.partition(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), name)
    return function


def serve(conn: Connection, path: str, expected: tuple[str, ...]) -> None:
    """The worker's loop (the target of its process)."""
    # Ctrl-C and systemd's SIGTERM go to the whole process group: the crawl stops
    # gracefully and still wants the pages in hand extracted. It stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    function = resolve(path)
    kinds = tuple(resolve(name) for name in expected)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the crawl has gone: nothing more to do
            return
        if job is None:
            return
        args, kwargs = job
        fault_point("extracting", url=str(kwargs.get("url", args[1] if len(args) > 1 else "")))
        try:
            message: tuple[str, Any] = ("ok", function(*args, **kwargs))
        except kinds as exc:  # type: ignore[misc]
            message = ("raise", exc)
        except Exception as exc:  # a bug on one page must not cost the others
            message = ("error", f"{type(exc).__name__}: {exc}".splitlines()[0])
        try:
            conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            conn.send(("error", f"result could not be sent back: {exc}"))
