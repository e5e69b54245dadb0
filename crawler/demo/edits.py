"""The edits the demo's sites make between its crawls (crawler/demo/edits.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crawler.demo.mirror import Mirror

EDITS_FILE = Path(__file__).with_name("edits.toml")


@dataclass(frozen=True, slots=True)
class Edit:
    crawl: int
    what: str
    source: str
    url: str
    find: str = ""
    replace: str = ""
    hide: bool = False
    """Take the page off the site (404) rather than edit it."""
    show: bool = False
    """Put a hidden page back (published now)."""

    @property
    def changes_text(self) -> bool:
        return not (self.hide or self.show)

    def apply(self, mirrors: Path) -> None:
        """Make the edit in a copy of the mirrors; a `find` that is not there is a bug."""
        page = self._file(mirrors)
        hidden = page.with_name(page.name + ".hidden")
        if self.hide or self.show:
            (page if self.hide else hidden).replace(hidden if self.hide else page)
            return
        text = page.read_text(encoding="utf-8")
        if self.find not in text:
            raise RuntimeError(f"demo edit {self.what!r}: {self.find!r} is not in {page}")
        page.write_text(text.replace(self.find, self.replace), encoding="utf-8")

    def _file(self, mirrors: Path) -> Path:
        mirror = Mirror.load(mirrors / self.source)
        path = urlsplit(self.url).path
        name = mirror.routes.get(path) or path.lstrip("/") + (
            "index.html" if path.endswith("/") else ""
        )
        return mirror.root / name


def load_edits(path: Path = EDITS_FILE) -> list[Edit]:
    return [Edit(**entry) for entry in tomllib.loads(path.read_text(encoding="utf-8"))["edits"]]


def crawls(edits: list[Edit]) -> int:
    """How many crawls the edits need: one before the first edit, one after the last."""
    return max((edit.crawl for edit in edits), default=1)
