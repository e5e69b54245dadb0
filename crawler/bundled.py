"""Data kgnews ships beside its code: inside the package when installed from a wheel
(pyproject.toml's force-include puts it under crawler/_NAME/), else where it lives in
the repository. Pure: no Scrapy, no SQLAlchemy."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled(packaged: str, *in_repository: str) -> Path:
    """crawler/`packaged` in an installed wheel, else `in_repository` from the clone's top."""
    inside = _PACKAGE_DIR / packaged
    return inside if inside.is_dir() else _PACKAGE_DIR.parent.joinpath(*in_repository)
