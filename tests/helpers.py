"""Small helpers for tests that run the real `kgnews` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
