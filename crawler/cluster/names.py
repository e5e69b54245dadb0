"""What a crawl node's job must be given: a name fit for a folder, and the archive. Pure."""

from __future__ import annotations

import re
from collections.abc import Mapping

NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_node_name(name: str) -> str:
    """The name as given, or ValueError saying what it may hold (it names a WARC folder)."""
    if not NODE_NAME.fullmatch(name):
        raise ValueError(
            f"node name {name!r} must start with a letter or digit and hold only letters, "
            "digits, '.', '_' and '-' (at most 64: it names the node's WARC folder)"
        )
    return name


def node_job_problem(
    node: str | None, database_setting: str | None, environ: Mapping[str, str]
) -> str | None:
    """Why a crawl on a node (KGNEWS_NODE set) must not start, or None. A node never falls
    back to ./kgnews.sqlite3: an archive of its own would hide its runs (and their locks)
    from every other node."""
    if not node:
        return None
    try:
        check_node_name(node)
    except ValueError as exc:
        return f"KGNEWS_NODE: {exc}"
    if not (database_setting or environ.get("KGNEWS_DATABASE_URL")):
        return (
            f"node {node} has no archive: set KGNEWS_DATABASE_URL in its environment "
            "(docs/scaling.md), or it would archive into a file of its own"
        )
    return None
