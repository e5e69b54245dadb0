"""The language of a body: Kyrgyz told apart from Russian, Kazakh and Mongolian."""

from __future__ import annotations

import pytest

from crawler.extract.language import detect_language

KYRGYZ = (
    "Президент Касым-Жомарт Токаев Казакстандагы нааразылык акцияларына жол берген "
    "күнөөлүүлөрдү атады. Ал өзгөчө күнөөлүү өкмөт, тактап айтканда, Энергетика "
    "министрлигин, ошондой эле компаниялар деп эсептейт."
)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (KYRGYZ, "ky"),
        # ө ү ң typed as о у н, as on a Russian keyboard: still Kyrgyz
        (KYRGYZ.replace("ө", "о").replace("ү", "у").replace("ң", "н"), "ky"),
        (
            "Президент Кыргызстана Садыр Жапаров провел встречу с жителями Нарына и "
            "Кочкор-Ата. На встрече обсуждались вопросы строительства дорог и школ в регионе.",
            "ru",
        ),
        (
            "Қазақстан Республикасының Президенті Алматы қаласында төтенше жағдай енгізді. "
            "Ел азаматтары бейбіт митингке шықты және үкіметтің отставкасын талап етті.",
            "kk",
        ),
        (
            "Монгол улсын ерөнхийлөгч өнөөдөр Улаанбаатар хотод хэвлэлийн бага хурал хийж, "
            "эдийн засгийн асуудлаар мэдэгдэл хийлээ.",
            "mn",
        ),
        ("The president of Kyrgyzstan met journalists in Bishkek on Monday morning.", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_too_little_text_has_no_language() -> None:
    assert detect_language("Ооба.") is None
    assert detect_language("12 345 — 678") is None
