"""Decoding page bytes: declared, detected and wrong charsets; never a crash."""

from __future__ import annotations

import pytest

from crawler.extract.decode import decode_html
from crawler.extract.errors import NoArticle

TEXT = "Бишкекте жаңы мектеп ачылды. Окуучулар өтө кубанычта."


def cp1251_page(body: str, meta: bool = True) -> bytes:
    """As old Kyrgyz sites write it: windows-1251, with ң ө ү as numeric entities."""
    for letter in "ңөүҢӨҮ":
        body = body.replace(letter, f"&#{ord(letter)};")
    head = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">' if meta else ""
    )
    return f"<html><head>{head}</head><body><p>{body}</p></body></html>".encode("cp1251")


def test_utf8() -> None:
    text, encoding = decode_html(f"<p>{TEXT}</p>".encode())
    assert TEXT in text and encoding == "utf-8"


def test_windows_1251_declared_in_meta() -> None:
    text, encoding = decode_html(cp1251_page(TEXT))
    assert encoding == "cp1251"
    assert "Бишкекте" in text and "&#1187;" in text  # entities are the parser's job


def test_windows_1251_declared_in_the_http_header() -> None:
    text, encoding = decode_html(cp1251_page(TEXT, meta=False), "text/html; charset=windows-1251")
    assert encoding == "cp1251" and "Бишкекте" in text


def test_windows_1251_with_no_declaration_is_detected() -> None:
    long_text = " ".join([TEXT] * 20)
    text, _ = decode_html(cp1251_page(long_text, meta=False))
    assert "Бишкекте" in text


def test_utf8_page_that_claims_windows_1251() -> None:
    page = f'<meta charset="windows-1251"><p>{TEXT}</p>'.encode()
    text, encoding = decode_html(page, "text/html; charset=windows-1251")
    assert encoding == "utf-8" and TEXT in text


def test_windows_1251_page_that_claims_utf8() -> None:
    page = cp1251_page(" ".join([TEXT] * 10)).replace(b"windows-1251", b"utf-8")
    text, _ = decode_html(page, "text/html; charset=utf-8")
    assert "Бишкекте" in text


def test_byte_order_mark() -> None:
    text, encoding = decode_html(b"\xef\xbb\xbf" + f"<p>{TEXT}</p>".encode())
    assert encoding == "utf-8" and text.startswith("<p>")
    utf16 = f"<p>{TEXT}</p>".encode("utf-16")
    assert TEXT in decode_html(utf16)[0]


def test_a_bad_byte_does_not_crash() -> None:
    page = f"<p>{TEXT}</p>".encode() + b"\xff\xfe\x80 end"
    text, _ = decode_html(page)
    assert "end" in text


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty input"),
        (b"  \n\t ", "empty input"),
        (b"\x1f\x8b\x08\x00" + bytes(100), "gzip"),
        (b"%PDF-1.7\n" + bytes(200), "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG"),
        (bytes(range(256)) * 10, "binary"),
    ],
)
def test_what_is_not_a_page(data: bytes, reason: str) -> None:
    with pytest.raises(NoArticle, match=reason):
        decode_html(data)


def test_one_stray_byte_in_a_utf8_page_is_one_replacement_character() -> None:
    paragraphs = "".join(f"<p>{TEXT} {n}-жолу.</p>" for n in range(10))
    page = f'<meta charset="utf-8">{paragraphs}'.encode().replace(b"</p>", b"</p>\xff", 1)
    text, encoding = decode_html(page, "text/html; charset=utf-8")
    assert encoding == "utf-8"
    assert text.count("\ufffd") == 1 and text.count(TEXT) == 10


def test_a_cp1251_page_is_not_taken_for_broken_utf8() -> None:
    text, encoding = decode_html(cp1251_page(" ".join([TEXT] * 5)))
    assert encoding == "cp1251" and "\ufffd" not in text


def test_a_page_with_one_stray_byte_is_still_a_kyrgyz_article() -> None:
    from crawler.extract.pipeline import extract_article

    paragraphs = "".join(f"<p>{TEXT} Бул {n}-абзац, мектеп тууралуу.</p>" for n in range(8))
    page = f"<html><body><article>{paragraphs}</article></body></html>".encode()
    article = extract_article(page.replace(b"</p>", b"</p>\xff", 1), "https://x.kg/a/1")
    assert article.language == "ky"
    assert article.paragraphs[1].startswith(TEXT)


def test_random_bytes_served_as_a_page_are_no_article() -> None:
    import random

    from crawler.extract.pipeline import extract_article

    rng = random.Random(7)
    data = bytes(rng.randrange(32, 256) for _ in range(20_000))  # no control bytes to tell
    with pytest.raises(NoArticle, match="bytes no encoding reads"):
        extract_article(data, "https://x.kg/a/1", known_article=True)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "utf-16"])
def test_control_characters_are_removed_in_any_encoding(encoding: str) -> None:
    # No HTML parser takes them; a CMS that pastes from a word processor leaves them in.
    page = "<p>Бишкекте кечээ жаан жаады.</p>" * 5 + "<p>Бишкек\x01 шаары\x0b жана\x1f Ош\x7f.</p>"
    text, _ = decode_html(page.encode(encoding), f"text/html; charset={encoding}")
    assert text.endswith("<p>Бишкек шаары жана Ош.</p>")


def test_control_characters_are_removed_in_an_encoding_unlike_ascii() -> None:
    # EBCDIC writes SUB (U+001A) as byte 0x3F: the bytes hold no control byte, the text
    # a control character all the same.
    page = "<p>Bishkek city news today.</p>" * 5 + "<p>Osh\x1a.</p>"
    text, encoding = decode_html(page.encode("cp500"), "text/html; charset=cp500")
    assert encoding == "cp500" and text.endswith("<p>Osh.</p>")
