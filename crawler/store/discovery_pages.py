"""Feeds' validators, kept between crawls for conditional requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crawler.store.engine import database_errors
from crawler.store.models import DiscoveryPage
from crawler.store.transaction import in_transaction


@dataclass(frozen=True, slots=True)
class Validators:
    url: str
    etag: str | None
    last_modified: str | None
    fetched_at: datetime


def read_validators(engine: Engine, urls: list[str]) -> dict[str, Validators]:
    """What the feeds among `urls` came with when last read whole."""
    if not urls:
        return {}
    query = select(DiscoveryPage).where(DiscoveryPage.url.in_(urls))
    with database_errors(engine.url), Session(engine) as session:
        return {
            row.url: Validators(row.url, row.etag, row.last_modified, row.fetched_at)
            for row in session.scalars(query)
        }


def remember_validators(engine: Engine, pages: list[Validators]) -> None:
    """Keep these validators (one transaction; a page's newer ones replace its older)."""
    if not pages:
        return

    def write(session: Session) -> None:
        rows = {row.url: row for row in session.scalars(
            select(DiscoveryPage).where(DiscoveryPage.url.in_([p.url for p in pages]))
        )}  # fmt: skip
        for page in pages:
            row = rows.get(page.url)
            if row is None:
                rows[page.url] = row = DiscoveryPage(url=page.url, fetched_at=page.fetched_at)
                session.add(row)
            row.etag, row.last_modified = page.etag, page.last_modified
            row.fetched_at = page.fetched_at

    in_transaction(engine, write)
