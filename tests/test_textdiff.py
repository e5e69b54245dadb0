"""Word-level change counts between versions, on the edge cases a first version and an
emptied page give (no words on one side)."""

from __future__ import annotations

from crawler.textdiff import Segment, chars_changed, diff_words, words_changed


def test_a_first_version_is_all_added_and_an_emptied_page_all_removed() -> None:
    assert diff_words("", "Бишкекте  жаан\nжаады.") == [Segment("added", "Бишкекте жаан жаады.")]
    assert diff_words("Бишкекте жаан жаады.", " ") == [Segment("removed", "Бишкекте жаан жаады.")]
    assert diff_words("", "") == [] and diff_words(" ", "\n") == []
    assert chars_changed("", "Жаан жаады.") == (11, 0)
    assert words_changed("Жаан жаады.", "") == (0, 2)


def test_a_changed_word_is_one_removed_and_one_added() -> None:
    assert diff_words("Бишкекте жаан жаады.", "Бишкекте кар жаады.") == [
        Segment("same", "Бишкекте"),
        Segment("removed", "жаан"),
        Segment("added", "кар"),
        Segment("same", "жаады."),
    ]
    assert chars_changed("Бишкекте жаан жаады.", "Бишкекте кар жаады.") == (3, 4)
