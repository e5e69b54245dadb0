"""Pages like the ones written by others: old CMSs, linky menus, comments in paragraphs,
sidebars of headlines, a writer's own repeats, "read also" boxes. One test (or a few)
per cause found on the public benchmarks; each page is made here, small, by hand.
(trafilatura's fallbacks, the other cause, showed only on real pages: see
benchmarks/extract_quality.py.)
"""

from __future__ import annotations

import pytest

from crawler.extract.body_parts import merge_body_parts
from crawler.extract.errors import NoArticle
from crawler.extract.html_cleanup import clean_page, parse_html
from crawler.extract.normalize import match_key
from crawler.extract.pipeline import extract_article
from crawler.extract.related import linked_chars, linked_chars_each
from crawler.extract.rules import ExtractionRules

URL = "https://old-cms.example.kg/news/2012/05/1234.html"
PARAGRAPHS = [
    "Бишкек шаарынын мэриясы жаңы автобустарды сатып алууну пландап жатат, деп билдирди "
    "мэриянын басма сөз кызматы шейшемби күнү.",
    "Быйыл шаарга жүзгө жакын жаңы автобус келет деп күтүлүүдө, алардын жарымы газ менен "
    "жүрөт жана шаардын четки конуштарына каттайт.",
    "Жүргүнчүлөр акыркы жылдары коомдук транспорттун абалына нааразы болуп келишкен, "
    "айрыкча эртең менен жана кечинде автобустар толуп кетет.",
    "Мэриянын маалыматы боюнча, жол кире акысы азырынча өзгөрбөйт, бирок электрондук "
    "төлөм системасы жыл аягына чейин толук ишке кирет.",
]


def page(body: str, head: str = "", before: str = "", after: str = "") -> bytes:
    """An old-CMS page: no JSON-LD, no og:type, a table-free layout of divs."""
    return (
        "<!DOCTYPE html><html lang='ky'><head><meta charset='utf-8'>"
        f"<title>Жаңы автобустар | Эски сайт</title>{head}</head><body>"
        f"<div class='top'>{before}</div>"
        f"<div class='content'><h1>Жаңы автобустар</h1>{body}</div>"
        f"<div class='bottom'>{after}</div></body></html>"
    ).encode()


def paragraphs_html(texts: list[str] = PARAGRAPHS) -> str:
    return "".join(f"<p>{text}</p>" for text in texts)


def menu(count: int, prefix: str = "Бөлүм") -> str:
    """A menu of links in plain divs (no <nav>: older CMSs rarely have one)."""
    return (
        "<div class='menu'>"
        + "".join(
            f"<div class='menu-item'><a href='/cat/{n}'>{prefix} {n} боюнча бардык жаңылыктар</a></div>"
            for n in range(count)
        )
        + "</div>"
    )


def body_of(html: bytes, rules: ExtractionRules | None = None, **kwargs: bool) -> list[str]:
    return list(extract_article(html, URL, rules or ExtractionRules(), **kwargs).paragraphs)


def keys(texts: list[str]) -> list[str]:
    return [match_key(text) for text in texts]


# --- 1. listing-page rejection ------------------------------------------------------


def test_an_article_with_a_linky_menu_is_not_a_listing_page() -> None:
    # The menus hold more link text than the article has words: the page as a whole
    # is mostly links, the extracted body is not.
    html = page(paragraphs_html(), before=menu(40), after=menu(30, "Архив"))
    assert keys(body_of(html)) == keys(PARAGRAPHS)


def test_a_page_of_headlines_is_still_a_listing_page() -> None:
    headlines = "".join(
        f"<div class='teaser'><a href='/news/{n}'>Кабар {n}: шаарда жаңы автобустар жүрө "
        "баштады</a></div>"
        for n in range(25)
    )
    with pytest.raises(NoArticle, match="listing page"):
        body_of(page(headlines))


