"""Small helpers for tests that run the real `kgnews` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

KGNEWS = [sys.executable, "-m", "crawler"]


def run_kgnews(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run `kgnews ARGS…` as a user would, in a process of its own."""
    full_env = {k: v for k, v in os.environ.items() if k != "KGNEWS_DATABASE_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [*KGNEWS, *args],
        cwd=cwd,
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit status 2, one line on stderr that says what to fix, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kgnews: error: "), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def read_only_mount_works(directory: Path) -> bool:
    probe = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            'mount --bind -o ro "$0" "$0" && ! touch "$0/probe"',
            str(directory),
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def on_read_only_mount(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`kgnews ARGS…` with `directory` mounted read-only, as on a read-only medium."""
    script = 'dir=$1; shift; mount --bind -o ro "$dir" "$dir" && exec "$@"'
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(directory), *KGNEWS, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def until_a_session_waits_for_a_lock(
    engine: Engine,
    *,
    held_by: int | None = None,
    or_until: Callable[[], bool] = lambda: False,
    what: str = "no session ever waited for a lock",
) -> None:
    """Return once a session of this PostgreSQL database waits for a lock (one that
    backend `held_by` holds, if given), or once `or_until()` is true. PostgreSQL's own
    view of its sessions, read anew in a transaction of its own each time (the view is
    read once per transaction); a bound, never reached when all is well, not a sleep."""
    if held_by is None:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
    else:
        query = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
    with engine.connect() as connection:
        for _ in range(100_000):
            if or_until() or connection.execute(query, {"pid": held_by}).scalar():
                return
            connection.rollback()
    raise AssertionError(what)
