"""Two real Scrapyd nodes crawl every shipped source into one PostgreSQL archive, and one
of them dies mid-job.

The project egg (`kgnews egg`) is deployed to both with `scrapyd-deploy`, and
`kgnews schedule` shares the sources out. One article request of each node is held at
its mirror, so the test acts while both jobs are known to be mid-run: node A is killed
(SIGKILL to it and its jobs) once its run has written something, and a second
`kgnews schedule` gives A's sources to B while B's own are still locked by B's running
job. Then every mirror article must be archived exactly once, each site crawled by one
node at a time, A's run marked interrupted, and both nodes' WARC records readable once
their folders are gathered in one place.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import tomllib
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from crawler.cluster.assign import assign
from crawler.demo.build import TRANSPORT, mirror_routes
from crawler.demo.mirror import Mirror, MirrorServer
from crawler.sources.registry import load_registry
from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import Article, ArticleVersion, CrawlRun, Fetch, Source
from tests.cluster.nodes import WAIT_S, ScrapydNode, node_python, tool
from tests.conftest import fresh_database
from tests.crawl.harness import MIRRORS, GatedMirrorServer
from tests.helpers import run_kgnews

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPOSITORY = Path(__file__).resolve().parents[2]
SECRET = "node-only-secret"
QUEUED = re.compile(r"^(node-[ab]): queued job (\S+): (.+)$", re.M)


def expected_articles() -> dict[str, set[str]]:
    return {
        key: {
            a["url"] for a in tomllib.loads((MIRRORS / key / "mirror.toml").read_text())["articles"]
        }
        for key in load_registry().source_keys()
    }


def deploy_config(folder: Path, nodes: list[ScrapydNode]) -> Path:
    """The repository's scrapy.cfg with one [deploy:NAME] target per node, as a user keeps it."""
    config = configparser.ConfigParser()
    config.read(REPOSITORY / "scrapy.cfg", encoding="utf-8")
    for section in [s for s in config.sections() if s.startswith("deploy:")]:
        config.remove_section(section)
    for node in nodes:
        config[f"deploy:{node.name}"] = {"url": node.url}
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "scrapy.cfg").open("w", encoding="utf-8") as out:
        config.write(out)
    return folder


def queued(output: str) -> dict[str, tuple[str, set[str]]]:
    return {name: (job, set(keys.split(", "))) for name, job, keys in QUEUED.findall(output)}


def until_the_run_has_written(engine: Engine, node: str) -> int:
    """The node's run, once it has written at least one fetch (a bound, never reached when
    all is well, in place of a sleep)."""
    query = (
        select(CrawlRun.id, func.count(Fetch.id))
        .join(Fetch, Fetch.crawl_run_id == CrawlRun.id)
        .where(CrawlRun.node == node)
        .group_by(CrawlRun.id)
    )
    with engine.connect() as connection:
        for _ in range(200_000):
            row = connection.execute(query).first()
            if row is not None:
                return int(row[0])
    raise AssertionError(f"the run of {node} never wrote a fetch")


