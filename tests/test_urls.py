"""What the crawler asks for: a link without its tracking parameters, otherwise as given."""

from __future__ import annotations

import pytest

from crawler.urls import without_tracking


@pytest.mark.parametrize(
    ("link", "asked"),
    [
        (
            "https://kabar.kg/news/102?utm_source=rss&utm_medium=feed",
            "https://kabar.kg/news/102",
        ),
        ("https://kabar.kg/news/102?fbclid=IwAR0x&page=2", "https://kabar.kg/news/102?page=2"),
        # the rest keeps its order, and a link without tracking is left exactly as it was
        ("https://kabar.kg/?z=1&id=7&utm_campaign=x", "https://kabar.kg/?z=1&id=7"),
        ("https://kabar.kg/news/102?b=2&a=1#top", "https://kabar.kg/news/102?b=2&a=1#top"),
        ("https://kabar.kg/search?q=%d0%b0+b", "https://kabar.kg/search?q=%d0%b0+b"),
        ("https://kabar.kg/news/102", "https://kabar.kg/news/102"),
    ],
)
def test_tracking_parameters_are_not_requested(link: str, asked: str) -> None:
    assert without_tracking(link) == asked


def test_a_sources_own_tracking_parameter_is_dropped_too() -> None:
    assert without_tracking("https://24.kg/x/?from=main&id=1", ["from"]) == "https://24.kg/x/?id=1"


def test_a_template_is_filled_only_from_a_branch_with_an_id() -> None:
    import re

    from crawler.sources.model import Source

    source = Source(
        key="x", name="X", language="ky", base_url="https://x.kg/",
        article_pattern=re.compile(r"^/(?:a/(?P<id>\d+)|old-\d+)$"),
        canonical_template="https://x.kg/a/{id}",
    )  # fmt: skip
    assert source.canonical_for("https://x.kg/a/7") == "https://x.kg/a/7"
    assert source.canonical_for("https://x.kg/old-5") == "https://x.kg/old-5"  # not a/https:/…
