"""The demo: the bundled mirrors of the shipped sources, served on loopback."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def mirrors_dir() -> Path:
    """The mirrors: inside the package when installed from a wheel, else the repository's
    tests/fixtures/mirrors/."""
    packaged = _PACKAGE_DIR / "_mirrors"
    return packaged if packaged.is_dir() else _PACKAGE_DIR.parent / "tests" / "fixtures" / "mirrors"
