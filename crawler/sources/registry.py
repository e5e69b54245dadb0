"""The sources kgnews knows: the shipped Kyrgyz registry, or a user's own file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crawler.errors import UserError
from crawler.sources.loader import SourcesError, parse_sources
from crawler.sources.model import Source

SHIPPED = Path(__file__).with_name("kyrgyz.toml")


@dataclass(frozen=True)
class Registry:
    sources: tuple[Source, ...]
    origin: str
    """Where the sources came from (a file path), for messages."""

    def source_keys(self) -> list[str]:
        return [source.key for source in self.sources]

    def get(self, key: str) -> Source:
        for source in self.sources:
            if source.key == key:
                return source
        raise UserError(
            f"unknown source {key!r} in {self.origin}; known: {', '.join(self.source_keys())}"
        )

    def select(self, keys: list[str] | tuple[str, ...]) -> list[Source]:
        """The sources named by `keys`, or all of them when none are named."""
        return [self.get(key) for key in keys] if keys else list(self.sources)


def load_registry(path: str | Path | None = None) -> Registry:
    """The sources in `path`, or the shipped registry when it is None."""
    file = Path(path) if path is not None else SHIPPED
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(f"{file}: no such sources file") from None
    except IsADirectoryError:
        raise SourcesError(f"{file} is a directory, not a sources file") from None
    except UnicodeDecodeError as exc:
        raise SourcesError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise SourcesError(f"{file}: cannot read it: {exc.strerror}") from None
    return Registry(tuple(parse_sources(text, str(file))), str(file))
