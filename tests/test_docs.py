"""docs/schema.md describes every table and column the migrations create."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, inspect

from crawler.store.models import is_modelled

SCHEMA = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")


def documented_columns(table: str) -> set[str]:
    section = re.search(rf"(?ms)^## {table}\n(.*?)(?=^## |\Z)", SCHEMA)
    assert section, f"docs/schema.md has no section for {table}"
    names: set[str] = set()
    for cell in re.findall(r"(?m)^\| (`[^|]+`) \|", section.group(1)):
        names |= set(re.findall(r"`([a-z_]+)`", cell))
    return names


def test_every_table_and_column_is_documented(archive: Engine) -> None:
    inspector = inspect(archive)
    for table in inspector.get_table_names():
        if table == "alembic_version" or not is_modelled(table, "table"):
            continue
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert columns <= documented_columns(table), (table, columns - documented_columns(table))
    for view in ("latest_versions", "version_changes"):
        for column in inspector.get_columns(view):
            assert f"{column['name']}" in SCHEMA, (view, column["name"])
