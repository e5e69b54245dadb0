"""The example queries of docs/queries.sql, read as the tests and the query benchmark run them.

Each query there starts with `-- name: NAME`; `-- dialect: sqlite` or `postgresql`
marks a query written for one backend (its twin for the other has the same name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path


@dataclass(frozen=True)
class Named:
    name: str
    dialect: str | None
    sql: str
    comment: str = ""
    """The comment lines between its name and its dialect or SQL, joined."""


def documented_queries(path: Path) -> list[Named]:
    found = []
    for block in re.split(r"(?m)^-- name: ", path.read_text(encoding="utf-8"))[1:]:
        name, _, body = block.partition("\n")
        dialect = re.search(r"(?m)^-- dialect: (\w+)", body)
        sql = "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip()
        comment = " ".join(
            line[3:]
            for line in takewhile(
                lambda line: line.startswith("-- ") and not line.startswith("-- dialect:"),
                body.splitlines(),
            )
        )
        found.append(
            Named(name.strip(), dialect.group(1) if dialect else None, sql.rstrip(";"), comment)
        )
    return found
