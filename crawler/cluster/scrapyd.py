"""Scrapyd's HTTP API, the three calls `kgnews schedule` makes: is the node up, what
has it queued, queue a job. Stdlib only, with a timeout on every call (a node that
hangs must not hang the timer that schedules)."""

from __future__ import annotations

import base64
import json
import netrc
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

from crawler.cluster.names import check_node_name

TIMEOUT_S = 10.0
DEFAULT_PORT = 6800


class NodeError(Exception):
    """The node did not answer, or refused: the message says which and why."""


class NodeTimeout(NodeError):
    """The node took longer than the timeout: what was asked may have been done."""


ALL_SOURCES = "*"
"""In pending_sources: a queued job that names no source (it crawls them all)."""


class _NoRedirects(HTTPRedirectHandler):
    """Scrapyd's API never redirects: following one would send the password elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = build_opener(_NoRedirects)


@dataclass(frozen=True)
class Node:
    name: str
    url: str
    """Without credentials: what messages show."""
    credentials: tuple[str, str] | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str) -> Node:
        """NAME=URL, or a URL alone (named by its host and port). A node with Scrapyd's
        username and password set takes them from the URL (http://USER:PASSWORD@HOST:PORT)
        or, better (a command line is visible to every user), from ~/.netrc."""
        name, _, url = text.partition("=") if "=" in text.split("://")[0] else ("", "", text)
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            shown = text.replace(f":{parts.password}@", ":***@") if parts.password else text
            raise ValueError(f"{shown!r} is not a Scrapyd URL (http://HOST:PORT, or NAME=URL)")
        port = port or (DEFAULT_PORT if parts.scheme == "http" else 443)
        if not name:  # host and port, made fit for a folder name
            name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{parts.hostname}-{port}").strip("-.")
        check_node_name(name)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        netloc = f"{host}:{port}"
        plain = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/") + "/", "", ""))
        credentials: tuple[str, str] | None = _from_netrc(parts.hostname)
        if parts.username is not None:
            credentials = (unquote(parts.username), unquote(parts.password or ""))
        return cls(name, plain, credentials)


def _from_netrc(host: str) -> tuple[str, str] | None:
    try:
        entry = netrc.netrc().authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None:
        return None
    return entry[0], entry[2] or ""


class Scrapyd:
    def __init__(self, node: Node, timeout: float = TIMEOUT_S) -> None:
        self.node = node
        self.timeout = timeout

    def status(self) -> dict[str, Any]:
        answer: dict[str, Any] = self._call("daemonstatus.json")
        return answer

    def pending_sources(self, project: str, spider: str) -> set[str]:
        """The sources of the jobs queued on the node and not started yet."""
        jobs = self._call("listjobs.json?" + urlencode({"project": project}), missing_ok=True)
        keys: set[str] = set()
        for job in jobs.get("pending", []):
            if job.get("spider") != spider:
                continue
            named = [k for k in str(job.get("args", {}).get("source", "")).split(",") if k]
            keys.update(named or [ALL_SOURCES])
        return keys

    def schedule(self, project: str, spider: str, fields: list[tuple[str, str]]) -> str:
        body = urlencode([("project", project), ("spider", spider), *fields]).encode()
        job = self._call("schedule.json", body).get("jobid")
        if not job:
            raise NodeError(f"{self.node.url}: answered without a job id: is this Scrapyd?")
        return str(job)

    def _call(self, path: str, body: bytes | None = None, missing_ok: bool = False) -> Any:
        headers = {"Accept": "application/json"}
        if self.node.credentials is not None:
            pair = ":".join(self.node.credentials).encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        request = Request(self.node.url + path, data=body, headers=headers)
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except HTTPError as exc:
            raise NodeError(f"{self.node.url}: HTTP {exc.code} {exc.reason}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise NodeTimeout(f"{self.node.url}: no answer in {self.timeout:g} s") from None
            raise NodeError(f"{self.node.url}: {reason}") from None
        except ValueError:
            raise NodeError(f"{self.node.url}: the answer is not JSON: is this Scrapyd?") from None
        if answer.get("status") != "ok":
            message = str(answer.get("message", answer)).strip()
            if missing_ok and "not found" in message:
                return {}  # a project not deployed yet has nothing queued
            raise NodeError(f"{self.node.url}: {message}")
        return answer