def test_the_source_pattern_says_article_so_a_digest_of_links_is_kept() -> None:
    # A digest: each paragraph links the story it sums up. Judged by its text alone it
    # is a listing; the source's article pattern says it is an article.
    digest = [f"<p><a href='/news/{n}'>{text}</a></p>" for n, text in enumerate(PARAGRAPHS)]
    html = page("".join(digest))
    with pytest.raises(NoArticle, match="listing page"):
        body_of(html)
    assert keys(body_of(html, known_article=True)) == keys(PARAGRAPHS)


def test_link_text_is_counted_alike_block_by_block_and_for_the_whole_body() -> None:
    # The body's link share looks for each link once in all the blocks: it must count
    # what the block-by-block count does (a link in two blocks, twice in one, a short
    # link only as a whole block, a block that is one whole link).
    links = frozenset({"жаңыавтобустар", "шаар", "бишкекшаарында", "окуңуз"})
    blocks = [
        "Жаңы автобустар: Бишкек шаарында жаңы автобустар жүрө баштады.",
        "Бишкек шаарында кар жаады.",
        "Шаар",
        "Окуңуз",
        "Ош шаарында жаңы автобус жок.",
    ]
    block_keys = keys(blocks)
    assert linked_chars_each(block_keys, links) == [linked_chars(k, links) for k in block_keys]
    assert linked_chars_each(block_keys, links) == [28, 14, 4, 6, 0]


def test_a_known_article_url_with_almost_no_text_is_still_refused() -> None:
    # A "page not found" served with status 200 at an article's address.
    html = page("<p>Кечиресиз, бет табылган жок.</p>")
    with pytest.raises(NoArticle, match="not an article"):
        body_of(html, known_article=True)


# --- 3. comments inside paragraphs ------------------------------------------------


def test_a_comment_inside_a_paragraph_does_not_cut_it() -> None:
    first, rest = PARAGRAPHS[1].split(", алардын")
    commented = f"{first}, <!-- banner 300x250 --> алардын{rest}"
    html = page(paragraphs_html([PARAGRAPHS[0], commented, *PARAGRAPHS[2:]]))
    assert keys(body_of(html)) == keys(PARAGRAPHS)


# --- 4. inline-only divs -----------------------------------------------------------


SIDEBAR = [f"Шаардагы жаңылык {n}: жолдор оңдолуп жатат" for n in range(8)]


def sidebar() -> str:
    return (
        "<div class='sidebar'>"
        + "".join(
            f"<div class='headline'><span>{text}</span> <span>12:0{n}</span></div>"
            for n, text in enumerate(SIDEBAR)
        )
        + "</div>"
    )


def test_text_divs_outside_a_selected_body_are_left_as_they_are() -> None:
    # Made paragraphs, a sidebar's headline divs would look like article text to
    # trafilatura; without a body selector no div is rewritten.
    root = parse_html(page(paragraphs_html() + sidebar()).decode())
    tree, _ = clean_page(root, ExtractionRules())
    assert len(tree.xpath("//div[@class='headline']")) == len(SIDEBAR)
    assert len(tree.xpath("//p")) == len(PARAGRAPHS)


def test_text_divs_inside_the_selected_body_are_still_paragraphs() -> None:
    divs = "".join(f"<div>{text}</div>" for text in PARAGRAPHS)
    html = page(f"<div class='article-text'>{divs}</div>" + sidebar())
    rules = ExtractionRules(body_selector="div.article-text")
    assert keys(body_of(html, rules)) == keys(PARAGRAPHS)


# --- 5. a writer's repeats -----------------------------------------------------------


def test_a_plan_that_repeats_short_lines_keeps_every_one() -> None:
    days = ["Дүйшөмбү", "Шейшемби", "Шаршемби"]
    plan: list[str] = []
    for day in days:
        plan += [
            day,
            "Эртең мененки тамак",
            "Ар бир 2–3 саатта тамактаныңыз",
            f"{day}: боорсок жана чай",
        ]
    html = page("<ul>" + "".join(f"<li>{line}</li>" for line in plan) + "</ul>" + paragraphs_html())
    body = body_of(html)
    assert keys(body).count(match_key("Ар бир 2–3 саатта тамактаныңыз")) == 3
    assert keys(body).count(match_key("Эртең мененки тамак")) == 3


