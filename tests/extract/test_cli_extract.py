"""`kgnews extract` and `kgnews clean-text` as a user runs them, good input and bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.extract.test_carousels import INTRO, OUTRO, SLIDES, page, slick
from tests.helpers import assert_user_error, run_kgnews

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"


def test_clean_text_reproduces_the_seed(tmp_path: Path) -> None:
    result = run_kgnews("clean-text", str(SEED / "000_786ef842d27fd4be.txt"))
    assert result.returncode == 0, result.stderr
    headings = {"Актау", "Жаңы-Өзөн", "Актөбе"}
    got = [line.removeprefix("- ") for line in result.stdout.splitlines() if line not in headings]
    want = [
        line.strip()
        for line in (SEED / "expected.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert got == want


def test_clean_text_reads_standard_input() -> None:
    text = f"{SLIDES[0]}{SLIDES[1]}\n\n{SLIDES[0]}\n{SLIDES[1]}\n{SLIDES[1]}\n"
    result = run_kgnews("clean-text", "-", input=text)
    assert result.stdout.splitlines() == SLIDES[:2]


def test_extract_json_has_every_field(tmp_path: Path) -> None:
    file = tmp_path / "page.html"
    file.write_bytes(page(slick()))
    result = run_kgnews("extract", str(file), "--url", "https://www.azattyk.org/a/31999001.html?utm_source=fb",
                        "--source", "azattyk")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"url", "title", "lead", "authors", "published_at", "modified_at", "language",
                         "tags", "image_url", "paragraphs", "word_count", "extractor"}  # fmt: skip
    assert data["paragraphs"] == [INTRO, *SLIDES, OUTRO]
    assert data["language"] == "ky"
    assert data["title"] == "Нарында кар көчкү коркунучу"


def test_extract_text_prints_one_paragraph_a_line(tmp_path: Path) -> None:
    file = tmp_path / "page.html"
    file.write_bytes(page(slick()))
    result = run_kgnews("extract", str(file), "--format", "text")
    assert result.stdout.splitlines() == [INTRO, *SLIDES, OUTRO]


def no_article(result: object, reason: str) -> None:
    from subprocess import CompletedProcess

    assert isinstance(result, CompletedProcess)
    assert result.returncode == 1, (result.returncode, result.stderr)
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("kgnews: no article: "), line
    assert reason in line, line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty input"),
        (bytes(range(256)) * 40, "binary data"),
        (b"\x1f\x8b\x08\x00" + bytes(64), "gzip"),
    ],
    ids=["empty", "binary", "gzip"],
)
@pytest.mark.parametrize("command", ["extract", "clean-text"])
def test_input_that_is_no_page_is_the_same_mistake_in_both_commands(
    tmp_path: Path, command: str, content: bytes, reason: str
) -> None:
    file = tmp_path / "input.html"
    file.write_bytes(content)
    assert_user_error(run_kgnews(command, str(file), timeout=60), reason)
    piped = run_kgnews(command, "-", input=content.decode("latin-1"), timeout=60)  # (as UTF-8)
    assert_user_error(piped, "empty input" if not content else "not HTML")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<html><body><nav><a href='/'>Башкы</a></nav></body></html>".encode(), "no article text"),
        # a listing page: headlines and links, no article
        (
            (
                "<html><body><ul>"
                + "".join(f"<li><a href='/a/{n}.html'>Кабар {n}</a></li>" for n in range(30))
                + "</ul></body></html>"
            ).encode(),
            "not an article",
        ),
    ],
    ids=["no-text", "listing"],
)
def test_pages_without_an_article(tmp_path: Path, content: bytes, reason: str) -> None:
    file = tmp_path / "input.html"
    file.write_bytes(content)
    no_article(run_kgnews("extract", str(file), timeout=60), reason)


def test_truncated_html_still_extracts(tmp_path: Path) -> None:
    whole = page(slick())
    file = tmp_path / "cut.html"
    file.write_bytes(whole[: whole.index(OUTRO.encode()) + 20])  # stops half way
    result = run_kgnews("extract", str(file), "--format", "text", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[: 1 + len(SLIDES)] == [INTRO, *SLIDES]


def test_a_20_mb_page_is_refused_quickly(tmp_path: Path) -> None:
    file = tmp_path / "huge.html"
    filler = ("<p>" + "Бишкек " * 200 + "</p>\n").encode()
    file.write_bytes(b"<html><body>" + filler * (20_000_000 // len(filler)) + b"</body></html>")
    no_article(run_kgnews("extract", str(file), timeout=60), "over the 10 MiB limit")


def test_a_wrong_declared_charset(tmp_path: Path) -> None:
    file = tmp_path / "page.html"
    file.write_bytes(page(slick()).replace(b"utf-8", b"windows-1251"))
    result = run_kgnews(
        "extract", str(file), "--format", "text", "--content-type", "text/html; charset=koi8-r"
    )
    assert result.stdout.splitlines() == [INTRO, *SLIDES, OUTRO]


def test_user_mistakes(tmp_path: Path) -> None:
    assert_user_error(run_kgnews("extract", str(tmp_path / "missing.html")), "no such file")
    assert_user_error(run_kgnews("extract", str(tmp_path)), "is a directory")
    assert_user_error(run_kgnews("clean-text", str(tmp_path / "missing.txt")), "no such file")
    file = tmp_path / "page.html"
    file.write_bytes(page(slick()))
    assert_user_error(
        run_kgnews("extract", str(file), "--source", "nope"), "unknown source 'nope'", "azattyk"
    )


def test_eval_extract_scores_the_shipped_gold_pages_with_no_directory_given() -> None:
    import json

    pages = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
    result = run_kgnews("eval-extract", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {p["page"] for p in report["pages"]} == {f.stem for f in pages.glob("*.html")}
    assert report["total"]["kgnews"]["f1"] > report["total"]["trafilatura"]["f1"]
