"""What a module pulls in when imported alone: extraction stays pure, and the process
that re-extracts kept pages starts without the store (it is started once per core)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXTRACT = sorted(
    f"crawler.extract.{path.stem}"
    for path in (Path(__file__).resolve().parent.parent / "crawler" / "extract").glob("*.py")
    if path.stem != "__init__"
)


def imported(module: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after importing `module`."""
    code = (
        f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


@pytest.mark.parametrize("module", [*EXTRACT, "crawler.capture.kept"])
def test_extraction_imports_neither_scrapy_nor_sqlalchemy(module: str) -> None:
    assert not imported(module) & {"scrapy", "twisted", "sqlalchemy"}
