"""The demo's transport: requests for the sites' own URLs are answered by their mirrors.

The archive stores the canonical URLs (https://24.kg/…); only the connection goes to the
mirror on 127.0.0.1 (`KGNEWS_MIRROR_ROUTES`: host → mirror origin). A host with no mirror
is refused, so the demo never reaches the network.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response


class NotMirrored(ConnectionRefusedError):
    """The demo has no mirror for this host."""


class MirrorTransport(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.routes: dict[str, str] = dict(crawler.settings.getdict("KGNEWS_MIRROR_ROUTES"))

    async def download_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        origin = self.routes.get(parts.netloc)
        if origin is None:
            raise NotMirrored(f"the demo has no mirror of {parts.netloc}")
        mirror = urlsplit(origin)
        local = urlunsplit((mirror.scheme, mirror.netloc, parts.path, parts.query, ""))
        response = await super().download_request(request.replace(url=local))
        return response.replace(url=request.url)
