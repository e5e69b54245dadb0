"""`kgnews history` and `kgnews diff`: an article's versions, and what changed."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler.cli.options import db_option, read_archive
from crawler.errors import UserError
from crawler.store.history import Version, find_article, restores
from crawler.textdiff import Segment, diff_paragraphs, diff_words, words_changed


@click.command()
@click.argument("url")
@db_option
def history(url: str, db: str | None) -> None:
    """The versions of the article at URL: when, title, words, and how much changed."""
    canonical, versions = find_article(read_archive(db), url)
    table = Table("version", "fetched (UTC)", "title", "words", "change", title=canonical)
    for index, version in enumerate(versions):
        if index == 0:
            change = "first"
        else:
            before = versions[index - 1]
            added, removed = words_changed(
                before.title + "\n" + before.body, version.title + "\n" + version.body
            )
            change = f"+{added} −{removed} words"
            back = restores(versions, index)
            if back is not None:
                change += f", restores version {back}"
        table.add_row(
            str(version.number), version.fetched_at.strftime("%Y-%m-%d %H:%M"), version.title,
            str(version.word_count), change,
        )  # fmt: skip
    Console(width=160).print(table)


@click.command()
@click.argument("url")
@click.option("--from", "older", type=int, help="Older version [default: the one before --to].")
@click.option("--to", "newer", type=int, help="Newer version [default: the latest].")
@click.option("--color/--no-color", default=None, help="Colour [default: on a terminal].")
@db_option
def diff(
    url: str, older: int | None, newer: int | None, color: bool | None, db: str | None
) -> None:
    """What changed between two versions of the article at URL, word by word.

    Only what changed is shown. Plain output marks [-removed-] and {+added+} words.
    """
    canonical, versions = find_article(read_archive(db), url)
    numbers = [v.number for v in versions]
    to = newer if newer is not None else numbers[-1]
    if to not in numbers:
        raise UserError(f"{canonical} has versions {numbers[0]}–{numbers[-1]}, not {to}")
    if len(numbers) == 1:
        raise UserError(f"{canonical} has one version only: nothing to compare yet")
    start = older if older is not None else to - 1
    if start not in numbers or start >= to:
        raise UserError(f"--from must be an earlier version of {canonical} ({numbers[0]}–{to - 1})")
    a, b = versions[numbers.index(start)], versions[numbers.index(to)]
    colour = sys.stdout.isatty() if color is None else color
    console = Console(
        width=120, no_color=not colour, force_terminal=colour, highlight=False, soft_wrap=True
    )
    console.print(
        Text(f"{canonical}: version {a.number} ({_when(a)}) → version {b.number} ({_when(b)})")
    )
    if a.content_hash == b.content_hash:
        console.print("no change in title or text")
        return
    if a.title != b.title:
        console.print(_render("title: ", diff_words(a.title, b.title), colour))
    for change in diff_paragraphs(a.paragraphs, b.paragraphs):
        where = f"¶{change.new_number}" if change.new_number else f"¶{change.old_number} (removed)"
        console.print(_render(f"{where}: ", change.segments, colour))


def _when(version: Version) -> str:
    return version.fetched_at.strftime("%Y-%m-%d %H:%M UTC")


_STYLES = {"removed": "red strike", "added": "green"}
_MARKS = {"removed": ("[-", "-]"), "added": ("{+", "+}")}


def _render(label: str, segments: list[Segment], colour: bool) -> Text:
    """Kept words plain; removed and added ones coloured, or marked [-…-] and {+…+}."""
    line = Text(label)
    for index, segment in enumerate(segments):
        if index:
            line.append(" ")
        if segment.kind == "same":
            line.append(segment.text)
        elif colour:
            line.append(segment.text, style=_STYLES[segment.kind])
        else:
            opening, closing = _MARKS[segment.kind]
            line.append(f"{opening}{segment.text}{closing}")
    return line
