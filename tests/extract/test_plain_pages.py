"""Where there is nothing to clean, the clean-up costs nothing: on pages that are not
news carousels and repeat nothing, every paragraph bare trafilatura keeps is kept.

Two differences are by design and excluded: the title line (kgnews stores the title
in its own field, not as the body's first line), and reader comments (kgnews asks
trafilatura for the article only, so bare trafilatura runs without comments too).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura

from crawler.extract.normalize import match_key
from crawler.extract.pipeline import extract_article

PLAIN = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "plain").glob("*.html"))


@pytest.mark.parametrize("page", PLAIN, ids=[p.stem for p in PLAIN])
def test_every_paragraph_bare_trafilatura_keeps(page: Path) -> None:
    html = page.read_bytes()
    url = f"https://example.kg/{page.stem}"
    article = extract_article(html, url)
    bare = (trafilatura.extract(html, url=url, include_comments=False) or "").splitlines()
    ours = "\n".join(match_key(p) for p in article.paragraphs)
    title = match_key(article.title)
    missing = [
        line
        for line in bare
        if match_key(line) and match_key(line) != title and match_key(line) not in ours
    ]
    assert missing == []
    assert len(bare) >= 5  # the page really has text to keep


def test_there_are_plain_pages_of_several_kinds() -> None:
    assert {p.stem for p in PLAIN} >= {
        "plain-blog",
        "plain-faq",
        "plain-wiki",
        "plain-news",
        "plain-english",
        "plain-russian",
    }
