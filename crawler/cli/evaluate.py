"""`kgnews eval-extract DIR`: our extraction beside bare trafilatura on a gold corpus."""

from __future__ import annotations

import json
from functools import reduce
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from crawler.errors import UserError
from crawler.extract.evaluate import ZERO, Score

_COLUMNS = ("found", "twice", "leak", "P", "R", "F1")


def _numbers(score: Score) -> dict[str, Any]:
    return {
        "gold": score.gold,
        "found": score.found,
        "twice": score.twice,
        "leaked": score.leaked,
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "f1": round(score.f1, 4),
    }


def _cells(score: Score) -> list[str]:
    return [
        str(score.found),
        str(score.twice),
        str(score.leaked),
        f"{score.precision:.3f}",
        f"{score.recall:.3f}",
        f"{score.f1:.3f}",
    ]


@click.command("eval-extract")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--sources", "sources_file", metavar="FILE", help="Sources file for the pages' keys.")
@click.option(
    "--no-rules", is_flag=True, help="Ignore the pages' sources: no body or drop selectors."
)
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def eval_extract(
    directory: Path | None, sources_file: str | None, no_rules: bool, as_json: bool
) -> None:
    """Score extraction on a gold corpus (NAME.html + NAME.gold.txt + NAME.json) in
    DIRECTORY [default: the gold pages kgnews ships, pages of the Kyrgyz sources].

    Per page and in total, for kgnews and for bare trafilatura.extract: gold
    paragraphs found, paragraphs that appear twice or more, boilerplate strings that
    leaked, and precision/recall/F1 over 4-token shingles.
    """
    from crawler.extract.corpus import evaluate, gold_pages_dir, load_corpus
    from crawler.extract.rules import NO_RULES
    from crawler.sources.registry import load_registry

    if directory is None:
        directory = gold_pages_dir()
    if not directory.is_dir():
        raise UserError(f"{directory}: no such directory")
    pages = load_corpus(directory)
    if not pages:
        raise UserError(f"{directory} holds no NAME.html with a NAME.gold.txt beside it")
    registry = load_registry(sources_file)
    known = set(registry.source_keys())
    results = evaluate(
        pages,
        lambda key: registry.get(key).rules if key in known and not no_rules else NO_RULES,
    )
    ours = reduce(lambda a, b: a + b, (r.ours for r in results), ZERO)
    bare = reduce(lambda a, b: a + b, (r.bare for r in results), ZERO)
    if as_json:
        report = {
            "pages": [
                {"page": r.name, "kgnews": _numbers(r.ours), "trafilatura": _numbers(r.bare)}
                for r in results
            ],
            "total": {"kgnews": _numbers(ours), "trafilatura": _numbers(bare)},
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"Extraction on {directory} ({len(pages)} pages)")
    table.add_column("page")
    table.add_column("gold", justify="right")
    for side in ("kgnews", "trafilatura"):
        for name in _COLUMNS:
            table.add_column(f"{side[:4]} {name}", justify="right")
    for result in results:
        table.add_row(
            result.name, str(result.ours.gold), *_cells(result.ours), *_cells(result.bare)
        )
    table.add_section()
    table.add_row("TOTAL", str(ours.gold), *_cells(ours), *_cells(bare))
    Console(width=200).print(table)
