"""The demo: the bundled mirrors of the shipped sources, served on loopback."""

from __future__ import annotations

from pathlib import Path

from crawler.bundled import bundled


def mirrors_dir() -> Path:
    """The mirrors: inside the package when installed from a wheel, else the repository's
    tests/fixtures/mirrors/."""
    return bundled("_mirrors", "tests", "fixtures", "mirrors")
