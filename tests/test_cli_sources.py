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


OTHER = """
[[sources]]
key = "other"
name = "Other News"
language = "ky"
listings = ["https://other.kg/news"]
article_pattern = "^/news/(?P<id>\\\\d+)$"
"""


def errors_of(tmp_path: Path, text: str) -> list[str]:
    file = tmp_path / "mine.toml"
    file.write_text(text, encoding="utf-8")
    result = run_kgnews("sources", "check", str(file))
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.replace(str(tmp_path) + "/", "").strip().splitlines()
    assert all(line.startswith("kgnews: error: mine.toml:") for line in lines), lines
    return [line.removeprefix("kgnews: error: ") for line in lines]


def test_every_mistake_in_a_file_is_reported_in_one_run(tmp_path: Path) -> None:
    text = GOOD.replace('language = "ky"', 'language = "Kyrgyz"').replace(
        'name = "Example News"', 'name = "Example News"\nbody_selector = "div[["'
    ) + OTHER.replace("concurrency", "").replace('name = "Other News"', 'delay = -1\nname = "x"')
    lines = errors_of(tmp_path, text)
    assert len(lines) == 3, lines
    assert lines[0].startswith("mine.toml:5:") and "invalid CSS selector" in lines[0]
    assert lines[1].startswith("mine.toml:6:") and "language must be" in lines[1]
    assert lines[2].startswith("mine.toml:12:") and "delay must be" in lines[2]


def test_a_host_named_by_two_sources_is_refused(tmp_path: Path) -> None:
    second = OTHER.replace(
        'listings = ["https://other.kg/news"]',
        ('listings = ["https://other.kg/news"]\nhosts = ["www.example.kg"]'),
    )
    (line,) = errors_of(tmp_path, GOOD + second)
    assert line.startswith("mine.toml:14:"), line
    assert "host example.kg is already 'example''s" in line


def test_a_pattern_that_can_never_match_a_path_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace('"/kg/news/(?P<id>\\\\d+)"', '"^kg/news/(?P<id>\\\\d+)"')
    (line,) = errors_of(tmp_path, text)
    assert line.startswith("mine.toml:7:") and "can never match" in line, line
    assert "'^/kg/news/" in line


def test_an_example_url_the_entry_does_not_take_is_refused(tmp_path: Path) -> None:
    text = GOOD + 'examples = ["https://example.kg/kg/news/12", "https://example.kg/ru/news/12",'
    text += ' "https://elsewhere.kg/kg/news/12"]\n'
    lines = errors_of(tmp_path, text)
    assert len(lines) == 2, lines
    assert "https://example.kg/ru/news/12 does not match article_pattern" in lines[0]
    assert "https://elsewhere.kg/kg/news/12 is not on example's hosts" in lines[1]
