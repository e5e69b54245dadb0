"""`kgnews serve`: the archive in a browser (Datasette), read-only."""

from __future__ import annotations

import socket
import sys

import click

from crawler.cli.options import db_option, read_archive
from crawler.errors import UserError

NEEDS_SQLITE = (
    "kgnews serve needs a SQLite archive (Datasette reads SQLite): copy this one into a file "
    "with `kgnews export --format sqlite -o archive.sqlite3 --db URL`, then `kgnews serve "
    "--db archive.sqlite3`"
)


@click.command()
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; another than 127.0.0.1 shows the archive to the network.",
)
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
def serve(db: str | None, host: str, port: int) -> None:
    """Browse the archive in a web browser, on Datasette; nothing can be written.

    Tables and views with their descriptions, the documented queries, a Kyrgyz-aware
    search (a word finds its inflected forms, as in `kgnews search`), and for every article
    its versions and a word-level diff between any two (click its URL). SQLite only: a
    PostgreSQL archive is first copied with `kgnews export --format sqlite`.
    """
    from crawler.store.engine import resolve_url, sqlite_file

    url = resolve_url(db)
    if url.get_backend_name() != "sqlite":
        raise UserError(NEEDS_SQLITE)
    read_archive(db).dispose()  # there, and at this kgnews's schema
    path = sqlite_file(url).absolute()
    listener = _listen(host, port)
    import uvicorn

    from crawler.serve.app import datasette_for

    app = datasette_for(path).app()
    bound_host, bound_port = listener.getsockname()[:2]
    where = f"[{bound_host}]" if listener.family == socket.AF_INET6 else bound_host
    click.echo(f"Serving {path} read-only at http://{where}:{bound_port}/ (Ctrl-C stops)")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise UserError(f"--host {host}: not an address of this machine ({exc.strerror})") from exc
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = exc.strerror or exc
        raise UserError(
            f"cannot listen on {host} port {port} ({reason}): give another --port or --host"
        ) from exc
