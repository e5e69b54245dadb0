"""`kgnews sources try KEY PAGE`: an entry's rules beside the generic path, on a saved page
and on a page served on loopback (a mirror), as a user repairing an entry would run it."""

from __future__ import annotations

from pathlib import Path

from crawler.demo.mirror import Mirror, MirrorServer
from tests.crawl.harness import MIRRORS
from tests.helpers import assert_user_error, run_kgnews

PAGE = MIRRORS / "azattyk" / "a" / "32981204.html"
URL = "https://www.azattyk.org/a/32981204.html"


def test_a_saved_page_shows_selectors_and_both_extractions() -> None:
    result = run_kgnews("sources", "try", "azattyk", str(PAGE), "--url", URL)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"azattyk (Азаттык): {URL}" in out
    assert "article_pattern/hosts: an article, id 32981204" in out
    assert "body_selector    '#article-content .wsw': matches 1" in out
    assert "drop_selectors   '.wsw__embed': matches 1" in out  # the box the rules drop
    assert out.index("with the entry's rules:") < out.index("generic:")
    assert "fallback" not in out


def test_a_redesigned_page_says_which_selector_missed(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        PAGE.read_text(encoding="utf-8").replace('<div class="wsw">', '<div class="story">')
    )
    out = run_kgnews("sources", "try", "azattyk", str(page), "--url", URL).stdout
    assert "body_selector    '#article-content .wsw': MATCHES NOTHING" in out
    assert "fallback: body_selector '#article-content .wsw' matched nothing" in out


def test_a_page_on_a_mirror_url() -> None:
    with MirrorServer(Mirror.load(MIRRORS / "azattyk")) as server:
        result = run_kgnews("sources", "try", "azattyk", f"{server.origin}/a/32981204.html")
    assert result.returncode == 0, result.stderr
    assert "body_selector    '#article-content .wsw': matches 1" in result.stdout
    # The mirror's loopback address is not the site's: the entry says it would not take it.
    assert "NOT an article of this source" in result.stdout


def test_a_page_that_is_not_there(tmp_path: Path) -> None:
    assert_user_error(
        run_kgnews("sources", "try", "azattyk", str(tmp_path / "nope.html")), "no such file"
    )
    with MirrorServer(Mirror.load(MIRRORS / "azattyk")) as server:
        missing = run_kgnews("sources", "try", "azattyk", f"{server.origin}/a/1.html")
    assert_user_error(missing, "HTTP 404")
