"""Writing results: UTF-8 on stdout whatever the terminal's locale says."""

from __future__ import annotations

import sys
from pathlib import Path

from crawler.errors import UserError

MAX_READ_BYTES = 64 * 1024 * 1024


def write(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def read_input(path: str) -> bytes:
    """The bytes of PATH, or of standard input for "-"; a UserError says what is wrong."""
    if path == "-":
        return sys.stdin.buffer.read(MAX_READ_BYTES + 1)
    file = Path(path)
    if not file.exists():
        raise UserError(f"{path}: no such file")
    if file.is_dir():
        raise UserError(f"{path} is a directory: give a file, or - for standard input")
    try:
        with file.open("rb") as handle:
            return handle.read(MAX_READ_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
