"""`kgnews extract` and `kgnews clean-text`: the extraction package on files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from crawler.cli.output import read_input, write
from crawler.errors import UserError


class NoArticleResult(click.ClickException):
    """Not a mistake of the user's: the page holds no article. Exit status 1."""

    exit_code = 1

    def show(self, file: object = None) -> None:
        click.echo(f"kgnews: no article: {self.format_message()}", err=True)


@click.command()
@click.argument("path")
@click.option("--url", help="The page's URL (for relative links and the canonical URL).")
@click.option("--source", "source_key", metavar="KEY", help="Use this source's extraction rules.")
@click.option("--sources", "sources_file", metavar="FILE", help="Sources file with KEY.")
@click.option(
    "--content-type", help='The HTTP Content-Type, e.g. "text/html; charset=windows-1251".'
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="json: every field; text: the body only, one paragraph a line.",
)
def extract(
    path: str,
    url: str | None,
    source_key: str | None,
    sources_file: str | None,
    content_type: str | None,
    output_format: str,
) -> None:
    """Extract the article from an HTML file (PATH, or - for standard input)."""
    from crawler.extract.errors import NoArticle, UnreadableInput
    from crawler.extract.pipeline import extract_article
    from crawler.extract.rules import NO_RULES
    from crawler.sources.registry import load_registry

    rules = NO_RULES
    if source_key:
        rules = load_registry(sources_file).get(source_key).rules
    elif sources_file:
        raise UserError("--sources needs --source KEY: which source's rules to use")
    data = read_input(path)
    page_url = url or (Path(path).absolute().as_uri() if path != "-" else "stdin:")
    try:
        article = extract_article(data, page_url, rules, content_type)
    except UnreadableInput as exc:  # a wrong file given: the user's to fix, as in clean-text
        raise UserError(f"{path}: {exc}") from None
    except NoArticle as exc:
        raise NoArticleResult(str(exc)) from None
    if output_format == "text":
        write("".join(f"{paragraph}\n" for paragraph in article.paragraphs))
    else:
        write(json.dumps(article.to_json(), ensure_ascii=False, indent=2) + "\n")


@click.command("clean-text")
@click.argument("path")
def clean_text(path: str) -> None:
    """Remove repeated blocks from extracted text and normalise it (one paragraph a line).

    For text that was already extracted (PATH, or - for standard input): blocks
    repeated whole or nearly, blocks glued from other blocks, sub-headings glued to
    the next word; spaces and look-alike letters normalised.
    """
    from crawler.extract.decode import decode_html
    from crawler.extract.errors import NoArticle
    from crawler.extract.pipeline import clean_text as clean

    data = read_input(path)
    if not data.strip():
        raise UserError(f"{path}: empty input: no bytes to read")
    try:
        text, _encoding = decode_html(data)
    except NoArticle as exc:
        raise UserError(f"{path}: {exc}") from None
    write("".join(f"{line}\n" for line in clean(text.splitlines())))
