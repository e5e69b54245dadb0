"""The example queries of docs/queries.sql, read as the tests and the query benchmark run them.

Each query there starts with `-- name: NAME`; `-- dialect: sqlite` or `postgresql`
marks a query written for one backend (its twin for the other has the same name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Named:
    name: str
    dialect: str | None
    sql: str


def documented_queries(path: Path) -> list[Named]:
    found = []
    for block in re.split(r"(?m)^-- name: ", path.read_text(encoding="utf-8"))[1:]:
        name, _, body = block.partition("\n")
        dialect = re.search(r"(?m)^-- dialect: (\w+)", body)
        sql = "\n".join(line for line in body.splitlines() if not line.startswith("--")).strip()
        found.append(Named(name.strip(), dialect.group(1) if dialect else None, sql.rstrip(";")))
    return found
