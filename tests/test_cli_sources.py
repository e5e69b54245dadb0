"""`kgnews sources list` and `kgnews sources check`: the registry, and users' own files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import assert_user_error, run_kgnews

GOOD = """
[[sources]]
key = "example"
name = "Example News"
language = "ky"
feeds = ["https://example.kg/rss"]
article_pattern = "/kg/news/(?P<id>\\\\d+)"
"""


def test_list_shows_at_least_eight_kyrgyz_sources() -> None:
    result = run_kgnews("sources", "list")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    keys = {row.split("│")[1].strip() for row in rows}
    assert {
        "azattyk",
        "bbc",
        "sputnik",
        "24kg",
        "kabar",
        "super",
        "kloop",
        "ktrk",
        "turmush",
    } <= keys
    assert all("│ ky " in row for row in rows)


def test_check_accepts_a_good_file(tmp_path: Path) -> None:
    file = tmp_path / "mine.toml"
    file.write_text(GOOD, encoding="utf-8")
    result = run_kgnews("sources", "check", str(file))
    assert result.returncode == 0
    assert "1 sources, all valid: example" in result.stdout


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (('language = "ky"', 'language = "Kyrgyz"'), 5, "language must be a language code"),
        (
            ('feeds = ["https://example.kg/rss"]', 'feeds = ["example.kg/rss"]'),
            6,
            "feeds must be a list of http(s) URLs",
        ),
        (("(?P<id>", "(?P<id"), 7, "not a valid regular expression"),
        (
            ('name = "Example News"', 'name = "Example News"\nbdy_selector = ".x"'),
            5,
            "did you mean 'body_selector'",
        ),
        (
            ('name = "Example News"', 'name = "Example News"\nbody_selector = "div[["'),
            5,
            "invalid CSS selector",
        ),
        (  # one selector; a list would pass here and break extraction later
            ('name = "Example News"', 'name = "Example News"\nbody_selector = [".a", ".b"]'),
            5,
            "body_selector must be one CSS selector, not a list",
        ),
        (
            ('name = "Example News"', 'name = "Example News"\ndelay = -1'),
            5,
            "delay must be seconds",
        ),
        (('key = "example"', 'key = "Example Site"'), 3, "key must be a slug"),
        (('language = "ky"', 'language = "ky'), 5, "not valid TOML"),
    ],
)
def test_check_names_the_wrong_line(
    tmp_path: Path, change: tuple[str, str], line: int, fragment: str
) -> None:
    file = tmp_path / "mine.toml"
    file.write_text(GOOD.replace(*change), encoding="utf-8")
    assert_user_error(run_kgnews("sources", "check", str(file)), f"mine.toml:{line}:", fragment)


def test_check_duplicate_keys_and_missing_fields(tmp_path: Path) -> None:
    file = tmp_path / "mine.toml"
    file.write_text(GOOD + GOOD, encoding="utf-8")
    assert_user_error(run_kgnews("sources", "check", str(file)), "mine.toml:10:", "used twice")
    file.write_text(GOOD.replace('feeds = ["https://example.kg/rss"]\n', ""), encoding="utf-8")
    assert_user_error(
        run_kgnews("sources", "check", str(file)), "mine.toml:2:", "no feeds, sitemaps or listings"
    )


def test_check_a_file_that_is_not_there(tmp_path: Path) -> None:
    assert_user_error(
        run_kgnews("sources", "check", str(tmp_path / "nope.toml")), "no such sources file"
    )


def test_the_shipped_registry_checks_clean() -> None:
    from crawler.sources.registry import SHIPPED

    result = run_kgnews("sources", "check", str(SHIPPED))
    assert result.returncode == 0, result.stderr
