"""Reading sources files: TOML in, checked Sources out, or an error that names the line.

A file holds `[[sources]]` tables (see crawler/sources/kyrgyz.toml and docs/sources.md).
Every mistake is reported as "FILE:LINE: what is wrong", the line being the one of
the field at fault, or of its `[[sources]]` header.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.errors import UserError
from crawler.extract.html_cleanup import compile_selector
from crawler.extract.rules import DEFAULT_TIMEZONE, ExtractionRules
from crawler.sources.model import RevisitPolicy, Source
from crawler.urls import bare_host

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_SELECTOR_FIELDS = (
    "body_selector", "title_selector", "lead_selector", "date_selector", "author_selector",
    "link_selector", "next_page_selector",
)  # fmt: skip
FIELDS = {
    "key", "name", "language", "base_url", "feeds", "sitemaps", "listings", "article_pattern",
    "body_selector", "drop_selectors", "drop_paragraphs", "title_selector", "lead_selector",
    "date_selector", "author_selector", "delay", "concurrency", "link_selector",
    "next_page_selector", "max_listing_pages", "tracking_params", "trailing_slash",
    "canonical_template", "hosts", "timezone", "user_agent", "revisit", "examples",
}  # fmt: skip


class SourcesError(UserError):
    """A sources file that cannot be used; the message starts with FILE:LINE."""


@dataclass
class _Context:
    name: str
    lines: list[str]
    header_lines: list[int]

    def line_of(self, index: int, field: str | None = None) -> int:
        start = self.header_lines[index] if index < len(self.header_lines) else 1
        end = (
            self.header_lines[index + 1]
            if index + 1 < len(self.header_lines)
            else len(self.lines) + 1
        )
        if field:
            pattern = re.compile(rf"^\s*{re.escape(field)}\s*=")
            for number in range(start, end):
                if pattern.match(self.lines[number - 1]):
                    return number
        return start

    def error(self, index: int, field: str | None, message: str) -> tuple[int, str]:
        """(line, "FILE:LINE: message") for a mistake in entry `index`'s `field`."""
        line = self.line_of(index, field)
        return line, f"{self.name}:{line}: {message}"


