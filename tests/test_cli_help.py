"""The command line explains itself: bare `kgnews` is help, every option says what it does."""

from __future__ import annotations

from collections.abc import Iterator

import click

from crawler.cli import cli
from tests.helpers import run_kgnews


def commands(command: click.Command, path: str = "kgnews") -> Iterator[tuple[str, click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from commands(sub, f"{path} {name}")


def test_every_command_and_option_has_help_text() -> None:
    missing = [
        f"{path} {'/'.join(param.opts)}"
        for path, command in commands(cli)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    missing += [path for path, command in commands(cli) if not command.help]
    assert missing == []


def test_bare_kgnews_prints_help_and_succeeds() -> None:
    result = run_kgnews()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: kgnews") and "serve" in result.stdout
    assert result.stderr == ""
