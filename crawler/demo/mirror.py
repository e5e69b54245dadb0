"""Serving a mirror of a news site on loopback, for the demo and the tests.

A mirror is a directory: the site's files at their URL paths (`a/31640101.html` is
served at `/a/31640101.html`, `kyrgyzcha/index.html` at `/kyrgyzcha/`) and a
`mirror.toml` that says which origins the files name (their absolute links are
rewritten to the mirror's own origin as they are served), any paths that are not
plain files (`[routes]`), content types the extension does not tell
(`[content_types]`), and what a crawl of it must archive (`[[articles]]`).

The server answers conditional requests (ETag from the content, Last-Modified from
the file's mtime) with 304, and serves the files as they are at request time, so a
test can edit an article between two crawls.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
import tomllib
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
}
_REWRITTEN = (
    "text/",
    "application/xml",
    "application/rss",
    "application/atom",
    "application/xhtml",
)


@dataclass
class Mirror:
    """A mirror directory and what its mirror.toml says."""

    root: Path
    origins: tuple[str, ...]
    routes: dict[str, str] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)
    gzip: bool = False
    """Send bodies gzip-encoded to clients that accept it."""
    conditional: bool = True
    """Answer If-None-Match / If-Modified-Since with 304 (a site may not)."""

    @classmethod
    def load(cls, root: Path) -> Mirror:
        config = tomllib.loads((root / "mirror.toml").read_text(encoding="utf-8"))
        return cls(
            root=root,
            origins=tuple(config.get("origins", [])),
            routes=dict(config.get("routes", {})),
            content_types=dict(config.get("content_types", {})),
            articles=list(config.get("articles", [])),
            gzip=bool(config.get("gzip", False)),
            conditional=bool(config.get("conditional", True)),
        )

    def file_for(self, target: str) -> Path | None:
        """The file served at `target` (path and query), or None."""
        path = unquote(urlsplit(target).path)
        name = self.routes.get(target) or self.routes.get(path)  # unknown queries ignored
        if name is None:
            name = path.lstrip("/") + ("index.html" if path.endswith("/") else "")
        file = (self.root / name).resolve()
        if self.root.resolve() not in file.parents or not file.is_file():
            return None
        return file

    def content_type(self, file: Path) -> str:
        relative = file.relative_to(self.root.resolve()).as_posix()
        if relative in self.content_types:
            return self.content_types[relative]
        return (
            _TYPES.get(file.suffix)
            or mimetypes.guess_type(file.name)[0]
            or "text/html; charset=utf-8"
        )

    def body(self, file: Path, own_origin: str) -> bytes:
        data = file.read_bytes()
        if file.suffix == ".gz":  # a gzipped sitemap: rewrite what is inside
            return gzip.compress(self._rewrite(gzip.decompress(data), own_origin), mtime=0)
        if not self.content_type(file).startswith(_REWRITTEN):
            return data
        return self._rewrite(data, own_origin)

    def _rewrite(self, data: bytes, own_origin: str) -> bytes:
        for origin in sorted(self.origins, key=len, reverse=True):
            data = data.replace(origin.encode(), own_origin.encode())
            bare = origin.split("://", 1)[-1]
            data = data.replace(
                b"//" + bare.encode(), b"//" + own_origin.split("://", 1)[-1].encode()
            )
        return data


class _Handler(BaseHTTPRequestHandler):
    server: MirrorServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        mirror = self.server.mirror
        self.server.requests.append((self.command, self.path, dict(self.headers.items())))
        file = mirror.file_for(self.path)
        if file is None:
            self._send(HTTPStatus.NOT_FOUND, b"<html><body><h1>404</h1></body></html>", "text/html")
            return
        body = mirror.body(file, self.server.origin)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        modified = formatdate(int(file.stat().st_mtime), usegmt=True)
        if mirror.conditional and self._not_modified(etag, file.stat().st_mtime):
            self._send(
                HTTPStatus.NOT_MODIFIED, b"", None, {"ETag": etag, "Last-Modified": modified}
            )
            return
        headers = {"ETag": etag, "Last-Modified": modified}
        if mirror.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self._send(HTTPStatus.OK, body, mirror.content_type(file), headers)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return etag in [tag.strip() for tag in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return int(mtime) <= int(parsedate_to_datetime(since).timestamp())
            except (TypeError, ValueError):
                return False
        return False

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.server.responses.append((self.path, int(status), len(body)))
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass


class MirrorServer(ThreadingHTTPServer):
    """One mirror on 127.0.0.1 at a free port, served from a background thread."""

    daemon_threads = True

    def __init__(self, mirror: Mirror) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mirror = mirror
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.responses: list[tuple[str, int, int]] = []  # path, status, body bytes
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"mirror {mirror.root.name}", daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> MirrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()
