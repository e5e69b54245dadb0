"""Carousels inside an article: every real slide once, clones gone; carousels that are
not article text (related news, thumbnails, menus) gone or left alone."""

from __future__ import annotations

import pytest

from crawler.extract.pipeline import extract_article
from crawler.extract.rules import ExtractionRules

INTRO = (
    "Нарын облусунда кар көчкү коркунучу жарыяланды, деп билдирди Өзгөчө кырдаалдар министрлиги."
)
OUTRO = "Министрлик жол айдоочуларды тоо ашуулары аркылуу өтпөөгө чакырды жана сак болууну суранды."
SLIDES = [
    "Долон ашуусунда түнү бою кар жаап, жол бир нече саатка жабылды.",
    "Куткаруучулар ашууда калган жүргүнчүлөргө ысык тамак жеткиришти.",
    "Кар тазалоочу техника эртең мененки саат сегизде жолду ачты.",
]
URL = "https://www.azattyk.org/a/31999001.html"


def slide(text: str, classes: str, tag: str = "div", extra: str = "") -> str:
    return f'<{tag} class="{classes}"{extra}><div class="slide-content"><p>{text}</p></div></{tag}>'


def page(carousel: str, after: str = "") -> bytes:
    return f"""<!doctype html><html lang="ky"><head><meta charset="utf-8">
<title>Нарында кар көчкү коркунучу | Азаттык</title></head><body>
<header><nav><a href="/">Башкы бет</a> <a href="/z/828">Кыргызстан</a></nav></header>
<div id="article-content"><div class="wsw"><p>{INTRO}</p>{carousel}<p>{OUTRO}</p></div></div>
{after}<footer><p>© 2024 Азаттык үналгысы. Бардык укуктар корголгон.</p></footer>
</body></html>""".encode()


def slick() -> str:
    last, first = SLIDES[-1], SLIDES[0]
    real = "".join(
        slide(t, "slick-slide" + (" slick-current slick-active" if i == 0 else ""), extra=f' data-slick-index="{i}"'
              + ("" if i == 0 else ' aria-hidden="true"'))
        for i, t in enumerate(SLIDES)
    )  # fmt: skip
    clones = (
        slide(last, "slick-slide slick-cloned", extra=' data-slick-index="-1" aria-hidden="true"'),
        slide(first, "slick-slide slick-cloned", extra=' data-slick-index="3" aria-hidden="true"'),
    )
    return (
        '<div class="slick-slider slick-initialized"><button class="slick-prev slick-arrow">Мурунку</button>'
        f'<div class="slick-list"><div class="slick-track">{clones[0]}{real}{clones[1]}</div></div>'
        '<ul class="slick-dots"><li><button>1</button></li><li><button>2</button></li></ul></div>'
    )


def swiper8() -> str:
    real = "".join(
        slide(t, "swiper-slide", extra=f' data-swiper-slide-index="{i}"')
        for i, t in enumerate(SLIDES)
    )
    dup = lambda t: slide(t, "swiper-slide swiper-slide-duplicate")  # noqa: E731
    return (
        '<div class="swiper-container"><div class="swiper-wrapper">'
        f"{dup(SLIDES[-1])}{real}{dup(SLIDES[0])}</div>"
        '<div class="swiper-pagination"></div><div class="swiper-button-next">Кийинки</div></div>'
    )


def swiper9() -> str:
    real = "".join(slide(t, "swiper-slide") for t in SLIDES)
    return f'<div class="swiper"><div class="swiper-wrapper">{real}<div class="swiper-slide swiper-slide-blank"></div></div></div>'


def owl() -> str:
    item = lambda t, cls: f'<div class="{cls}"><div class="item"><p>{t}</p></div></div>'  # noqa: E731
    real = "".join(item(t, "owl-item active") for t in SLIDES)
    clones = item(SLIDES[-1], "owl-item cloned"), item(SLIDES[0], "owl-item cloned")
    return (
        '<div class="owl-carousel owl-loaded"><div class="owl-stage-outer"><div class="owl-stage">'
        f"{clones[0]}{real}{clones[1]}</div></div>"
        '<div class="owl-nav"><button class="owl-prev">‹</button><button class="owl-next">›</button></div></div>'
    )


def listed(root: str, track: str, item: str, clone: str) -> str:
    real = "".join(slide(t, item, tag="li") for t in SLIDES)
    clones = (
        slide(SLIDES[-1], f"{item} {clone}", tag="li"),
        slide(SLIDES[0], f"{item} {clone}", tag="li"),
    )
    return f'<div class="{root}"><div class="{root}__track"><ul class="{track}">{clones[0]}{real}{clones[1]}</ul></div></div>'


