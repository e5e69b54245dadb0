"""The schedulers people already use: the systemd units are valid, and the cron line's
command works (pointed at a loopback mirror instead of the internet)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.store.engine import make_engine, resolve_url
from crawler.store.models import Article
from tests.crawl.harness import FIXTURES, serving, user_sources_file

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
KGNEWS = str(Path(sys.executable).with_name("kgnews"))


def installed_copy(name: str, tmp_path: Path) -> Path:
    """A unit file as an admin would install it here: the venv's kgnews, a real directory."""
    text = (DEPLOY / name).read_text(encoding="utf-8")
    text = (
        text.replace("/opt/kgnews/.venv/bin/kgnews", KGNEWS)
        .replace("/opt/kgnews/.venv/bin/scrapyd", str(Path(sys.executable).with_name("scrapyd")))
        .replace("/var/lib/kgnews", str(tmp_path))
    )
    target = tmp_path / name
    target.write_text(text, encoding="utf-8")
    return target


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_systemd_units_verify(tmp_path: Path) -> None:
    units = [
        installed_copy(name, tmp_path) for name in ("kgnews-crawl.service", "kgnews-crawl.timer")
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_timer_starts_the_service_and_the_service_crawls() -> None:
    service = (DEPLOY / "kgnews-crawl.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "kgnews-crawl.timer").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=/opt/kgnews/\.venv/bin/kgnews crawl\b", service, re.M)
    assert "Type=oneshot" in service
    assert "OnUnitActiveSec=15min" in timer and "WantedBy=timers.target" in timer
    assert "Unit=" not in timer  # it starts the service of its own name


@pytest.mark.skipif(shutil.which("flock") is None, reason="flock is not installed")
def test_the_cron_lines_command_works(tmp_path: Path) -> None:
    line = next(
        line for line in (DEPLOY / "kgnews.cron").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and "=" not in line.split()[0]
    )  # fmt: skip
    fields = line.split(None, 6)
    assert fields[:5] == ["*/15", "*", "*", "*", "*"] and fields[5] == "kgnews"
    site = FIXTURES / "user-site"
    with serving(site) as (server,):
        sources = user_sources_file(tmp_path, server.origin)
        run, redirect = fields[6].split(" >> ", 1)
        extra = f" --sources {sources} -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False"
        command = f"{run}{extra} >> {redirect}"  # the mirror instead of the internet
        command = command.replace("/opt/kgnews/.venv/bin/kgnews", KGNEWS).replace(
            "/var/lib/kgnews", str(tmp_path)
        )
        db = tmp_path / "kgnews.sqlite3"
        result = subprocess.run(
            ["sh", "-c", command], capture_output=True, text=True, check=False,
            env={"PATH": "/usr/bin:/bin", "KGNEWS_DATABASE_URL": f"sqlite:///{db}"},
        )  # fmt: skip
    assert result.returncode == 0, (
        result.stdout,
        result.stderr,
        (tmp_path / "crawl.log").read_text(),
    )
    assert "example" in (tmp_path / "crawl.log").read_text()  # the summary went to the log
    engine = make_engine(resolve_url(str(db)))
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 3


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)
def test_the_cluster_units_verify(tmp_path: Path) -> None:
    units = [
        installed_copy(name, tmp_path)
        for name in ("scrapyd.service", "kgnews-schedule.service", "kgnews-schedule.timer")
    ]
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_node_config_names_only_what_scrapyd_reads() -> None:
    """A misspelt option in scrapyd.conf is silently ignored: each must be one of Scrapyd's."""
    import configparser
    from pkgutil import get_data

    known = configparser.ConfigParser()
    known.read_string((get_data("scrapyd", "default_scrapyd.conf") or b"").decode())
    ours = configparser.ConfigParser()
    ours.read(DEPLOY / "scrapyd.conf", encoding="utf-8")
    assert set(ours["scrapyd"]) <= set(known["scrapyd"])
    assert ours["scrapyd"]["bind_address"] not in ("0.0.0.0", "::")  # never every interface
    assert ours["scrapyd"]["username"] and ours["scrapyd"]["password"]


def test_the_schedule_timer_runs_kgnews_schedule_over_named_nodes() -> None:
    from crawler.cluster.scrapyd import Node

    service = (DEPLOY / "kgnews-schedule.service").read_text(encoding="utf-8")
    timer = (DEPLOY / "kgnews-schedule.timer").read_text(encoding="utf-8")
    (line,) = re.findall(r"^ExecStart=(.+)$", service, re.M)
    words = line.split()
    assert words[:2] == ["/opt/kgnews/.venv/bin/kgnews", "schedule"]
    nodes = [Node.parse(words[i + 1]) for i, word in enumerate(words) if word == "--node"]
    assert len(nodes) >= 2 and len({node.name for node in nodes}) == len(nodes)
    assert "Type=oneshot" in service and "OnUnitActiveSec=15min" in timer
    node_unit = (DEPLOY / "scrapyd.service").read_text(encoding="utf-8")
    assert re.search(r"^ExecStart=/opt/kgnews/\.venv/bin/scrapyd$", node_unit, re.M)
    assert re.search(r"^EnvironmentFile=/etc/kgnews/node.env$", node_unit, re.M)
