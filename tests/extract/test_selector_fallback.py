"""A source's body selector is a hint: when a redesign breaks it, the generic path still
finds the body, and the article says that it did and why."""

from __future__ import annotations

from crawler.extract.pipeline import extract_article
from crawler.extract.rules import ExtractionRules

PARAGRAPHS = [
    "Бишкек шаарынын мэриясы жаңы автобустарды сатып алууну пландап жатат. Алар күзгө чейин "
    "шаардын көчөлөрүнө чыгат деп күтүлүүдө.",
    "Быйыл шаарга жүзгө жакын жаңы автобус келет. Алардын ар бири газ менен жүрөт жана "
    "майыптар үчүн ыңгайлуу жабдылган.",
    "Жүргүнчүлөр акыркы жылдары коомдук транспорттун абалына нааразы болуп келишкен. Мэрия "
    "жол кире акысы азырынча өзгөрбөй турганын билдирди.",
]
RULES = ExtractionRules(body_selector="div.article-body", title_selector="h1")


def page(body_class: str, shell: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        "<html><head><title>Жаңы автобустар</title></head><body>"
        "<nav><a href='/'>Башкы бет</a> <a href='/news'>Жаңылыктар</a></nav>"
        f"<h1>Жаңы автобустар</h1>{shell}<div class='{body_class}'>{paragraphs}</div>"
        "<footer>© Кабар, 2024</footer></body></html>"
    ).encode()


def test_the_selector_that_matches_is_used_and_no_fallback_is_recorded() -> None:
    article = extract_article(page("article-body"), "https://x.kg/news/1", RULES)
    assert list(article.paragraphs) == PARAGRAPHS
    assert article.fallback is None


def test_a_renamed_body_class_falls_back_to_the_generic_path() -> None:
    article = extract_article(page("story__text"), "https://x.kg/news/1", RULES)
    assert list(article.paragraphs) == PARAGRAPHS
    assert article.fallback == "body_selector 'div.article-body' matched nothing"


def test_an_empty_shell_left_under_the_old_name_falls_back_too() -> None:
    shell = "<div class='article-body'><img src='/photo.jpg' alt=''></div>"  # the photo kept it
    article = extract_article(page("story__text", shell), "https://x.kg/news/1", RULES)
    assert list(article.paragraphs) == PARAGRAPHS
    assert article.fallback == "body_selector 'div.article-body' matched an element with no text"


def test_a_short_flash_under_the_selector_is_kept_as_it_is() -> None:
    flash = "Бишкекте катуу шамал 40 даракты кулатты, жарадар болгон адам жок."  # 10 words
    html = (
        page("sidebar")
        .replace(b"<h1>", f"<div class='article-body'><p>{flash}</p></div><h1>".encode(), 1)
        .replace(b"</head>", b'<meta property="og:type" content="article"></head>')
    )
    article = extract_article(html, "https://x.kg/news/2", RULES)
    assert list(article.paragraphs) == [flash]  # not the longer text beside it
    assert article.fallback is None