def tns() -> str:
    real = "".join(
        slide(t, "tns-item", extra=' aria-hidden="true"' if i else "") for i, t in enumerate(SLIDES)
    )
    clones = (
        slide(SLIDES[-1], "tns-item tns-slide-cloned"),
        slide(SLIDES[0], "tns-item tns-slide-cloned"),
    )
    return (
        '<div class="tns-outer"><div class="tns-liveregion">слайд 1, 3 ичинен</div><div class="tns-ovh">'
        f'<div class="tns-inner"><div class="tns-slider">{clones[0]}{real}{clones[1]}</div></div></div></div>'
    )


def bx() -> str:
    real = "".join(f"<li><p>{t}</p></li>" for t in SLIDES)
    clones = (
        f'<li class="bx-clone"><p>{SLIDES[-1]}</p></li>',
        f'<li class="bx-clone"><p>{SLIDES[0]}</p></li>',
    )
    return (
        '<div class="bx-wrapper"><div class="bx-viewport">'
        f'<ul class="bxslider">{clones[0]}{real}{clones[1]}</ul></div>'
        '<div class="bx-controls"><a class="bx-prev">Prev</a></div></div>'
    )


CAROUSELS = {
    "slick": slick,
    "swiper8": swiper8,
    "swiper9-blank": swiper9,
    "owl": owl,
    "splide": lambda: listed("splide", "splide__list", "splide__slide", "splide__slide--clone"),
    "glide": lambda: listed("glide", "glide__slides", "glide__slide", "glide__slide--clone"),
    "tiny-slider": tns,
    "bxslider": bx,
}
WITH_BODY = ExtractionRules(body_selector="#article-content .wsw")


@pytest.mark.parametrize("rules", [ExtractionRules(), WITH_BODY], ids=["no-rules", "body-selector"])
@pytest.mark.parametrize("library", list(CAROUSELS))
def test_every_slide_once_in_reading_order(library: str, rules: ExtractionRules) -> None:
    article = extract_article(page(CAROUSELS[library]()), URL, rules)
    assert list(article.paragraphs) == [INTRO, *SLIDES, OUTRO]


def test_a_bare_cloned_class_is_a_sticky_menu_not_a_carousel_clone() -> None:
    # Sticky-menu scripts mark copied menus ".cloned"; article text marked so must stay.
    note = "Бул маалымат министрликтин расмий сайтында жарыяланды жана жаңыланып турат."
    html = page(f'<div class="cloned"><p>{note}</p></div>')
    assert note in extract_article(html, URL, WITH_BODY).paragraphs


def test_a_thumbnail_slider_beside_the_main_one_adds_nothing() -> None:
    thumbs = "".join(slide(t[:30], "slick-slide") for t in SLIDES)
    html = page(
        slick()
        + f'<div class="slider-nav slick-slider"><div class="slick-track">{thumbs}</div></div>'
    )
    assert list(extract_article(html, URL, WITH_BODY).paragraphs) == [INTRO, *SLIDES, OUTRO]


def test_a_related_news_carousel_outside_the_article_does_not_leak() -> None:
    related = [
        "Бишкекте жаңы көпүрө курулуп бүттү",
        "Ош шаарында өрт чыгып, эки үй күйдү",
        "Талас облусунда кургакчылык башталды",
    ]
    items = "".join(
        f'<div class="owl-item{c}"><a href="/a/{n}.html">{t}</a></div>'
        for n, (t, c) in enumerate(
            [(related[-1], " cloned")] + [(t, "") for t in related] + [(related[0], " cloned")]
        )
    )
    after = f'<section class="more"><h3>Окшош кабарлар</h3><div class="owl-carousel"><div class="owl-stage">{items}</div></div></section>'
    for rules in (ExtractionRules(), WITH_BODY):
        text = "\n".join(extract_article(page("", after), URL, rules).paragraphs)
        assert not any(title in text for title in related)
        assert INTRO in text and OUTRO in text


def test_drop_selectors_remove_boxes_inside_the_body() -> None:
    box = '<div class="wsw__related"><p>Окуй: Нарында мектептер убактылуу жабылды жана окуучулар үйдө калды.</p></div>'
    rules = ExtractionRules(
        body_selector="#article-content .wsw", drop_selectors=(".wsw__related",)
    )
    assert list(extract_article(page(box), URL, rules).paragraphs) == [INTRO, OUTRO]
