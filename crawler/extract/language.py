"""Stage 6: the language of the body.

py3langid knows Kyrgyz (langdetect and lingua do not, and call it Russian or
Mongolian). Letter counts back it up on the close calls: Kyrgyz writes ң ө ү and
lacks Kazakh's ә ғ қ ұ һ і; Russian text about Kyrgyzstan has ң ө ү only in names,
so ratios decide, not presence.
"""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_LETTERS = 20
SAMPLE_CHARS = 1_000
_KYRGYZ = set("ңөүҢӨҮ")
_KAZAKH = set("әғқұһіӘҒҚҰҺІ")


@cache
def _identifier() -> LanguageIdentifier:
    """The model, loaded once per process; it is read-only, so results never depend on order."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """An ISO 639-1 code ("ky", "ru", "kk", "en"…), or None for too little text."""
    sample = text[:SAMPLE_CHARS]
    letters = [c for c in sample if c.isalpha()]
    if len(letters) < MIN_LETTERS:
        return None
    guess = str(_identifier().classify(sample)[0])
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff") or 1
    kyrgyz = sum(1 for c in letters if c in _KYRGYZ) / cyrillic
    kazakh = sum(1 for c in letters if c in _KAZAKH) / cyrillic
    en_ng = sum(1 for c in letters if c in "ңҢ") / cyrillic  # Mongolian has ө ү, but no ң
    if (
        guess in ("ru", "mn", "kk", "tt", "ba")
        and kyrgyz >= 0.02
        and en_ng >= 0.002
        and kazakh < 0.003
    ):
        return "ky"
    if guess == "ky" and kazakh >= 0.015:
        return "kk"
    return guess
