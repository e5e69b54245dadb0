"""A failed fetch, said in one line a person can act on."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

# Exceptions that mean the site did not answer at all.
_NO_ANSWER: tuple[type[BaseException], ...] = (
    CannotResolveHostError,
    DNSLookupError,
    DownloadConnectionRefusedError,
    ConnectionRefusedError,
    DownloadTimeoutError,
    TimeoutError,
    TCPTimedOutError,
)


def describe_failure(failure: Failure) -> tuple[str, int | None, bool]:
    """(one-line reason, HTTP status if there was one, whether the site never answered)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    host = urlsplit(request.url).netloc if request is not None else "the site"
    if isinstance(exc, HttpError):
        status = exc.response.status
        reason = exc.response.headers.get("Location")
        text = f"HTTP {status}"
        if reason and 300 <= status < 400:
            text += f" redirect to {reason.decode('latin-1')} not followed"
        return text, status, False
    if isinstance(exc, CannotResolveHostError | DNSLookupError):
        return f"DNS lookup failed for {host}: no such host, or no network", None, True
    if isinstance(exc, DownloadConnectionRefusedError | ConnectionRefusedError):
        return f"connection refused by {host}", None, True
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return f"no answer from {host} in time ({_first_line(exc)})", None, True
    if isinstance(exc, ResponseDataLossError | ResponseFailed | ResponseNeverReceived):
        return "the connection closed before the whole page arrived", None, False
    if isinstance(exc, DownloadCancelledError):
        detail = _first_line(exc) or "the download passed the size limit (DOWNLOAD_MAXSIZE)"
        return f"page too large: {detail}", None, False
    if isinstance(exc, IgnoreRequest):
        return _first_line(exc) or "request ignored", None, False
    if isinstance(exc, DownloadFailedError):
        return f"download failed: {_first_line(exc)}", None, False
    return f"{type(exc).__name__}: {_first_line(exc)}", None, False


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
