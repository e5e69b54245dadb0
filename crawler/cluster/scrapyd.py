"""Scrapyd's HTTP API, the three calls `kgnews schedule` makes: is the node up, what
has it queued, queue a job. Stdlib only, with a timeout on every call (a node that
hangs must not hang the timer that schedules)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

TIMEOUT_S = 10.0


class NodeError(Exception):
    """The node did not answer, or refused: the message says which and why."""


@dataclass(frozen=True)
class Node:
    name: str
    url: str

    @classmethod
    def parse(cls, text: str) -> Node:
        """NAME=URL, or a URL alone (named by its host and port)."""
        name, _, url = text.partition("=") if "=" in text.split("://")[0] else ("", "", text)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{text!r} is not a Scrapyd URL (http://HOST:PORT, or NAME=URL)")
        if not name:
            name = f"{parts.hostname}-{parts.port or 6800}"
        return cls(name, url.rstrip("/") + "/")


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
            if job.get("spider") == spider:
                keys.update(k for k in str(job.get("args", {}).get("source", "")).split(",") if k)
        return keys

    def schedule(self, project: str, spider: str, fields: list[tuple[str, str]]) -> str:
        body = urlencode([("project", project), ("spider", spider), *fields]).encode()
        return str(self._call("schedule.json", body)["jobid"])

    def _call(self, path: str, body: bytes | None = None, missing_ok: bool = False) -> Any:
        request = Request(self.node.url + path, data=body, headers={"Accept": "application/json"})
        try:
            with urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except HTTPError as exc:
            raise NodeError(f"{self.node.url}: HTTP {exc.code} {exc.reason}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NodeError(f"{self.node.url}: {reason}") from None
        except ValueError:
            raise NodeError(f"{self.node.url}: the answer is not JSON: is this Scrapyd?") from None
        if answer.get("status") != "ok":
            message = str(answer.get("message", answer)).strip()
            if missing_ok and "not found" in message:
                return {}  # a project not deployed yet has nothing queued
            raise NodeError(f"{self.node.url}: {message}")
        return answer
