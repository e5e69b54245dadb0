"""Kyrgyz normalisation: spaces, NFC, look-alike letters inside Cyrillic words only."""

from __future__ import annotations

import pytest

from crawler.extract.normalize import match_key, normalize_paragraph, normalize_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Кыргызстандыӊ", "Кыргызстандың"),  # ӊ (U+04CA) for ң
        ("ӉАРЫН", "ҢАРЫН"),  # capital U+04C9
        ("кѳл", "көл"),  # fita for ө
        ("Ѳзгѳн", "Өзгөн"),
        ("ΥНАЛГЫСЫ", "ҮНАЛГЫСЫ"),  # Greek capital upsilon for Ү
        ("Кыргыз КызMATы", "Кыргыз Кызматы".replace("мат", "МАТ")),  # Latin M, A, T
        ("Бишкeктe", "Бишкекте"),  # Latin e
        ("yй", "уй"),  # Latin y before a Cyrillic letter: Cyrillic у
        ("Ӧзгӧрүш", "Өзгөрүш"),  # Altai/Mari letters
        ("ӱй", "үй"),
        ("коӈул", "коңул"),
        ("o", "o"),  # a lone Latin letter is not a Cyrillic word
        ("Qazaqstan.tv", "Qazaqstan.tv"),
        ("Özgür Müller", "Özgür Müller"),  # Latin words keep their ö and ü
        ("iPhoneдун", "iPhoneдун"),  # i, h, n have no Cyrillic twin: not ours to fold
    ],
)
def test_look_alike_letters(raw: str, clean: str) -> None:
    assert normalize_text(raw) == clean


def test_spaces_and_invisible_characters() -> None:
    raw = "Бишкек\u00a0шаары  \u2009 Ала\u00ad-Тоо\u200b аянты\t\u202f "
    assert normalize_text(raw) == "Бишкек шаары Ала-Тоо аянты"


def test_decomposed_letters_are_composed() -> None:
    decomposed = "и\u0306о\u0308"  # й and ӧ written with combining marks
    assert normalize_text(decomposed) == "йө"


def test_newlines_are_kept_by_text_and_joined_by_paragraph() -> None:
    assert normalize_text("биринчи\r\nэкинчи\u2029үчүнчү") == "биринчи\nэкинчи\nүчүнчү"
    assert normalize_paragraph("биринчи\nэкинчи") == "биринчи экинчи"


def test_match_key_ignores_case_spacing_punctuation_and_lookalikes() -> None:
    assert match_key("«Ала-Тоо» аянты!") == match_key("ала тоо АЯНТЫ") == "алатооаянты"
    assert match_key("Кѳл") == match_key("көл")
