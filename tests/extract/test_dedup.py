"""Block de-duplication, case by case, and the seed page from ../shared/seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract.dedup import dedupe_blocks, split_glued_headings

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed"
A = "Бишкек шаарынын мэриясы жаңы автобустарды сатып алууну пландап жатат."
B = "Быйыл шаарга жүзгө жакын жаңы автобус келет деп күтүлүүдө."
C = "Жүргүнчүлөр акыркы жылдары коомдук транспорттун абалына нааразы болуп келишкен."
D = "Мэриянын маалыматы боюнча, жол кире акысы азырынча өзгөрбөйт."


def test_exact_repeats_keep_the_first() -> None:
    assert dedupe_blocks([A, B, A, C, B]) == [A, B, C]


def test_repeats_that_differ_in_spacing_punctuation_and_quotes() -> None:
    variants = [
        A.replace(" ", "\u00a0"),
        A.replace(",", "").replace(".", "!"),
        "  " + A.replace("жаңы", "«жаңы»") + "  ",
        A.upper(),
    ]
    assert dedupe_blocks([A, *variants, B]) == [A, B]


def test_repeats_in_look_alike_letters() -> None:
    lookalike = A.replace("о", "o").replace("а", "a").replace("ң", "ӊ")
    assert dedupe_blocks([lookalike, A]) == [A]  # normalised, so the first is A itself


def test_a_repeat_with_a_trailing_credit_keeps_the_text_without_it() -> None:
    with_credit = A + " Сүрөт: Азаттык"
    assert dedupe_blocks([with_credit, B, A]) == [A, B]
    assert dedupe_blocks([A, B, A + " (Фото: 24.kg)"]) == [A, B]


def test_a_block_glued_from_others_becomes_the_finer_blocks_in_reading_order() -> None:
    glued = A + B  # no space between the two slides
    assert dedupe_blocks([glued, A, B, C]) == [A, B, C]
    assert dedupe_blocks([C, A, B, B + " " + A]) == [C, A, B]


def test_a_glued_block_placed_first_gives_its_pieces_their_place() -> None:
    # The glued copy comes first: its pieces take its place, the later copies go.
    assert dedupe_blocks([D, A + " " + B + C, C, A, B]) == [D, A, B, C]


def test_text_between_known_blocks_is_kept_as_a_block_of_its_own() -> None:
    heading = "Транспорт"
    glued = A + heading + B  # "…жатат.ТранспортБыйыл…": a sub-heading with no separator
    assert dedupe_blocks([glued, A, B]) == [A, heading, B]


def test_a_trailing_credit_between_pieces_is_dropped() -> None:
    glued = f"{A} {B} Сүрөт: Sputnik"
    assert dedupe_blocks([glued, A, B]) == [A, B]


def test_one_text_doubled_inside_a_block() -> None:
    assert dedupe_blocks([A + A, B]) == [A, B]
    assert dedupe_blocks([A + " " + A]) == [A]


def test_a_long_block_contained_in_another_is_a_repeat() -> None:
    paragraph = f"{C} {D} {B}"
    assert dedupe_blocks([D, paragraph]) == [paragraph]  # a pull quote taken from the text


def test_short_blocks_inside_longer_ones_are_not_touched() -> None:
    short = "Бишкек"  # a dateline or a heading that happens to occur in a paragraph
    assert dedupe_blocks([short, A, B]) == [short, A, B]


def test_a_small_piece_does_not_split_a_paragraph() -> None:
    quote = "деп билдирди мэрия"
    paragraph = f"Жаңы автобустар келерки айда келет, {quote}. Алар шаардын бардык багыттарында жүрөт жана жүргүнчүлөрдү ташыйт."
    assert dedupe_blocks([quote, paragraph]) == [quote, paragraph]


def test_pieces_match_only_at_word_boundaries() -> None:
    piece = "Ош шаары"
    # "Ош шаары" occurs inside "Бош шаары" but not as words: no split.
    paragraph = "Бош шаары деген жер жок, бирок Баткендин чек арасында ушундай кыштак бар экен."
    assert dedupe_blocks([piece, paragraph]) == [piece, paragraph]


def test_nothing_repeated_nothing_lost() -> None:
    assert dedupe_blocks([A, B, C, D]) == [A, B, C, D]


def test_blank_and_punctuation_only_blocks_go() -> None:
    assert dedupe_blocks(["", "   ", "\u00a0", "* * *", A]) == [A]


@pytest.mark.parametrize(
    ("glued", "parts"),
    [
        ("АктауАктаудагы Ынтымак аянтында", ["Актау", "Актаудагы Ынтымак аянтында"]),
        ("Жаңы-ӨзөнЖаңы-Өзөндө аянтка", ["Жаңы-Өзөн", "Жаңы-Өзөндө аянтка"]),
        ("жатат.АктөбеАктөбеде 1000дей", ["жатат.", "Актөбе", "Актөбеде 1000дей"]),
        ("Митингде КазАвтожол кызматкерлери", ["Митингде КазАвтожол кызматкерлери"]),
        ("iPhone менен YouTube", ["iPhone менен YouTube"]),
        ("YouTube каналы.АктауАктаудагы", ["YouTube каналы.", "Актау", "Актаудагы"]),
    ],
)
def test_glued_sub_headings(glued: str, parts: list[str]) -> None:
    assert split_glued_headings(glued) == parts


def test_a_sub_heading_glued_to_its_paragraph_is_its_own_block_in_the_body() -> None:
    # Its only copy on the page is the glued one: nothing else would bring it out.
    glued = f"{A}АктауАктаудагы Ынтымак аянтында митинг өттү."
    assert dedupe_blocks([glued, B]) == [A, "Актау", "Актаудагы Ынтымак аянтында митинг өттү.", B]


def test_the_seed_page_becomes_its_expected_text() -> None:
    raw = (SEED / "000_786ef842d27fd4be.txt").read_text(encoding="utf-8")
    expected = [
        line.strip()
        for line in (SEED / "expected.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    cleaned = dedupe_blocks(raw.splitlines())
    headings = {"Актау", "Жаңы-Өзөн", "Актөбе"}
    assert [line.removeprefix("- ") for line in cleaned if line not in headings] == expected
    # the sub-headings come out on lines of their own, before the paragraphs they head
    assert cleaned.index("Актау") + 1 == next(
        i for i, line in enumerate(cleaned) if line.startswith("Актаудагы")
    )
    assert cleaned.index("Актөбе") == len(cleaned) - 2


def test_same_blocks_same_result_whatever_came_before() -> None:
    first = dedupe_blocks([A + B, A, B, C])
    dedupe_blocks([C, D, C + D, "Башка бир макала."] * 50)  # other work in the same process
    assert dedupe_blocks([A + B, A, B, C]) == first


def test_a_piece_must_end_where_a_sentence_or_a_capitalised_word_begins() -> None:
    piece = "Бишкек шаарынын мэриясы жаңы автобустарды"
    longer = f"{piece}, троллейбус алат."
    assert dedupe_blocks([piece, longer]) == [piece, longer]
    assert dedupe_blocks([A, B, f"{A} {B}"]) == [A, B]  # whole sentences still split


def test_a_short_word_said_twice_is_not_halved() -> None:
    words = ["Мама", "Baden-Baden", "Walla Walla", "Ха-ха-ха"]
    assert dedupe_blocks(words) == words


def test_a_repeated_short_line_far_apart_keeps_both_copies() -> None:
    line = "Бишкек шаарынын мэриясы жаңы автобустарды сатып алат"  # 7 words: not long
    assert dedupe_blocks([line, "Биринчи абзац.", line]) == [line, "Биринчи абзац.", line]


def test_many_glued_headings_in_a_row_do_not_overflow() -> None:
    assert len(split_glued_headings("АктауАктау" * 1500)) > 1


# A week's menu: the same long item on several days is the writer's, not a copy.
MONDAY = "Эртең мененки тамак: 2 жумуртка, 1 кесим кара нан, 1 стакан айран жана 1 алма (же банан)"
TUESDAY = "Эртең мененки тамак: 1 табак сулу ботко, 1 ч. кашык бал, 1 стакан чай жана 1 алма"
LUNCH = "Түшкү тамак: 1 табак шорпо, 1 кесим эт, 1 стакан кымыз жана жашылча салаты (кызылча)"


def test_a_long_list_item_repeated_on_other_days_keeps_every_copy() -> None:
    menu = ["Дүйшөмбү", MONDAY, LUNCH, "Шейшемби", TUESDAY, "Шаршемби", MONDAY, "Бейшемби", LUNCH]
    assert dedupe_blocks(menu) == menu


def test_a_list_of_short_items_is_content_even_when_it_ends_with_a_full_stop() -> None:
    # "Containers: 1 green, 1 red…" closes with a full stop yet is a list, not a sentence.
    portions = "Идиштер: 1 жашыл, 1 кызыл, 1 сары, 1 кызгылт сары, 1 ч. кашык май."
    plan = ["Дүйшөмбү", portions, LUNCH, "Шейшемби", portions, "Шаршемби", portions]
    assert dedupe_blocks(plan) == plan


def test_a_sentence_that_names_a_few_places_is_still_prose() -> None:
    # Its commas make short pieces, but one clause is long: a copy of it is a copy.
    names = "Жыйынга Бишкек, Ош, Нарын, Талас жана Баткен облустарынын өкүлдөрү катышып, маселени талкуулашты."
    assert dedupe_blocks([names, "Шейшемби", B, "Шаршемби", names]) == [
        names,
        "Шейшемби",
        B,
        "Шаршемби",
    ]


def test_a_long_paragraph_repeated_far_apart_is_still_a_copy() -> None:
    assert dedupe_blocks([A, "Шейшемби", B, "Шаршемби", A]) == [A, "Шейшемби", B, "Шаршемби"]


def test_a_list_item_inside_a_longer_one_is_not_dropped_as_contained() -> None:
    longer = LUNCH + ", 1 стакан чай, 1 ч. кашык бал"
    assert dedupe_blocks([LUNCH, "Шейшемби", longer]) == [LUNCH, "Шейшемби", longer]


def test_an_article_rendered_once_per_screen_size_is_kept_once() -> None:
    # Site builders write the whole text once for each screen size; only CSS hides two.
    headings = [
        f"{number}-бөлүм: шаардын {name}"
        for number, name in enumerate(
            ["жолдору", "мектептери", "оорукандалары", "базарлары", "сейилбактары"], start=1
        )
    ]
    last = "Шаардын бюджети быйыл мурдагы жылга караганда бир топ көбөйдү."
    text = [block for pair in zip(headings, [A, B, C, D, last], strict=True) for block in pair]
    assert dedupe_blocks(text * 3) == text