def test_a_hyphenated_heading_is_not_split_at_its_hyphen() -> None:
    # "Workout Supplement Drink Mix" is long enough to be a piece of the later heading.
    html = page(
        "<h2>Workout Supplement Drink Mix</h2>" + paragraphs_html(PARAGRAPHS[:2])
        + "<h2>Pre-Workout Supplement Drink Mix</h2>" + paragraphs_html(PARAGRAPHS[2:])
    )  # fmt: skip
    body = body_of(html)
    assert "Pre-Workout Supplement Drink Mix" in body
    assert "Pre" not in body


def test_a_box_shown_twice_is_still_kept_once() -> None:
    box = "<div class='key-points'><h3>Кыскача</h3><ul><li>Жүз автобус келет.</li><li>Акы өзгөрбөйт.</li></ul></div>"
    html = page(box + paragraphs_html() + box)
    body = keys(body_of(html))
    assert body.count(match_key("Кыскача")) == 1
    assert body.count(match_key("Жүз автобус келет.")) == 1


# --- 6. "read also" boxes ------------------------------------------------------------


@pytest.mark.parametrize(
    "box",
    [
        "<p>Окуңуз: <a href='/news/1'>Ошто жаңы көпүрө курулат</a></p>",
        "<p><strong>Ошондой эле окуңуз:</strong></p>"
        "<ul><li><a href='/news/1'>Ошто жаңы көпүрө курулат</a></li>"
        "<li><a href='/news/2'>Нарында кар түштү</a></li></ul>",
        "<div class='inline-box'>Дагы окуңуз <a href='/news/1'>Ошто жаңы көпүрө курулат</a></div>",
        "<p>Читайте также: <a href='/ru/news/1'>В Оше построят новый мост</a></p>",
    ],
    ids=["okunuz", "oshondoy-ele", "dagy", "chitayte"],
)
def test_a_read_also_box_inside_the_body_is_dropped(box: str) -> None:
    html = page(paragraphs_html(PARAGRAPHS[:2]) + box + paragraphs_html(PARAGRAPHS[2:]))
    assert keys(body_of(html)) == keys(PARAGRAPHS)


def test_prose_that_starts_with_the_cue_word_stays() -> None:
    prose = (
        "Окуңуз, бул мыйзам долбоору быйыл жазында талкууланып, коомчулуктун пикири эске алынат."
    )
    html = page(paragraphs_html([*PARAGRAPHS, prose]))
    assert keys(body_of(html)) == keys([*PARAGRAPHS, prose])


# A "most read" rail in the middle of the text: kickers and headlines, or the heading
# alone when the rail's cards (image links with no text of their own) were dropped.
RAIL = (
    "<h3>Көп окулгандар</h3><p>ШАЙЛОО</p><p>Борбор шаардын кеңешине жаңы депутаттар шайланды</p>"
    "<p>СПОРТ</p><p>Кыргызстандын курама командасы Азия чемпионатына жолдомо алды</p>"
)
CARDS = (
    "<h3>Көп окулгандар</h3>"
    "<div class='card'><a href='/news/7'><img src='/7.jpg'></a><span>ШАЙЛОО</span></div>"
    "<div class='card'><a href='/news/8'><img src='/8.jpg'></a><span>СПОРТ</span></div>"
)


QUESTIONS = (  # an English rail, its headlines ending in question marks
    "<h3>You may also like...</h3><p>Who will win the Bishkek marathon this year?</p>"
    "<p>Can Osh keep its bazaar open all night?</p><p>Issyk-Kul hotels full by June</p>"
)


