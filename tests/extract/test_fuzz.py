"""Fuzzing the pure functions: any input gives a result or NoArticle, never a crash."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.extract.decode import decode_html
from crawler.extract.dedup import _Keyed, dedupe_blocks, is_long_block
from crawler.extract.errors import NoArticle
from crawler.extract.normalize import match_key, normalize_text
from crawler.extract.pipeline import clean_text, extract_article
from crawler.extract.rules import ExtractionRules

WORDS = ["Бишкек", "шаары", "ӊ", "ѳзгѳн", "Ала-Тоо", "Актау", "Актаудагы", "o", "M", "Υ", "-", ".", "«", "»",
         "\u00a0", "\u00ad", "2022", ":", "Сүрөт:", "Фото:", "©", " ", "\n"]  # fmt: skip
kyrgyzish = st.lists(st.sampled_from(WORDS), max_size=40).map("".join)
blocks = st.lists(st.one_of(kyrgyzish, st.text(max_size=60)), max_size=25)
TAGS = [
    "p",
    "div",
    "span",
    "li",
    "ul",
    "h2",
    "b",
    "a",
    "section",
    "article",
    "br",
    "figure",
    "script",
]
CLASSES = ["slick-slide slick-cloned", "swiper-slide", "owl-item cloned", "bx-clone", "splide__slide--clone",
           "tns-item", "cloned", "slide", "wsw", "article__body", ""]  # fmt: skip


@st.composite
def html_pages(draw: st.DrawFn) -> bytes:
    parts = ["<html><body>"]
    for _ in range(draw(st.integers(0, 30))):
        tag = draw(st.sampled_from(TAGS))
        cls = draw(st.sampled_from(CLASSES))
        text = draw(st.one_of(kyrgyzish, st.text(max_size=40)))
        closed = draw(st.booleans())
        parts.append(f'<{tag} class="{cls}">{text}' + (f"</{tag}>" if closed else ""))
    return "".join(parts).encode("utf-8", errors="surrogatepass")


@settings(max_examples=300, deadline=None)
@given(blocks)
def test_dedupe_never_crashes_never_invents_never_stutters(paragraphs: list[str]) -> None:
    out = dedupe_blocks(paragraphs)
    keys = [match_key(line) for line in out]
    assert all(keys)
    assert all(a != b for a, b in pairwise(keys))  # no block twice in a row
    long_keys = [key for key, line in zip(keys, out, strict=True) if is_long_block(line)]
    assert len(set(long_keys)) == len(long_keys)  # a paragraph-sized block only once
    source = "".join(match_key(p) for p in paragraphs)
    assert all(key in source for key in keys)
    assert dedupe_blocks(paragraphs) == out  # deterministic


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_any_bytes(data: bytes) -> None:
    try:
        text, encoding = decode_html(data)
    except NoArticle:
        return
    assert isinstance(text, str) and encoding


@settings(max_examples=150, deadline=None)
@given(st.one_of(html_pages(), st.binary(max_size=3000)))
def test_extract_any_page(data: bytes) -> None:
    for rules in (
        ExtractionRules(),
        ExtractionRules(body_selector=".wsw", drop_selectors=(".cloned",)),
    ):
        try:
            article = extract_article(data, "https://example.kg/a/1.html", rules)
        except NoArticle as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            assert article.paragraphs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=30))
def test_clean_text_any_lines(lines: list[str]) -> None:
    assert all("\n" not in line for line in clean_text(lines))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from([*WORDS, "ǅ", "Pre-Workout", "_", "aB", "ͅ"])).map("".join) | st.text()
)
def test_dedup_keys_word_by_word_equal_the_character_reference(text: str) -> None:
    fast = _Keyed.of(text)
    reference, _spans = _Keyed._by_character(text)
    assert (fast.key, fast.starts) == (reference.key, reference.starts)
