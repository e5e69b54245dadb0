"""Real Scrapyd processes on loopback, for the cluster tests.

Each node runs `python -m scrapyd` in a folder of its own, from a Python environment
that has every dependency of kgnews but not kgnews itself (a venv whose only path is
this one's site-packages, where the editable install is only a .pth file that a plain
path entry does not read): the code a job runs can come from the deployed egg only.
A node is started in a session of its own, so that killing it (SIGKILL to the whole
process group) takes its crawl jobs down with it, as a machine that dies would.

Nothing here sleeps: a node is up when its log says so, and a job is over when the
node's log says that it finished (lines read as they are written, with a bound).
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import venv
from dataclasses import dataclass, field
from pathlib import Path
from urllib.request import urlopen

WAIT_S = 180.0


def node_python(folder: Path) -> Path:
    """A Python with kgnews's dependencies and no kgnews (see the module docstring)."""
    home = folder / "python"
    venv.create(home, with_pip=False)
    site = Path(sysconfig.get_paths(vars={"base": str(home), "platbase": str(home)})["purelib"])
    (site / "kgnews-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return home / "bin" / "python"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ScrapydNode:
    name: str
    folder: Path
    python: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[str] | None = None
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def warc_dir(self) -> Path:
        return self.folder / "warc"

    def start(self, poll_interval: float = 0.2, config: str = "") -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"poll_interval = {poll_interval}\neggs_dir = eggs\nlogs_dir = logs\ndbs_dir = dbs\n"
            + config,
            encoding="utf-8",
        )
        env = {
            **self.env,
            "HOME": str(self.folder),
            "XDG_CACHE_HOME": str(self.folder / "cache"),
            "KGNEWS_WARC_DIR": str(self.warc_dir),
            "PYTHONUNBUFFERED": "1",
        }
        self.process = subprocess.Popen(
            [str(self.python), "-m", "scrapyd"],
            cwd=self.folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for_line(r"Site starting on")

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, pattern: str) -> str:
        """The first line of the node's log (from where the last wait stopped) that matches."""
        wanted = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=WAIT_S)
            except queue.Empty:
                raise AssertionError(
                    f"node {self.name} never logged {pattern!r}; its log:\n" + "".join(self.seen)
                ) from None
            self.seen.append(line)
            if wanted.search(line):
                return line

    def wait_for_jobs(self, jobs: set[str]) -> None:
        """Until every one of these jobs has finished (in any order)."""
        left = set(jobs)
        while left:
            line = self.wait_for_line(r"Process finished: .*job=")
            left -= {job for job in left if f"job='{job}'" in line}

    def jobs(self) -> dict[str, list[dict[str, object]]]:
        with urlopen(f"{self.url}listjobs.json?project=kgnews", timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def job_log(self, job: str) -> str:
        return (self.folder / "logs" / "kgnews" / "news" / f"{job}.log").read_text("utf-8")

    def kill(self) -> None:
        """SIGKILL to the node and every process it started: the machine is gone. Returns
        once each of them has ended (a pidfd says so; a zombie left unreaped counts)."""
        assert self.process is not None
        group = self.process.pid
        members = [pid for pid in _pids() if _group_of(pid) == group]
        os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)
        for pid in members:
            try:
                handle = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:
                ready, _, _ = select.select([handle], [], [], WAIT_S)
                assert ready, f"process {pid} of node {self.name} outlived SIGKILL"
            finally:
                os.close(handle)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def tool(name: str) -> str:
    """A console script of this environment (scrapyd-deploy, kgnews)."""
    return str(Path(sys.executable).with_name(name))