@pytest.mark.parametrize("rail", [RAIL, CARDS, QUESTIONS], ids=["headlines", "cards", "questions"])
def test_a_most_read_rail_inside_the_body_is_dropped(rail: str) -> None:
    html = page(paragraphs_html(PARAGRAPHS[:2]) + rail + paragraphs_html(PARAGRAPHS[2:]))
    assert keys(body_of(html)) == keys(PARAGRAPHS)


@pytest.mark.parametrize(
    "section",
    [
        [  # a list of its own, under a heading that only begins like a rail's
            "Эң көп окулган китептер",
            "Манас эпосу, Сагымбай Орозбаков",
            "Жамийла, Чыңгыз Айтматов",
            "Ак кеме, Чыңгыз Айтматов",
        ],
        ["Көп окулгандар", "Мухаммед", "Алинур", "Айлин"],  # names, not headlines
    ],
    ids=["own-list", "names"],
)
def test_an_articles_own_short_list_under_a_cue_like_heading_stays(section: list[str]) -> None:
    html = page(paragraphs_html([*PARAGRAPHS[:2], *section, *PARAGRAPHS[2:]]))
    assert keys(body_of(html)) == keys([*PARAGRAPHS[:2], *section, *PARAGRAPHS[2:]])


def test_a_section_named_like_a_cue_stays() -> None:
    section = ["Recommended Books for Managers", "Good to Great, Jim Collins", "The First 90 Days"]
    html = page(paragraphs_html([*PARAGRAPHS, *section]))
    assert keys(body_of(html)) == keys([*PARAGRAPHS, *section])


def test_a_sentence_that_starts_with_the_cue_stays() -> None:
    news = "Көп окулган китептердин тизмесин улуттук китепкана жыл сайын жарыялап турат."
    html = page(paragraphs_html([*PARAGRAPHS[:2], news, *PARAGRAPHS[2:]]))
    assert keys(body_of(html)) == keys([*PARAGRAPHS[:2], news, *PARAGRAPHS[2:]])


def old_cms_page(top: str) -> bytes:
    """A page whose body opens with `top` (no h1 of the page's own before it)."""
    return (
        "<!DOCTYPE html><html lang='ky'><head><meta charset='utf-8'>"
        "<title>Жаңы автобустар | Эски сайт</title></head><body><div class='content'>"
        f"{top}{paragraphs_html(PARAGRAPHS)}</div></body></html>"
    ).encode()


def test_the_title_and_the_category_line_above_it_are_not_the_body() -> None:
    # The heading block of an old CMS: a category line, the title again, then the text.
    html = old_cms_page("<p><b>Коом</b></p><p><b>Жаңы автобустар</b></p>")
    assert keys(body_of(html)) == keys(PARAGRAPHS)


def test_a_line_like_the_title_under_a_sentence_stays() -> None:
    # Text above it: then that line is the article's own, not the page's heading.
    lead = "Шаардын транспорт кызматы жаңы пландарын жарыялады, деп кабарлады мэрия."
    html = old_cms_page(f"<p>{lead}</p><p><b>Жаңы автобустар</b></p>")
    assert keys(body_of(html)) == keys([lead, "Жаңы автобустар", *PARAGRAPHS])


# --- a body cut into parts, and carousels of other stories ---------------------------


def test_a_body_cut_into_parts_by_ads_is_one_body_again() -> None:
    # trafilatura reads the first container its article markers name, and only that one.
    ad = "<div class='ad-slot'><span>Жарнама</span></div>"
    parts = [
        f"<div class='post-body'><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p></div>",
        f"<div class='post-body'><p>{PARAGRAPHS[2]}</p><p>{PARAGRAPHS[3]}</p></div>",
    ]
    html = page(f"<div class='grid'>{parts[0]}</div>{ad}<div class='grid'>{parts[1]}</div>")
    assert keys(body_of(html)) == keys(PARAGRAPHS)


