"""The project egg: what it holds, and that kgnews runs from it alone, data files and
migrations included, in a Python that has kgnews's dependencies but not kgnews."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from crawler.cluster.egg import build_egg
from tests.cluster.nodes import node_python
from tests.helpers import assert_user_error, run_kgnews

FROM_THE_EGG = """
import sys
sys.path.append(sys.argv[1])  # as Scrapyd's runner activates an egg: at the end of the path
import crawler
from crawler.sources.registry import load_registry
from crawler.store.engine import make_engine, resolve_url
from crawler.store.migrate import current_revision, head_revision, upgrade
print(crawler.__path__[0])
print(len(load_registry().source_keys()))
engine = make_engine(resolve_url(sys.argv[2]))
upgrade(engine)
print(current_revision(engine) == head_revision())
"""


def test_the_egg_holds_the_code_the_registry_and_the_migrations(tmp_path: Path) -> None:
    egg = build_egg(tmp_path / "kgnews.egg")
    names = set(zipfile.ZipFile(egg.path).namelist())
    assert "EGG-INFO/entry_points.txt" in names
    entry_points = zipfile.ZipFile(egg.path).read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = crawler.settings" in entry_points  # what Scrapyd reads
    assert {"crawler/settings.py", "crawler/spiders/news.py", "crawler/sources/kyrgyz.toml",
            "crawler/_migrations/env.py", "crawler/_docs/queries.sql"} <= names  # fmt: skip
    assert any(name.startswith("crawler/_migrations/versions/0010_") for name in names)
    assert not any("__pycache__" in name or name.startswith("crawler/_mirrors") for name in names)
    again = build_egg(tmp_path / "again.egg")
    assert again.sha256 == egg.sha256  # the same code, the same bytes


def test_kgnews_runs_from_the_egg_alone(tmp_path: Path) -> None:
    egg = build_egg(tmp_path / "kgnews.egg")
    python = node_python(tmp_path)
    cache = tmp_path / "cache"
    env = {"KGNEWS_EGG_CACHE": str(cache), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    bare = subprocess.run([str(python), "-c", "import crawler.settings"], env=env,
                          capture_output=True, check=False)  # fmt: skip
    assert bare.returncode != 0  # no kgnews in this Python but the egg
    db = f"sqlite:///{tmp_path}/archive.sqlite3"
    for _ in range(2):  # unpacked once, then used as it is
        ran = subprocess.run([str(python), "-c", FROM_THE_EGG, str(egg.path), db], env=env,
                             capture_output=True, text=True, check=False)  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        where, sources, migrated = ran.stdout.split()
        assert Path(where).parent.parent == cache and Path(where).name == "crawler"
        assert int(sources) >= 9 and migrated == "True"
    assert [p.name for p in cache.iterdir()] == [Path(where).parent.name]  # no half copies


def test_egg_into_a_folder_is_one_line(tmp_path: Path) -> None:
    assert_user_error(run_kgnews("egg", "-o", str(tmp_path)), "is a directory")


def test_an_egg_cache_others_may_write_to_is_refused(tmp_path: Path) -> None:
    """Code found in the cache is run: a folder another user could plant it in is not used."""
    egg = build_egg(tmp_path / "kgnews.egg")
    python = node_python(tmp_path)
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    cache.chmod(0o777)
    env = {"KGNEWS_EGG_CACHE": str(cache), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    ran = subprocess.run([str(python), "-c", FROM_THE_EGG, str(egg.path), "sqlite://"], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert ran.returncode != 0
    assert "must belong to this user and be writable by no other" in ran.stderr
    assert list(cache.iterdir()) == []
