"""`kgnews schedule`: sharing sources out, leaving alone what is crawled or queued, and
a node that is down or refuses, against real Scrapyd processes (tests/cluster/nodes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from crawler.cluster.assign import assign
from crawler.sources.registry import load_registry
from crawler.store.migrate import current_revision, head_revision
from crawler.store.models import CrawlLock, CrawlRun
from crawler.store.runs import STALE_AFTER, Holder, held_locks
from tests.cluster.nodes import ScrapydNode, free_port, node_python, tool
from tests.helpers import assert_user_error, run_kgnews

KEYS = load_registry().source_keys()


def test_every_source_goes_to_one_node_and_the_shares_are_even() -> None:
    for names in (["a"], ["a", "b"], ["a", "b", "c"], [f"node-{i}" for i in range(7)]):
        plan = assign(KEYS, names)
        given = [key for share in plan.values() for key in share]
        assert sorted(given) == sorted(KEYS)  # each once
        sizes = [len(share) for share in plan.values()]
        assert max(sizes) - min(sizes) <= 1, plan
        assert assign(reversed(KEYS), reversed(names)) == plan  # the same from anywhere
    assert assign(KEYS, []) == {}


def test_a_lock_is_held_only_while_its_process_lives(archive: Engine) -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)  # fmt: skip
    here = Holder.this_process().host
    with Session(archive) as session:
        run = CrawlRun(started_at=now, status="running", sources=["a", "b", "c"])
        session.add(run)
        session.flush()
        for key, host, pid, beat in (
            ("a", here, child.pid, now),  # a live process here
            ("b", "elsewhere", 1, now),  # another machine, a fresh heartbeat
            ("c", "elsewhere", 1, now - STALE_AFTER - timedelta(seconds=1)),  # went quiet
        ):
            session.add(CrawlLock(source_key=key, crawl_run_id=run.id, host=host, pid=pid,
                                  acquired_at=now, heartbeat_at=beat))  # fmt: skip
        session.commit()
    me = Holder(here, os.getpid())
    assert set(held_locks(archive, now, me)) == {"a", "b"}
    assert child.stdin is not None
    child.stdin.close()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has ended, not reaped: a zombie
    try:
        assert set(held_locks(archive, now, me)) == {"b"}
    finally:
        child.wait()


@pytest.fixture
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return node_python(tmp_path_factory.mktemp("node-python"))


@pytest.fixture
def node_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("KGNEWS_", "SCRAPY"))}


def started(node: ScrapydNode, poll_interval: float = 0.2, config: str = "") -> ScrapydNode:
    node.start(poll_interval=poll_interval, config=config)
    return node


@pytest.fixture
def idle_node(tmp_path: Path, python: Path, node_env: dict[str, str]) -> Iterator[ScrapydNode]:
    """A node with the egg deployed that never starts a job (its queue is polled once an
    hour): what it is given stays queued."""
    node = started(ScrapydNode("idle", tmp_path / "idle", python, node_env), poll_interval=3600)
    try:
        deploy(tmp_path, node)
        yield node
    finally:
        node.stop()


def deploy(tmp_path: Path, node: ScrapydNode, login: str = "") -> None:
    egg = tmp_path / "kgnews.egg"
    if not egg.exists():
        assert run_kgnews("egg", "-o", str(egg)).returncode == 0
    folder = tmp_path / f"deploy-{node.name}"
    folder.mkdir()
    (folder / "scrapy.cfg").write_text(
        f"[settings]\ndefault = crawler.settings\n[deploy:{node.name}]\nurl = {node.url}\n"
        f"project = kgnews\n{login}",
        encoding="utf-8",
    )
    done = subprocess.run([tool("scrapyd-deploy"), node.name, "--egg", str(egg), "-v", "1"],
                          cwd=folder, capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_what_a_node_has_queued_is_not_queued_again(tmp_path: Path, idle_node: ScrapydNode) -> None:
    db = f"sqlite:///{tmp_path}/archive.sqlite3"
    first = run_kgnews("schedule", "--db", db, "--node", f"idle={idle_node.url}")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("idle: queued job ") and first.stdout.count("queued job") == 1
    second = run_kgnews("schedule", "--db", db, "--node", f"idle={idle_node.url}")
    assert second.returncode == 0, second.stderr
    assert "queued job" not in second.stdout
    for key in KEYS:
        assert f"{key}: already queued on idle" in second.stdout
    pending = idle_node.jobs()["pending"]
    assert len(pending) == 1 and pending[0]["settings"] == {"KGNEWS_NODE": "idle"}


def test_a_node_that_refuses_the_job_passes_its_share_on(
    tmp_path: Path, idle_node: ScrapydNode, python: Path, node_env: dict[str, str]
) -> None:
    """A node without the project (never deployed to) refuses: the other gets everything."""
    bare = started(ScrapydNode("bare", tmp_path / "bare", python, node_env))
    try:
        db = f"sqlite:///{tmp_path}/archive.sqlite3"
        nodes = ["--node", f"idle={idle_node.url}", "--node", f"bare={bare.url}"]
        result = run_kgnews("schedule", "--db", db, *nodes)
    finally:
        bare.stop()
    assert result.returncode == 0, result.stderr
    assert "warning: node bare got nothing" in result.stderr and "kgnews" in result.stderr
    lines = [line for line in result.stdout.splitlines() if "queued job" in line]
    assert lines and all(line.startswith("idle: queued job ") for line in lines)
    given = [key for line in lines for key in line.split(": ", 2)[2].split(", ")]
    assert sorted(given) == sorted(KEYS)  # every source, once
    assert len(idle_node.jobs()["pending"]) == len(lines)


def test_no_node_up_is_exit_1_and_the_archive_is_ready_for_the_nodes(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    result = run_kgnews("schedule", "--db", str(db), "--node", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "warning: node 127.0.0.1-" in result.stderr and "Connection refused" in result.stderr
    (error,) = [line for line in result.stderr.splitlines() if "error:" in line]
    assert error.startswith("kgnews: error: no node took ") and "Traceback" not in result.stderr
    assert all(key in error for key in KEYS)
    # The schema is made here, once, so that nodes starting together never race to make it.
    from crawler.store.engine import make_engine, resolve_url

    engine = make_engine(resolve_url(str(db)))
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--node", "ftp://node"], "--node 'ftp://node' is not a Scrapyd URL"),
        (["--node", "a=http://x:1", "--node", "a=http://y:1"], "--node names must differ"),
        (["--node", "a/b=http://x:1"], "node name 'a/b' may hold only letters"),
        (["--node", "http://kgnews:secret@x:99999"], "'http://kgnews:***@x:99999' is not a"),
        (["--node", "http://x:1", "--setting", "DOWNLOAD_DELAY"], "--setting takes NAME=VALUE"),
        (
            ["--node", "http://x:1", "--setting", "KGNEWS_DATABASE_URL=postgresql://u:secret@h/db"],
            "holds a password, and Scrapyd logs a job's settings",
        ),
        (["--node", "http://x:1", "--source", "nosuch"], "unknown source 'nosuch'"),
    ],
)
def test_mistakes_are_one_line_and_touch_nothing(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    db = tmp_path / "archive.sqlite3"
    result = run_kgnews("schedule", "--db", str(db), *args)
    assert_user_error(result, fragment)
    assert "secret" not in result.stderr
    assert not db.exists()


def test_a_node_with_a_password_takes_it_from_netrc(
    tmp_path: Path, python: Path, node_env: dict[str, str]
) -> None:
    node = started(
        ScrapydNode("locked", tmp_path / "locked", python, node_env),
        poll_interval=3600,
        config="username = kgnews\npassword = s3cret\n",
    )
    try:
        deploy(tmp_path, node, login="username = kgnews\npassword = s3cret\n")
        db = f"sqlite:///{tmp_path}/archive.sqlite3"
        home = tmp_path / "home"
        home.mkdir()
        refused = run_kgnews("schedule", "--db", db, "--node", node.url, env={"HOME": str(home)})
        netrc = home / ".netrc"
        netrc.write_text("machine 127.0.0.1 login kgnews password s3cret\n", encoding="utf-8")
        netrc.chmod(0o600)
        let_in = run_kgnews("schedule", "--db", db, "--node", node.url, env={"HOME": str(home)})
    finally:
        node.stop()
    assert refused.returncode == 1 and "HTTP 401" in refused.stderr
    assert let_in.returncode == 0, let_in.stderr
    assert let_in.stdout.startswith(f"127.0.0.1-{node.port}: queued job ")
    assert "s3cret" not in refused.stdout + refused.stderr + let_in.stdout + let_in.stderr