def test_parts_with_a_heading_between_them_are_left_apart() -> None:
    # Sections of one text under their own headings: moved together, the second
    # section would come out before its heading.
    sections = "".join(
        f"<h2>Бөлүм {n}</h2><div class='post-body'><p>{a}</p><p>{b}</p></div>"
        for n, (a, b) in enumerate([PARAGRAPHS[:2], PARAGRAPHS[2:]], start=1)
    )
    root = parse_html(page(sections).decode())
    merge_body_parts(root)
    assert [len(part) for part in root.xpath("//div[@class='post-body']")] == [2, 2]
    ad = "<div class='ad-slot'><span>Жарнама</span></div>"
    root = parse_html(page(sections.replace("<h2>Бөлүм 2</h2>", ad)).decode())
    merge_body_parts(root)
    assert [len(part) for part in root.xpath("//div[@class='post-body']")] == [4]


def test_a_carousel_of_other_stories_is_dropped_not_unwrapped() -> None:
    # Unwrapped into plain paragraphs, story cards can outweigh the article itself.
    cards = [
        "Ош шаарында жаңы мектеп ачылды, анда миңден ашык окуучу билим алат.",
        "Нарын облусунда кар көчкү коркунучу жарыяланды, айдоочуларга эскертүү берилди.",
    ]
    carousel = (
        "<div class='related-pages'><div class='carousel'>"
        + "".join(f"<div class='card'><h3>Кабар</h3><div>{text}</div></div>" for text in cards)
        + "</div></div>"
    )
    tree, _ = clean_page(
        parse_html(page(paragraphs_html(), after=carousel).decode()), ExtractionRules()
    )
    text = match_key(tree.text_content())
    assert not any(match_key(card) in text for card in cards)
    assert all(key in text for key in keys(PARAGRAPHS))


def test_text_that_opens_a_later_part_moves_with_it() -> None:
    ad = "<div class='ad-slot'><span>Жарнама</span></div>"
    lead = "Кыскача айтканда, шаар бюджети бул чыгымды көтөрө алат."
    html = page(
        f"<div class='post-body'><p>{PARAGRAPHS[0]}</p><p>{PARAGRAPHS[1]}</p></div>{ad}"
        f"<div class='post-body'>{lead}<p>{PARAGRAPHS[2]}</p><p>{PARAGRAPHS[3]}</p></div>"
    )
    root = parse_html(html.decode())
    merge_body_parts(root)
    (merged,) = root.xpath("//div[@class='post-body']")
    assert match_key(lead) in match_key(merged.text_content())


@pytest.mark.parametrize("depth", [300, 2000])
def test_an_article_nested_hundreds_of_levels_deep_is_read(depth: int) -> None:
    # Runaway unclosed <div>s or nested tables: libxml2 alone stops at 256 levels.
    body = "<div>" * depth + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>" * depth
    article = extract_article(page(body), URL)
    assert list(article.paragraphs) == PARAGRAPHS


def test_a_page_nested_past_the_parser_limit_says_so() -> None:
    body = "<div>" * 2100 + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>" * 2100
    with pytest.raises(NoArticle, match="nested deeper than 2048 levels"):
        extract_article(page(body), URL)


def test_an_article_above_a_runaway_nested_footer_is_still_read() -> None:
    # The article is whole; only the footer below it nests past what the parser reads.
    footer = "<div>" * 2100 + "<p>Бардык укуктар корголгон.</p>" + "</div>" * 2100
    article = extract_article(page("".join(f"<p>{p}</p>" for p in PARAGRAPHS), after=footer), URL)
    assert list(article.paragraphs) == PARAGRAPHS


def test_an_article_the_parser_puts_in_the_head_is_still_read() -> None:
    # No </head> and no <body>: libxml2 keeps the HTML5 elements that follow inside the
    # head. What is dropped from the head before trafilatura must not take them along.
    html = (
        "<!DOCTYPE html><html lang='ky'><head><meta charset='utf-8'><title>Жаңы автобустар"
        f"</title><article><h1>Жаңы автобустар</h1>{paragraphs_html()}</article></html>"
    ).encode()
    assert keys(body_of(html)) == keys(PARAGRAPHS)
