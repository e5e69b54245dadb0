"""The project egg Scrapyd runs: kgnews's code with the data it reads as files.

`scrapyd-deploy` would build an egg with setuptools from a setup.py it writes into the
checkout, and that egg would leave out the migrations (they live at the top level).
This builds the egg directly, from the package as it is installed or checked out:
every module and data file of `crawler` (the sources registry, templates), the
migrations under crawler/_migrations and the documented queries under crawler/_docs,
as a wheel has them. Deploy it with `scrapyd-deploy TARGET --egg FILE`.

The same code gives the same bytes (sorted entries, fixed timestamps), so an egg's hash
names its content. Stdlib only.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crawler import __version__
from crawler.bundled import bundled

_PACKAGE = Path(__file__).resolve().parent.parent
_LEFT_OUT = {"_mirrors", "_gold_pages", "__pycache__"}  # demo and benchmark data: not for nodes
_DOCS = ("schema.md", "queries.sql")
_STAMP = (1980, 1, 1, 0, 0, 0)
ENTRY_POINTS = "[scrapy]\nsettings = crawler.settings\n"


@dataclass(frozen=True)
class Egg:
    path: Path
    files: int
    sha256: str


def egg_entries() -> Iterator[tuple[str, Path]]:
    """(name inside the egg, file on disk) for every file the egg holds, in order."""
    entries: dict[str, Path] = {}
    for file in _files(_PACKAGE):
        entries[f"crawler/{file.relative_to(_PACKAGE).as_posix()}"] = file
    migrations = bundled("_migrations", "migrations")
    for file in _files(migrations):
        entries[f"crawler/_migrations/{file.relative_to(migrations).as_posix()}"] = file
    docs = bundled("_docs", "docs")
    for name in _DOCS:
        entries[f"crawler/_docs/{name}"] = docs / name
    yield from sorted(entries.items())


def build_egg(target: Path) -> Egg:
    """Write the egg to `target` (replacing it) and say what it holds."""
    entries = list(egg_entries())
    missing = [str(file) for _, file in entries if not file.is_file()]
    if missing:
        raise FileNotFoundError(f"cannot build the egg: {missing[0]} is missing")
    metadata = {
        "EGG-INFO/PKG-INFO": f"Metadata-Version: 2.1\nName: kgnews\nVersion: {__version__}\n",
        "EGG-INFO/entry_points.txt": ENTRY_POINTS,
        "EGG-INFO/top_level.txt": "crawler\n",
        "EGG-INFO/not-zip-safe": "\n",  # it reads its data as files (crawler._unpacked)
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as egg:
            for name, text in metadata.items():
                egg.writestr(zipfile.ZipInfo(name, _STAMP), text)
            for name, file in entries:
                info = zipfile.ZipInfo(name, _STAMP)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                egg.writestr(info, file.read_bytes())
        digest = hashlib.sha256(partial.read_bytes()).hexdigest()
        partial.replace(target)  # a deploy never picks up half an egg
    except BaseException:
        partial.unlink(missing_ok=True)  # no half egg left behind
        raise
    return Egg(target, len(entries), digest)


def _files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        hidden = any(part.startswith(".") for part in relative.parts)  # editors', tools'
        if path.is_file() and not hidden and not _LEFT_OUT & set(relative.parts):
            if path.suffix == ".pyc":
                continue
            yield path