def test_two_nodes_archive_every_site_once_and_one_takes_over_a_dead_ones_sources(
    tmp_path: Path,
) -> None:
    registry = load_registry()
    keys = registry.source_keys()
    plan = {name: set(share) for name, share in assign(keys, ["node-a", "node-b"]).items()}
    assert plan["node-a"] and plan["node-b"]
    expected = expected_articles()
    held = {}  # node → (its source whose article request the mirror holds, that path)
    for name, share in plan.items():
        key = sorted(share)[0]
        held[name] = (key, urlsplit(sorted(expected[key])[0]).path)

    with fresh_database("postgresql", tmp_path) as db, ExitStack() as stack:
        mirrors = {key: Mirror.load(MIRRORS / key) for key in keys}
        servers: dict[str, MirrorServer] = {}
        for key, mirror in mirrors.items():
            plain = replace(mirror, origins=())  # links keep the sites' own URLs
            gate = next((path for k, path in held.values() if k == key), None)
            server = GatedMirrorServer(plain, gate) if gate else MirrorServer(plain)
            servers[key] = stack.enter_context(server)
        routes = mirror_routes(registry.select([]), mirrors, servers)
        job_settings = [
            "--setting", "DOWNLOAD_HANDLERS=" + json_of({"http": TRANSPORT, "https": TRANSPORT}),
            "--setting", "KGNEWS_MIRROR_ROUTES=" + json_of(routes),
            "--setting", "KGNEWS_EXTRACT_WORKERS=1",
        ]  # fmt: skip

        python = node_python(tmp_path)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KGNEWS_", "SCRAPY"))}
        # The node's own environment, never a job argument; with a password (the server
        # trusts loopback and ignores it) that must appear in no log.
        env["KGNEWS_DATABASE_URL"] = (
            make_url(db).set(password=SECRET).render_as_string(hide_password=False)
        )
        a, b = (ScrapydNode(name, tmp_path / name, python, env) for name in ("node-a", "node-b"))
        for node in (a, b):
            stack.callback(node.stop)
            node.start()
        bare = subprocess.run([str(python), "-c", "import crawler.settings"], env=env, check=False,
                              capture_output=True, text=True)  # fmt: skip
        assert bare.returncode != 0, "the nodes must get kgnews from the egg alone"

        egg = tmp_path / "kgnews.egg"
        built = run_kgnews("egg", "-o", str(egg))
        assert built.returncode == 0, built.stderr
        deployed = subprocess.run(
            [tool("scrapyd-deploy"), "-a", "--egg", str(egg), "-v", "0.2.0.1"],
            cwd=deploy_config(tmp_path / "deploy", [a, b]), capture_output=True, text=True,
            env=env, check=False, timeout=WAIT_S,
        )  # fmt: skip
        assert deployed.returncode == 0 and deployed.stdout.count('"spiders": 1') == 2, (
            deployed.stdout + deployed.stderr
        )

        nodes = ["--node", f"node-a={a.url}", "--node", f"node-b={b.url}"]
        first = run_kgnews("schedule", "--db", db, *nodes, *job_settings)
        assert first.returncode == 0, first.stdout + first.stderr
        first_jobs = queued(first.stdout)
        assert {name: share for name, (_, share) in first_jobs.items()} == plan

        for name, (key, _) in held.items():  # both jobs are mid-run
            assert isinstance(servers[key], GatedMirrorServer)
            assert servers[key].arrived.wait(WAIT_S), f"{name}'s job never asked for {key}"
        engine = make_engine(resolve_url(db))
        stack.callback(engine.dispose)
        dead_run = until_the_run_has_written(engine, "node-a")
        a.kill()
        servers[held["node-a"][0]].gate.set()  # (its request went with the node)
        with Session(engine) as session:
            assert session.get(CrawlRun, dead_run).status == "running"  # died mid-job

        second = run_kgnews("schedule", "--db", db, *nodes, *job_settings)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "warning: node node-a got nothing" in second.stderr
        second_jobs = queued(second.stdout)
        assert {name: share for name, (_, share) in second_jobs.items()} == {
            "node-b": plan["node-a"]
        }
        for key in plan["node-b"]:  # B's job still holds them: left alone
            assert re.search(rf"^{key}: already being crawled \(run \d+", second.stdout, re.M)

        servers[held["node-b"][0]].gate.set()
        b.wait_for_jobs({first_jobs["node-b"][0], second_jobs["node-b"][0]})

        with Session(engine) as session:
            runs = {run.id: run for run in session.scalars(select(CrawlRun))}
            articles = session.execute(
                select(Article.url, func.count(ArticleVersion.id))
                .join(ArticleVersion, ArticleVersion.article_id == Article.id)
                .group_by(Article.url)
            ).all()
            fetches = session.execute(
                select(Source.key, Fetch.article_id, Fetch.outcome, Fetch.crawl_run_id,
                       Fetch.fetched_at, Fetch.warc_file)
                .join(Source, Source.id == Fetch.source_id)
            ).all()  # fmt: skip
        engine.dispose()

        # Every mirror article once, in one version, written as new once.
        everything = set().union(*expected.values())
        assert {url for url, _ in articles} == everything
        assert all(count == 1 for _, count in articles), articles
        news = Counter(article for _, article, outcome, *_ in fetches if outcome == "new")
        assert len(news) == len(everything) and set(news.values()) == {1}

        # Runs: A's marked interrupted; B's first its own share, its second A's share.
        by_node = defaultdict(list)
        for run in sorted(runs.values(), key=lambda r: r.id):
            by_node[run.node].append(run)
        assert set(by_node) == {"node-a", "node-b"}
        (dead,) = by_node["node-a"]
        assert dead.id == dead_run and dead.status == "interrupted"
        assert set(dead.sources) == plan["node-a"]
        assert [set(r.sources) for r in by_node["node-b"]] == [plan["node-b"], plan["node-a"]]
        assert all(r.status == "finished" for r in by_node["node-b"])
        takeover = by_node["node-b"][1]
        # One node per site at a time: B's sites by B alone; A's by A, then by B after it.
        for key, _, _, run_id, fetched_at, _ in fetches:
            node = runs[run_id].node
            if key in plan["node-b"]:
                assert node == "node-b", key
            elif node == "node-a":
                assert fetched_at < takeover.started_at, key
            else:
                assert run_id == takeover.id, key

        for node in (a, b):
            logs = [p.read_text("utf-8") for p in (node.folder / "logs").rglob("*.log")]
            assert logs and not any(SECRET in text for text in [*logs, *node.seen])

        # Each node's records are in its own folder, and the places say which.
        folders = {str(warc).split("/")[0] for *_, warc in fetches if warc}
        assert folders == {"node-a", "node-b"}
        union = tmp_path / "collected-warc"
        for node in (a, b):
            shutil.copytree(node.warc_dir, union, dirs_exist_ok=True)
        verified = run_kgnews("verify", "--warc", "--warc-dir", str(union), "--db", db)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        indexed = run_kgnews("warc", "index", "--warc-dir", str(union), "--db", db)
        assert indexed.returncode == 0, indexed.stdout + indexed.stderr
        reread = run_kgnews("reextract", "--warc-dir", str(union), "--db", db)
        assert reread.returncode == 0, reread.stdout + reread.stderr
        assert f"{len(everything)} pages re-read: 0 new versions" in reread.stdout
        index = (union / "index.cdxj").read_text(encoding="utf-8")
        assert '"filename": "node-a/' in index and '"filename": "node-b/' in index


def json_of(value: object) -> str:
    import json

    return json.dumps(value, separators=(",", ":"))
