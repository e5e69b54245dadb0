"""The package imported from inside a zip file (a Scrapyd egg) runs from an unpacked copy.

kgnews reads its data as files: the sources registry, the migrations (Alembic needs a
directory), templates. Inside a zip they are not files. So when the package's folder is
inside a zip archive, the archive is unpacked once into a cache folder named by its
content hash ($KGNEWS_EGG_CACHE, else $XDG_CACHE_HOME/kgnews/eggs, else
~/.cache/kgnews/eggs) and the package's modules load from there. Unpacking goes to a
temporary folder renamed into place, so processes starting together (a job and its
extraction workers) never see half a copy. Stdlib only: this runs before anything else.
"""

from __future__ import annotations

import os
from pathlib import Path


def unpacked(path: list[str]) -> list[str]:
    """The package's search path: unchanged for a package on disk, else the unpacked copy's."""
    folder = Path(path[0])
    if folder.is_dir():  # the usual case, and all it costs
        return path
    archive = _archive_of(folder)
    if archive is None:
        return path
    import hashlib

    cache = cache_dir()
    _own_folder(cache)
    target = cache / hashlib.sha256(archive.read_bytes()).hexdigest()[:20]
    if not (target / folder.name / "__init__.py").is_file():
        _unpack(archive, target)
    return [str(target / folder.name)]


def _own_folder(cache: Path) -> None:
    """The cache is this user's alone: code found in it is run."""
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = cache.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise ImportError(
            f"kgnews: the egg cache {cache} must belong to this user and be writable by no "
            "other (set KGNEWS_EGG_CACHE to a folder of the node's own)"
        )


def cache_dir() -> Path:
    chosen = os.environ.get("KGNEWS_EGG_CACHE")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgnews" / "eggs"


def _archive_of(folder: Path) -> Path | None:
    """The zip file the folder is inside, if it is inside one."""
    import zipfile

    for parent in folder.parents:
        if parent.is_file():
            return parent if zipfile.is_zipfile(parent) else None
    return None


def _unpack(archive: Path, target: Path) -> None:
    import shutil
    import tempfile
    import zipfile

    work = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=target.parent))
    try:
        with zipfile.ZipFile(archive) as egg:
            egg.extractall(work)
        try:
            work.rename(target)
        except OSError:  # another process unpacked it first: theirs is as good
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
