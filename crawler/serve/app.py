"""The Datasette application for one SQLite archive, with the kgnews plugin and metadata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.serve import plugin
from crawler.serve.metadata import metadata


def datasette_for(path: Path) -> Any:
    """Datasette on `path`, read-only (opened `mode=ro`: a crawl may go on writing it)."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    if not pm.is_registered(plugin):  # (it is, where the entry point was installed)
        pm.register(plugin, name="kgnews")
    return Datasette(
        files=[str(path)],
        metadata=metadata(path.stem),
        settings={"sql_time_limit_ms": 5000, "default_page_size": 50},
    )
