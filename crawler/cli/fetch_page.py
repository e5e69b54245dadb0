"""One page for a command to look at: a saved file, or a URL fetched once."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from pathlib import Path

from crawler.cli.output import MAX_READ_BYTES, read_input
from crawler.crawl import user_agent
from crawler.errors import UserError
from crawler.settings import DOWNLOAD_TIMEOUT


def read_page(page: str, url: str | None = None) -> tuple[bytes, str, str | None]:
    """(bytes, the page's URL, its Content-Type) of PAGE: an http(s) URL is fetched (once,
    as kgnews, redirects followed), anything else is a file; `url` names a file's page."""
    if page.startswith(("http://", "https://")):
        try:
            request = urllib.request.Request(page, headers={"User-Agent": user_agent()})
            with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:
                data = response.read(MAX_READ_BYTES + 1)
                return data, url or response.geturl(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            raise UserError(f"{page}: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            reason = getattr(exc, "reason", exc)  # ValueError: not a URL ("http://exa mple")
            raise UserError(f"cannot fetch {page}: {reason}") from None
    data = read_input(page)
    return data, url or (Path(page).absolute().as_uri() if page != "-" else "stdin:"), None
