"""`kgnews sources try`: what an entry's rules make of one page, beside the generic path.

For a user repairing an entry after a redesign: which of its selectors still match the
page, what the rules extract (title, date, first paragraphs) and what the generic
extraction finds without them, and the paragraphs only one of the two keeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crawler.extract.article import Article
from crawler.extract.decode import decode_html
from crawler.extract.errors import NoArticle
from crawler.extract.html_cleanup import parse_html, select
from crawler.extract.pipeline import extract_article
from crawler.extract.rules import NO_RULES
from crawler.sources.model import Source


@dataclass(frozen=True)
class Outcome:
    """One extraction of the page: the article, or why there is none."""

    article: Article | None
    refusal: str | None = None


@dataclass(frozen=True)
class Trial:
    url: str
    article_id: str | None
    """The id the entry gives the URL; None when its pattern or hosts do not take it."""
    selectors: list[tuple[str, str, int]] = field(default_factory=list)
    """(field, CSS selector, elements it matches on the page)."""
    rules: Outcome = Outcome(None)
    generic: Outcome = Outcome(None)

    def only_in(self, which: str) -> list[str]:
        """Paragraphs only the rules (`which` = "rules") or only the generic path keep."""
        mine, other = (self.rules, self.generic) if which == "rules" else (self.generic, self.rules)
        if mine.article is None:
            return []
        theirs = set(other.article.paragraphs) if other.article else set()
        return [p for p in mine.article.paragraphs if p not in theirs]


def try_entry(
    source: Source,
    data: bytes,
    url: str,
    content_type: str | None = None,
    *,
    assume_article: bool = False,
) -> Trial:
    """The entry's rules and the generic path, each on the page `data` fetched from `url`.
    `assume_article`: judge the page as an article although `url` is not the site's (a
    saved file whose address is not known)."""
    root = parse_html(decode_html(data, content_type)[0])
    rules = source.rules
    fields = [
        ("body_selector", rules.body_selector),
        ("title_selector", rules.title_selector),
        ("lead_selector", rules.lead_selector),
        ("date_selector", rules.date_selector),
        ("author_selector", rules.author_selector),
        *[("drop_selectors", css) for css in rules.drop_selectors],
    ]
    selectors = [(name, css, len(select(root, css))) for name, css in fields if css]
    return Trial(
        url=url,
        article_id=source.article_id(url),
        selectors=selectors,
        rules=_extract(data, url, source, content_type, True, assume_article),
        generic=_extract(data, url, source, content_type, False, assume_article),
    )


def _extract(
    data: bytes,
    url: str,
    source: Source,
    content_type: str | None,
    with_rules: bool,
    assume_article: bool,
) -> Outcome:
    try:
        article = extract_article(
            data,
            url,
            source.rules if with_rules else NO_RULES,
            content_type,
            known_article=assume_article or source.article_id(url) is not None,
        )
    except NoArticle as exc:
        return Outcome(None, str(exc))
    return Outcome(article)
