"""Which written forms a Kyrgyz query word stands for.

Kyrgyz is agglutinative: a stem takes its suffixes at the end (Бишкек → Бишкекте,
Бишкектин, Бишкекке; шайлоо → шайлоосу, шайлоодо), so a query word matches every word
that *starts* with it. Two sound changes move the stem itself, and are followed here:

- a final к or п becomes г or б before a vowel (китеп → китеби, жүрөк → жүрөгү,
  мектеп → мектебинде): a word ending in к/п also matches the words that start with
  its voiced stem;
- a few common stems lose their second vowel (орун → ордунан, бала → балдар): they are
  listed in `_CONTRACTED`.

A two-letter word (Ош, үй, ай) as a prefix would match too much (Ош → ошол, "that"):
it matches itself and itself with one ending, in every vowel-harmony variant (Ошто,
Оштун, үйлөр, айда). Single letters and numbers match only themselves. Pure: no
database, no Scrapy.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_STEM = 3
# One ending, all its shapes: plural, genitive, dative, accusative, locative, ablative,
# possessive, and the -дагы "the one in" adjective.
_ENDINGS = tuple(
    f"{onset}{vowel}{coda}"
    for onsets, vowels, coda in (
        ("лдт", "аеоө", "р"),
        ("ндт", "ыиуү", "н"),
        ("гк", "аеоө", ""),
        ("ндт", "ыиуү", ""),
        ("дт", "аеоө", ""),
        ("дт", "аеоө", "н"),
        (("", "с"), "ыиуү", ""),
        ("дт", ("агы", "еги", "огу", "өгү"), ""),
    )
    for onset in onsets
    for vowel in vowels
)
_VOICED = {"к": "г", "п": "б"}
_CONTRACTED = {
    "бала": "балд",  # балдар
    "орун": "орд",  # ордунан, ордуна
    "мурун": "мурд",  # мурду
    "эрин": "эрд",  # эрди
    "көңүл": "көңл",  # көңлү
    "ойун": "оюн",  # the spelling of the noun: оюну, оюндар
}


@dataclass(frozen=True, slots=True)
class Forms:
    """How one query word matches: the prefixes it stands for, or itself exactly."""

    stems: tuple[str, ...]
    prefix: bool


def forms(word: str, *, exact: bool = False) -> Forms:
    """The stems that `word` (already folded to lower case) matches the start of.

    >>> forms("китеп")
    Forms(stems=('китеп', 'китеб'), prefix=True)
    >>> forms("5")
    Forms(stems=('5',), prefix=False)
    """
    if exact or len(word) < 2 or word.isdigit():
        return Forms((word,), prefix=False)
    if len(word) < MIN_STEM:
        return Forms((word, *(word + ending for ending in _ENDINGS)), prefix=False)
    stems = [word]
    if word[-1] in _VOICED:
        stems.append(word[:-1] + _VOICED[word[-1]])
    if word in _CONTRACTED:
        stems.append(_CONTRACTED[word])
    return Forms(tuple(stems), prefix=True)
