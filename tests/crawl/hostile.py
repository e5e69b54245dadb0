"""A hostile news site on loopback: every way a page can go wrong, next to good ones.

Routes (see HostileSite.routes): a listing linking to article URLs that answer 404,
410, 500, a redirect loop, a redirect to another site, an image, a page cut off half
way, a gzip bomb, a page past the size limit with no Content-Length, random bytes
served as HTML, a 429 with Retry-After, and two good articles; an empty listing page
and a blank one; feeds that are
malformed, an entity-expansion bomb, and a good one; a sitemap that is a gzip bomb.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GOOD = """<!DOCTYPE html><html lang="ky"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"><meta property="article:published_time" content="2024-06-0{n}T10:00:00+06:00">
</head><body><nav><a href="/">Башкы бет</a></nav><article class="body">
<h1>{title}</h1>
<p>Бишкек шаарынын мэриясы жаңы мектептерди курууга {n} миллиард сом бөлөрүн билдирди.</p>
<p>Курулуш иштери күзүндө башталып, эки жылда бүтөт деп пландалууда.</p>
<p>Шаар тургундары бул кадамды колдоп, мектептердеги ашыкча жүктөм азаярына үмүт кылышат.</p>
</article></body></html>"""

BOMB_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY a "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
<rss version="2.0"><channel><item><title>&i;</title><link>/kg/news/1</link></item></channel></rss>"""

# One harmless entity, far below libxml2's own limits: only kgnews's guard refuses it.
SMALL_ENTITY_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY site "Kabar">]>
<rss version="2.0"><channel><item><title>&site;</title><link>/kg/news/1</link></item></channel></rss>"""

LISTING_LINKS = [f"/kg/news/{n}" for n in range(1, 14)]
RANDOM_BYTES = bytes(random.Random(7).randrange(32, 256) for _ in range(20_000))


class HostileSite(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bomb_size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bomb = gzip.compress(b"\0" * bomb_size, compresslevel=9)
        self.requests: list[tuple[float, str]] = []
        self.other_site = ""  # an origin of a different host, for the off-site redirect
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> HostileSite:
        self.other_site = f"http://localhost:{self.server_address[1]}"
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()

    def seen(self, path: str) -> list[float]:
        return [when for when, p in self.requests if p == path]


class _Handler(BaseHTTPRequestHandler):
    server: HostileSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.requests.append((time.monotonic(), self.path))
        route = {
            "/robots.txt": lambda: self.send(
                200, b"User-agent: *\nDisallow: /private/\n", "text/plain"
            ),
            "/kg/news": self.listing,
            "/kg/empty": lambda: self.send(200, b"", "text/html; charset=utf-8"),
            "/kg/blank": lambda: self.send(
                200, b"<html><body>\n  \n</body></html>", "text/html; charset=utf-8"
            ),
            "/kg/big": lambda: self.send(
                200, b'<html><body><a href="/kg/news/9">big</a></body></html>', "text/html"
            ),
            "/rss": lambda: self.send(200, self.feed(), "application/rss+xml"),
            "/feed-broken": lambda: self.send(
                200, b"<rss><channel><item><link>/kg/news/1</lin", "application/rss+xml"
            ),
            "/feed-bomb": lambda: self.send(200, BOMB_FEED, "application/rss+xml"),
            "/feed-entities": lambda: self.send(200, SMALL_ENTITY_FEED, "application/rss+xml"),
            "/sitemap.xml.gz": lambda: self.send(200, self.server.bomb, "application/gzip"),
            "/kg/news/1": lambda: self.send(
                200,
                GOOD.format(n=1, title="Бишкекте жаңы мектептер курулат").encode(),
                "text/html; charset=utf-8",
            ),
            "/kg/news/2": lambda: self.send(404, b"<h1>404</h1>", "text/html"),
            "/kg/news/3": lambda: self.send(410, b"<h1>Gone</h1>", "text/html"),
            "/kg/news/4": lambda: self.send(500, b"<h1>Server error</h1>", "text/html"),
            "/kg/news/5": lambda: self.redirect("/kg/news/5/again"),
            "/kg/news/5/again": lambda: self.redirect("/kg/news/5"),
            "/kg/news/6": lambda: self.redirect(self.server.other_site + "/kg/news/1"),
            "/kg/news/7": lambda: self.send(200, b"\x89PNG\r\n\x1a\n" + bytes(2000), "image/png"),
            "/kg/news/8": self.cut_off,
            "/kg/news/9": lambda: self.send(
                200, self.server.bomb, "text/html", {"Content-Encoding": "gzip"}
            ),
            "/kg/news/10": self.rate_limited,
            "/kg/news/12": self.huge_without_length,
            "/kg/news/13": lambda: self.send(200, RANDOM_BYTES, "text/html"),
            "/kg/news/11": lambda: self.send(
                200,
                GOOD.format(n=2, title="Ошто жаңы көпүрө ачылды").encode(),
                "text/html; charset=utf-8",
            ),
        }.get(self.path)
        if route is None:
            self.send(404, b"not here", "text/plain")
        else:
            route()

    def listing(self) -> None:
        links = "".join(f'<li><a href="{link}">Кабар {link}</a></li>' for link in LISTING_LINKS)
        page = f'<html lang="ky"><body><ul>{links}</ul><a href="/private/kg/news/99">Жашыруун</a></body></html>'
        self.send(200, page.encode(), "text/html; charset=utf-8")

    def feed(self) -> bytes:
        return b'<?xml version="1.0"?><rss version="2.0"><channel><item><link>/kg/news/11</link></item></channel></rss>'

    def redirect(self, location: str) -> None:
        self.send(302, b"", "text/html", {"Location": location})

    def cut_off(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "50000")
        self.end_headers()
        self.wfile.write(GOOD.format(n=3, title="Жарым бет").encode()[:400])
        self.wfile.flush()
        self.close_connection = True

    def huge_without_length(self) -> None:
        """A page past the size limit, sent with no Content-Length (the connection ends it)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"<p>" + "Бишкек ".encode() * 1000 + b"</p>"
        with contextlib.suppress(OSError):  # the crawler hangs up at its limit
            for _ in range(3 * 1024 * 1024 // len(chunk) + 1):
                self.wfile.write(chunk)
        self.close_connection = True

    def rate_limited(self) -> None:
        if len(self.server.seen("/kg/news/10")) == 1:
            self.send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        else:
            self.send(
                200,
                GOOD.format(n=4, title="Нарында кар жаады").encode(),
                "text/html; charset=utf-8",
            )

    def send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass
