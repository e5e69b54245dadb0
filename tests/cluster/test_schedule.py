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
        run_id = run.id
    me = Holder(here, os.getpid())
    assert set(held_locks(archive, now, me)) == {"a", "b"}
    name, _, tag = here.partition("#")
    if tag:  # (Linux) locks this host wrote before a reboot, and before the tags existed
        namespace = tag.partition(".")[2]
        with Session(archive) as session:
            for key, host in (("d", f"{name}#00000000.{namespace}"), ("e", name)):
                session.add(CrawlLock(source_key=key, crawl_run_id=run_id, host=host,
                                      pid=child.pid, acquired_at=now, heartbeat_at=now))  # fmt: skip
            session.commit()
        # An earlier boot holds nothing; an untagged lock is judged by its PID, alive here.
        assert set(held_locks(archive, now, me)) == {"a", "b", "e"}
    assert child.stdin is not None
    child.stdin.close()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # it has ended, not reaped: a zombie
    try:
        assert set(held_locks(archive, now, me)) == {"b"}  # (and "e": its PID is gone)
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
    (tmp_path / "archive.sqlite3").touch()
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
        (tmp_path / "archive.sqlite3").touch()
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
    db.touch()  # an empty database, as an admin makes one for the nodes
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
        (["--node", "a/b=http://x:1"], "node name 'a/b' must start with a letter"),
        (["--node", "..=http://x:1"], "node name '..' must start with a letter"),
        (["--node", f"http://{'h' * 70}:1"], "must start with a letter or digit and hold only"),
        (["--node", "http://kgnews:secret@x:99999"], "'http://kgnews:***@x:99999' is not a"),
        (["--node", "http://x:1", "--setting", "DOWNLOAD_DELAY"], "--setting takes NAME=VALUE"),
        (
            ["--node", "http://x:1", "--setting", "KGNEWS_DATABASE_URL=postgresql://u:secret@h/db"],
            "holds a password, and Scrapyd logs a job's settings",
        ),
        (["--node", "http://x:1", "--source", "nosuch"], "unknown source 'nosuch'"),
        (
            [
                "--node",
                "http://x:1",
                "--setting",
                "KGNEWS_DATABASE_URL=postgresql://u:secret@h:port/db",
            ],
            "holds a password",
        ),
        (
            [
                "--node",
                "http://x:1",
                "--setting",
                "KGNEWS_DATABASE_URL=postgresql://u@h/db?password=secret",
            ],
            "holds a password",
        ),
        (["--node", "http://x:1", "--setting", "KGNEWS_NODE=x"], "comes from its --node"),
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
        (tmp_path / "archive.sqlite3").touch()
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


def test_schedule_needs_the_nodes_archive_named_and_there(tmp_path: Path) -> None:
    """No ./kgnews.sqlite3 made up on the spot: it would be an archive of no node's, and
    every source would look free on every tick."""
    unnamed = run_kgnews("schedule", "--node", "http://127.0.0.1:1", cwd=tmp_path)
    assert_user_error(unnamed, "schedule needs the nodes' archive: give --db")
    missing = run_kgnews("schedule", "--db", str(tmp_path / "typo.sqlite3"), "--node", "http://x:1")
    assert_user_error(missing, "no archive at")
    assert list(tmp_path.iterdir()) == []


def test_a_setting_that_is_a_plain_path_is_passed_on(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite3"
    db.touch()
    result = run_kgnews("schedule", "--db", str(db), "--node", f"http://127.0.0.1:{free_port()}",
                        "--setting", "KGNEWS_DATABASE_URL=/srv/kgnews/a.sqlite3")  # fmt: skip
    assert result.returncode == 1 and "Traceback" not in result.stderr  # (no node up)


def test_a_queued_job_of_every_source_leaves_them_all_alone(
    tmp_path: Path, idle_node: ScrapydNode
) -> None:
    from urllib.request import urlopen

    body = b"project=kgnews&spider=news"  # no source argument: every source
    with urlopen(f"{idle_node.url}schedule.json", data=body, timeout=10) as answer:
        assert b'"ok"' in answer.read()
    db = tmp_path / "archive.sqlite3"
    db.touch()
    result = run_kgnews("schedule", "--db", str(db), "--node", f"idle={idle_node.url}")
    assert result.returncode == 0, result.stderr
    assert "queued job" not in result.stdout
    assert all(f"{key}: already queued on idle" in result.stdout for key in KEYS)


class FaultyScrapyd:
    """A peer that answers like Scrapyd until a chosen call, then hangs on it or redirects
    it elsewhere: what a real Scrapyd cannot be made to do on purpose."""

    def __init__(self, fault: str, elsewhere: str = "") -> None:
        import http.server
        import threading

        self.release = threading.Event()
        self.headers_seen: list[dict[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self) -> None:
                outer.headers_seen.append(dict(self.headers))
                if fault == "redirect" and self.path.startswith("/daemonstatus"):
                    self.send_response(302)
                    self.send_header("Location", elsewhere + self.path)
                    self.end_headers()
                    return
                if fault == "hang" and self.path.startswith("/schedule"):
                    outer.release.wait(60)  # longer than the client waits
                    return
                body = b'{"status": "ok", "jobid": "j1", "pending": [], "running": []}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_node_that_takes_too_long_to_queue_keeps_its_share_and_it_is_said(
    tmp_path: Path,
) -> None:
    """It may have queued the job: its sources are not given to the other node as well."""
    slow, other = FaultyScrapyd("hang"), FaultyScrapyd("none")
    db = tmp_path / "archive.sqlite3"
    db.touch()
    try:
        result = run_kgnews("schedule", "--db", str(db), "--timeout", "1",
                            "--node", f"slow={slow.url}", "--node", f"other={other.url}")  # fmt: skip
    finally:
        slow.close()
        other.close()
    assert result.returncode == 1, result.stderr
    assert "warning: node slow may have queued " in result.stderr
    slow_share = result.stderr.split("may have queued ")[1].split(";")[0].split(", ")
    (line,) = [line for line in result.stdout.splitlines() if "queued job" in line]
    assert line.startswith("other: queued job ")
    others = line.split(": ", 2)[2].split(", ")
    assert sorted(slow_share + others) == sorted(KEYS)  # each once: none twice


def test_a_redirect_is_not_followed_with_the_password(tmp_path: Path) -> None:
    elsewhere = FaultyScrapyd("none")
    node = FaultyScrapyd("redirect", elsewhere.url.rstrip("/"))
    db = tmp_path / "archive.sqlite3"
    db.touch()
    try:
        url = node.url.replace("http://", "http://kgnews:s3cret@")
        result = run_kgnews("schedule", "--db", str(db), "--node", f"n={url}")
    finally:
        node.close()
        elsewhere.close()
    assert result.returncode == 1 and "HTTP 302" in result.stderr
    assert node.headers_seen and "Authorization" in node.headers_seen[0]
    assert elsewhere.headers_seen == []  # never asked, so never told the password


def test_a_job_on_a_node_needs_its_archive_named_and_a_fit_name(tmp_path: Path) -> None:
    """`scrapy crawl news` as Scrapyd runs it: a node with no KGNEWS_DATABASE_URL would
    archive into a file of its own, where no other node sees its runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KGNEWS_", "SCRAPY"))}
    env["SCRAPY_SETTINGS_MODULE"] = "crawler.settings"  # as the egg's entry point says
    job_folder = tmp_path / "job"  # where Scrapyd starts a job: nothing may appear in it
    job_folder.mkdir()
    for settings, fragment in (
        (["-s", "KGNEWS_NODE=node-1"], "node node-1 has no archive: set KGNEWS_DATABASE_URL"),
        (["-s", "KGNEWS_NODE=../up", "-s", f"KGNEWS_DATABASE_URL=sqlite:///{tmp_path}/a.sqlite3"],
         "KGNEWS_NODE: node name '../up' must start with a letter"),
    ):  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "news", *settings], cwd=job_folder,
            env=env, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
        assert_user_error(result, fragment)
    assert list(job_folder.iterdir()) == [] and sorted(tmp_path.iterdir()) == [job_folder]


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="no PID namespaces here")
def test_another_pid_namespace_is_another_place_for_a_lock(tmp_path: Path) -> None:
    """A container that shares this host's name must not judge its locks by our PIDs."""
    import shutil

    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs unshare(1) as root")
    code = "from crawler.store.runs import host_identity; print(host_identity())"
    inside = subprocess.run([unshare, "--pid", "--fork", sys.executable, "-c", code],
                            capture_output=True, text=True, check=True)  # fmt: skip
    here = Holder.this_process().host
    assert inside.stdout.strip().split("#")[0] == here.split("#")[0]  # the same host name
    assert inside.stdout.strip() != here
