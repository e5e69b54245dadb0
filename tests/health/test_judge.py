"""The health rules, one at a time: each warns when a source breaks from its own history,
and stays quiet just short of its threshold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crawler.health.judge import Numbers, Past, Thresholds, warnings

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
LIMITS = Thresholds()
HEALTHY = Numbers(
    key="sputnik",
    measured_at=NOW,
    links_found=40,
    pages_fetched=10,
    outcomes={"new": 6, "unchanged": 4},
    body_selector="div.article__body",
    selector_pages=10,
    selector_hits=10,
    words=[300, 320, 280, 350, 310, 290, 305, 330, 315, 295],
    languages={"ky": 10},
    last_new_at=NOW - timedelta(hours=2),
    usual_gap=timedelta(hours=1),
)
PAST = Past(selector_shares=[1.0, 1.0], median_words=[300.0, 310.0], links_found=[38, 41])


def test_a_healthy_source_raises_nothing() -> None:
    assert warnings(HEALTHY, PAST, LIMITS) == []


def test_bodies_that_shrink_by_half_are_flagged() -> None:
    shrunk = replace(HEALTHY, words=[140] * 10)
    (line,) = warnings(shrunk, PAST, LIMITS)
    assert line.startswith("bodies shrank: median 140 words, 305 in earlier runs")
    assert warnings(replace(HEALTHY, words=[160] * 10), PAST, LIMITS) == []  # 0.52 of before
    assert warnings(replace(shrunk, words=[140] * 2), PAST, LIMITS) == []  # too few pages


def test_everything_refused_is_flagged_with_its_commonest_reason() -> None:
    refused = replace(
        HEALTHY,
        outcomes={"error": 5},
        pages_fetched=5,
        refusals={"article: HTTP 403": 4, "article: HTTP 500": 1},
        words=[],
        selector_pages=0,
        languages={},
    )
    (line,) = warnings(refused, PAST, LIMITS)
    assert line == "all 5 article pages refused, most often: article: HTTP 403"
    one_of_many = replace(refused, outcomes={"error": 5, "not_modified": 1}, pages_fetched=6)
    assert warnings(one_of_many, PAST, LIMITS) == []


def test_pages_in_another_language_are_flagged() -> None:
    russian = replace(HEALTHY, languages={"ru": 6, "ky": 4})
    (line,) = warnings(russian, PAST, LIMITS)
    assert line.startswith("6 of 10 pages not in ky (ru 6)")
    assert warnings(replace(HEALTHY, languages={"ru": 4, "ky": 6}), PAST, LIMITS) == []


def test_a_site_that_redirects_elsewhere_is_flagged_with_the_host() -> None:
    moved = replace(HEALTHY, off_site_redirects={"new-site.kg": 7})
    (line,) = warnings(moved, PAST, LIMITS)
    assert line.startswith("7 article pages redirect to new-site.kg")
    assert warnings(replace(HEALTHY, off_site_redirects={"x.kg": 4}), PAST, LIMITS) == []


def test_discovery_that_finds_nothing_after_finding_links_is_flagged() -> None:
    (line,) = warnings(replace(HEALTHY, links_found=0), PAST, LIMITS)
    assert line.startswith("discovery found no article links (the run before: 41)")
    assert warnings(replace(HEALTHY, links_found=0), Past(), LIMITS) == []  # no history


def test_thresholds_come_from_settings_and_refuse_words() -> None:
    values = {"KGNEWS_HEALTH_SHRINK_FACTOR": "0.3", "KGNEWS_HEALTH_MIN_PAGES": "5"}
    limits = Thresholds.from_settings(lambda name, default: values.get(name, default))
    assert (limits.shrink_factor, limits.min_pages) == (0.3, 5)
    with pytest.raises(ValueError, match="KGNEWS_HEALTH_SELECTOR_MIN_SHARE='half'"):
        Thresholds.from_settings(lambda name, default: "half")