def parse_sources(text: str, name: str) -> list[Source]:
    """The sources in a sources file's text (`name` is used in error messages).

    Every mistake in the file is reported at once, one "FILE:LINE: …" line each.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{name}:{line.group(1)}" if line else name
        raise SourcesError(f"{where}: not valid TOML: {exc}") from None
    lines = text.splitlines()
    headers = [n for n, line in enumerate(lines, 1) if re.match(r"^\s*\[\[\s*sources\s*\]\]", line)]
    context = _Context(name, lines, headers)
    unknown = set(data) - {"sources"}
    if unknown:
        raise SourcesError(
            f"{name}:1: unknown top-level table {sorted(unknown)[0]!r}; use [[sources]]"
        )
    entries = data.get("sources")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{name}:1: no [[sources]] tables in the file")
    sources: list[Source] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    hosts: dict[tuple[str, str], tuple[str, int]] = {}  # (host, language) → source
    for index, entry in enumerate(entries):
        checks = _Checks(context, index)
        source = _source(entry, checks)
        errors.extend(checks.errors)
        if source is None:
            continue
        if source.key in seen:
            errors.append(
                context.error(
                    index,
                    "key",
                    f"source key {source.key!r} is used twice "
                    f"(first at entry {seen[source.key] + 1})",
                )
            )
        seen.setdefault(source.key, index)
        for host in dict.fromkeys(bare_host(h) for h in (source.host, *source.hosts)):
            other = hosts.setdefault((host, source.language), (source.key, index))
            if other[0] != source.key:
                field = "hosts" if host != bare_host(source.host) else "base_url"
                errors.append(
                    context.error(
                        index,
                        field,
                        f"host {host} is already {other[0]!r}'s (entry {other[1] + 1}): a "
                        f"site's {source.language} articles belong to one source",
                    )
                )
        sources.append(source)
    if errors:  # in the order of the file's lines
        in_order = sorted(errors, key=lambda error: error[0])  # stable: a line's in turn
        raise SourcesError("\n".join(text for _line, text in in_order))
    return sources


class _Checks:
    """The mistakes found in one entry, each as (line, "FILE:LINE: …")."""

    def __init__(self, context: _Context, index: int) -> None:
        self.context = context
        self.index = index
        self.errors: list[tuple[int, str]] = []

    def fail(self, field: str | None, message: str) -> None:
        self.errors.append(self.context.error(self.index, field, message))


_MISSING: Any = object()


def _source(entry: dict[str, Any], checks: _Checks) -> Source | None:
    """The entry as a Source, or None when it has mistakes (recorded in `checks`)."""
    fail = checks.fail
    for field in entry:
        if field not in FIELDS:
            hint = difflib.get_close_matches(field, sorted(FIELDS), n=1)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            fail(field, f"unknown field {field!r}{suggestion}")

    def need(field: str, check: Callable[[Any], bool], what: str, default: Any = ...) -> Any:
        if field not in entry:
            if default is ...:
                fail(None, f"source has no {field!r} ({what})")
                return _MISSING
            return default
        value = entry[field]
        if not check(value):
            fail(field, f"{field} must be {what}, not {value!r}")
            return _MISSING if default is ... else default
        return value

    key = need("key", lambda v: isinstance(v, str) and bool(_KEY.match(v)), "a slug like 'azattyk'")
    name = need("name", _text, "a non-empty string")
    language = need(
        "language",
        lambda v: isinstance(v, str) and bool(_LANGUAGE.match(v)),
        "a language code like 'ky'",
    )
    before = len(checks.errors)
    feeds = need("feeds", _urls, "a list of http(s) URLs", [])
    sitemaps = need("sitemaps", _urls, "a list of http(s) URLs", [])
    listings = need("listings", _urls, "a list of http(s) URLs", [])
    if not (feeds or sitemaps or listings) and len(checks.errors) == before:
        who = f"source {key!r}" if key is not _MISSING else "this source"
        fail(None, f"{who} has no feeds, sitemaps or listings to find articles in")
    base_url = need("base_url", lambda v: _urls([v]), "an http(s) URL", None)
    first_url = (listings or feeds or sitemaps or [None])[0]
    if base_url is None and first_url:
        base_url = f"{urlsplit(first_url).scheme}://{urlsplit(first_url).netloc}/"
    pattern_text = need("article_pattern", _text, "a regular expression for article URLs")
    pattern: re.Pattern[str] | None = None
    if pattern_text is not _MISSING:
        try:
            pattern = re.compile(pattern_text)
        except re.error as exc:
            fail("article_pattern", f"article_pattern is not a valid regular expression: {exc}")
        else:
            never = _never_matches(pattern_text)
            if never:
                fail("article_pattern", never)
    for field in (*_SELECTOR_FIELDS, "drop_selectors"):
        values = entry.get(field)
        if field != "drop_selectors" and isinstance(values, list):
            fail(field, f"{field} must be one CSS selector, not a list")
            continue
        for css in values if isinstance(values, list) else [values] if values is not None else []:
            if not _text(css):
                fail(field, f"{field} must hold CSS selectors as strings, not {css!r}")
                continue
            try:
                compile_selector(css)
            except ValueError as exc:
                fail(field, str(exc))
    drop = need("drop_selectors", lambda v: isinstance(v, list), "a list of CSS selectors", [])
    timezone = need("timezone", _timezone, "an IANA timezone like 'Asia/Bishkek'", DEFAULT_TIMEZONE)
    template = need(
        "canonical_template", lambda v: _text(v) and "{id}" in v, "a URL with {id} in it", None
    )
    if template and pattern is not None and "id" not in pattern.groupindex:
        fail("canonical_template", "canonical_template needs a group (?P<id>…) in article_pattern")
    fields = {
        "delay": need("delay", _between(0, 600), "seconds between 0 and 600", None),
        "concurrency": need("concurrency", _whole(1, 16), "an integer from 1 to 16", 1),
        "max_listing_pages": need(
            "max_listing_pages", _whole(0, 100), "an integer from 0 to 100", 2
        ),
        "tracking_params": tuple(need("tracking_params", _strings, "a list of names", [])),
        "trailing_slash": need("trailing_slash", _boolean, "true or false", False),
        "hosts": tuple(need("hosts", _strings, "a list of host names", [])),
        "user_agent": need("user_agent", _text, "a string", None),
        "examples": tuple(need("examples", _urls, "a list of http(s) URLs", [])),
        "drop_paragraphs": tuple(need("drop_paragraphs", _strings, "a list of paragraphs", [])),
    }
    revisit = _revisit(entry, checks)
    if checks.errors or pattern is None or base_url is None:
        return None
    rules = ExtractionRules(
        body_selector=entry.get("body_selector"),
        drop_selectors=tuple(drop),
        drop_paragraphs=fields.pop("drop_paragraphs"),
        title_selector=entry.get("title_selector"),
        lead_selector=entry.get("lead_selector"),
        date_selector=entry.get("date_selector"),
        author_selector=entry.get("author_selector"),
        timezone=timezone,
        site_name=name,
    )
    source = Source(
        key=key,
        name=name,
        language=language,
        base_url=base_url,
        article_pattern=pattern,
        feeds=tuple(feeds),
        sitemaps=tuple(sitemaps),
        listings=tuple(listings),
        rules=rules,
        link_selector=entry.get("link_selector"),
        next_page_selector=entry.get("next_page_selector", Source.next_page_selector),
        canonical_template=template,
        revisit=revisit,
        **fields,
    )
    for url in source.examples:
        if not source.is_own(url):
            fail("examples", f"example {url} is not on {key}'s hosts (add its host to hosts)")
        elif source.article_id(url) is None:
            fail("examples", f"example {url} does not match article_pattern")
    return None if checks.errors else source


_ANCHORED_ELSEWHERE = re.compile(r"^\^([A-Za-z0-9_%-])")
_WHOLE_URL = re.compile(r"^\^?(?:\(\?:)?http")  # "^https?://site/…": a whole URL


def _never_matches(pattern: str) -> str | None:
    """Why `pattern` can never match a link's path (which always starts with "/"), if so."""
    if _WHOLE_URL.match(pattern):
        return (
            f"article_pattern {pattern!r} can never match: it is searched in the link's path "
            "and query, not the whole URL (write '^/news/…', and name other hosts in hosts)"
        )
    match = _ANCHORED_ELSEWHERE.match(pattern)
    if match:
        return (
            f"article_pattern {pattern!r} can never match: it is searched in the link's path, "
            f"which starts with '/', not {match.group(1)!r} (write '^/{pattern[1:]}')"
        )
    return None


def _revisit(entry: dict[str, Any], checks: _Checks) -> RevisitPolicy:
    value = entry.get("revisit")
    if value is None:
        return RevisitPolicy()
    message = (
        "revisit must be a list of [max_age_hours, every_minutes] pairs, e.g. [[3, 15], [24, 60]]"
    )
    if not isinstance(value, list) or not value:
        checks.fail("revisit", message)
        return RevisitPolicy()
    steps = []
    for pair in value:
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(_number(x) and x > 0 for x in pair)
        ):
            checks.fail("revisit", message)
            return RevisitPolicy()
        steps.append((float(pair[0]), float(pair[1])))
    if [age for age, _ in steps] != sorted(age for age, _ in steps):
        checks.fail("revisit", "revisit ages must grow from one pair to the next")
    return RevisitPolicy(tuple(steps))


def _between(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: _number(v) and low <= v <= high


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: _integer(v) and low <= v <= high


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(_text(v) for v in value)


def _urls(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, str) and urlsplit(v).scheme in ("http", "https") and bool(urlsplit(v).netloc)
        for v in value
    )


def _timezone(value: Any) -> bool:
    if not _text(value):
        return False
    try:
        ZoneInfo(value)
    except (KeyError, ValueError):
        return False
    return True
