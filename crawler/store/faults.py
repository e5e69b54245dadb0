"""Fault points: where a test may have the process killed, to prove what survives.

Set KGNEWS_FAULT_POINT=NAME:N and the process kills itself (SIGKILL, as a power cut or
the OOM killer would) the Nth time it reaches the point NAME. Unset, as in every real
run, a point costs one comparison. Points: `version_written` (a new version inserted,
its transaction not committed), `fetch_written` (an article's fetch row added, not
committed), `warc_written` (a response record written, nothing in the database yet).
"""

from __future__ import annotations

import os
import signal

ENV = "KGNEWS_FAULT_POINT"
_NAME, _, _COUNT = os.environ.get(ENV, "").partition(":")
_reached = 0


def fault_point(name: str) -> None:
    """Die here if the environment asks for it (see the module docstring)."""
    global _reached
    if name != _NAME:
        return
    _reached += 1
    if _reached == int(_COUNT or 1):
        os.kill(os.getpid(), signal.SIGKILL)
