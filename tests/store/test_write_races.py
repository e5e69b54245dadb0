"""Write races forced deterministically: one writer is held at the moment between
reading the next version number and inserting it, while a second writes the same
article. Nothing here sleeps: the fault-point hooks say when each writer is where.

The second writer must wait for the first (PostgreSQL: the article row lock; SQLite:
the database lock taken at BEGIN), give up after the lock timeout, start again once
the first has committed (the conflict retry), and never choose a number the first
holds. Removing the lock, or the retry, turns these tests red.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crawler.errors import DatabaseError
from crawler.extract.article import Article
from crawler.store.batch import ArticleWrite, FetchWrite, store_batch
from crawler.store.engine import make_engine, resolve_url, writer
from crawler.store.faults import hooks
from crawler.store.migrate import upgrade
from crawler.store.models import Article as ArticleRow
from crawler.store.models import ArticleVersion
from crawler.store.outage import is_outage
from crawler.store.versioning import FetchInfo, StoreResult, ensure_source, store_article
from crawler.verify.check import verify
from tests.helpers import until_a_session_waits_for_a_lock

URL = "https://kabar.kg/news/bishkekte-zhaan/"
# One fetch time for every write: no column of the article row changes before the next
# version number is read, so nothing but the lock itself orders the two writers.
AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
WAIT_S = 60  # a bound on waiting for another thread, never reached when all is well


def article(text: str) -> Article:
    return Article(url=URL, title="Аба ырайы", paragraphs=(text,), extractor="test")


@pytest.fixture
def racing_archive(db_url: str) -> Iterator[Engine]:
    """An archive whose writers give up on a held lock after a fraction of a second."""
    engine = make_engine(resolve_url(db_url), lock_timeout_s=0.2)
    upgrade(engine)
    yield engine
    engine.dispose()


Store = Callable[[Engine, Article, FetchInfo], StoreResult]


def in_a_batch(engine: Engine, extracted: Article, fetch: FetchInfo) -> StoreResult:
    """The write as a crawl makes it: in a batch (of one: the others' rows would only add
    to the same lock)."""
    return store_batch(engine, [ArticleWrite(extracted, fetch)])[0]


WRITERS = pytest.mark.parametrize("store", [store_article, in_a_batch], ids=["alone", "batch"])


class Race:
    """The first writer held at `version_chosen` until the second has had to retry."""

    def __init__(self, engine: Engine, source_id: int, store: Store) -> None:
        self.engine, self.source_id, self.store = engine, source_id, store
        self.first_holds = threading.Event()
        self.release_first = threading.Event()
        self.chosen: list[tuple[str, int, bool]] = []
        """(writer, number chosen, whether the first writer held a number just then)"""
        self.retries: list[str] = []
        self.results: dict[str, StoreResult | BaseException] = {}
        self.threads: dict[str, threading.Thread] = {}

    def version_chosen(self, number: int) -> None:
        name = threading.current_thread().name
        self.chosen.append((name, number, self.first_holds.is_set()))
        if name == "first" and not self.release_first.is_set():
            self.first_holds.set()
            assert self.release_first.wait(WAIT_S)
            self.first_holds.clear()

    def conflict_retry(self, attempt: int) -> None:
        name = threading.current_thread().name
        self.retries.append(name)
        if name == "second":  # it waited for the first in vain: let the first commit
            self.release_first.set()
            self.threads["first"].join(WAIT_S)

    def writer(self, name: str, text: str) -> None:
        def run() -> None:
            try:
                fetch = FetchInfo(URL, self.source_id, AT)
                self.results[name] = self.store(self.engine, article(text), fetch)
            except BaseException as exc:  # reported by the test, not lost in the thread
                self.results[name] = exc

        self.threads[name] = threading.Thread(target=run, name=name)
        self.threads[name].start()

    def run(self, first_text: str, second_text: str) -> None:
        points: dict[str, Callable[..., None]] = {
            "version_chosen": self.version_chosen,
            "conflict_retry": self.conflict_retry,
        }
        with hooks(**points):
            self.writer("first", first_text)
            assert self.first_holds.wait(WAIT_S)
            self.writer("second", second_text)
            self.threads["second"].join(WAIT_S)
            self.release_first.set()
            self.threads["first"].join(WAIT_S)
        assert not any(thread.is_alive() for thread in self.threads.values())


def versions(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = session.execute(
            select(ArticleVersion.version, ArticleVersion.body).order_by(ArticleVersion.version)
        )
        return [(number, body) for number, body in rows]


@WRITERS
def test_a_second_writer_waits_for_the_first_and_takes_the_next_number(
    racing_archive: Engine, store: Store
) -> None:
    source_id = ensure_source(racing_archive, "kabar", "Кабар", "https://kabar.kg/", "ky")
    store_article(racing_archive, article("Биринчи текст."), FetchInfo(URL, source_id, AT))

    race = Race(racing_archive, source_id, store)
    race.run("Экинчи текст.", "Үчүнчү текст.")

    assert race.results == {
        "first": StoreResult("changed", race.results["first"].article_id, 2),  # type: ignore[union-attr]
        "second": StoreResult("changed", race.results["first"].article_id, 3),  # type: ignore[union-attr]
    }
    # The second never read a number while the first held one; it retried once, after
    # the first had committed, and chose 3.
    assert race.chosen == [("first", 2, False), ("second", 3, False)]
    assert race.retries == ["second"]
    assert versions(racing_archive) == [
        (1, "Биринчи текст."),
        (2, "Экинчи текст."),
        (3, "Үчүнчү текст."),
    ]
    assert list(verify(racing_archive, datetime.now(UTC))) == []


@WRITERS
def test_two_first_writes_of_one_article_make_one_article(
    racing_archive: Engine, store: Store
) -> None:
    source_id = ensure_source(racing_archive, "kabar", "Кабар", "https://kabar.kg/", "ky")

    race = Race(racing_archive, source_id, store)
    race.run("Бир эле текст.", "Бир эле текст.")

    first, second = race.results["first"], race.results["second"]
    assert isinstance(first, StoreResult), first
    assert isinstance(second, StoreResult), second
    assert (first.outcome, first.version) == ("new", 1)
    assert (second.outcome, second.version, second.article_id) == (
        "unchanged",
        1,
        first.article_id,
    )
    assert race.chosen == [("first", 1, False)]  # the second found the text already there
    assert race.retries == ["second"]
    with Session(racing_archive) as session:
        assert session.scalar(select(func.count()).select_from(ArticleRow)) == 1
    assert versions(racing_archive) == [(1, "Бир эле текст.")]


def test_a_writer_stuck_behind_a_lock_gives_up_with_a_clear_message(
    racing_archive: Engine, db_url: str
) -> None:
    # Another program (a hung transaction, a sqlite3 shell) holds the lock for good:
    # the writer retries, then says what is wrong, not "cannot connect".
    source_id = ensure_source(racing_archive, "kabar", "Кабар", "https://kabar.kg/", "ky")
    store_article(racing_archive, article("Биринчи текст."), FetchInfo(URL, source_id, AT))
    other = make_engine(resolve_url(db_url))
    with writer(other).connect() as holder, holder.begin():  # SQLite: locked at BEGIN
        holder.execute(select(ArticleRow).with_for_update())  # PostgreSQL: the row
        with pytest.raises(DatabaseError, match="is busy: another writer held a lock") as raised:
            store_article(racing_archive, article("Экинчи текст."), FetchInfo(URL, source_id, AT))
    # For the crawl it is the database away, on either backend: tried again with
    # backoff, then the crawl stops; never "refused", the page lost and the crawl going on.
    assert is_outage(raised.value)
    other.dispose()
    assert versions(racing_archive) == [(1, "Биринчи текст.")]


@pytest.mark.postgres
def test_a_batch_that_waited_for_a_lock_sees_the_version_committed_meanwhile(
    db_url: str,
) -> None:
    """A batch holding only a 304 for an article waits for the writer of its next
    version; once that one commits, the batch must not put back the version it would
    have read before waiting (PostgreSQL re-reads a locked row, not what it joined)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite takes the whole database at BEGIN: no statement waits mid-way")
    engine = make_engine(resolve_url(db_url))
    upgrade(engine)
    source_id = ensure_source(engine, "kabar", "Кабар", "https://kabar.kg/", "ky")
    store_article(engine, article("Биринчи текст."), FetchInfo(URL, source_id, AT))
    holds, release = threading.Event(), threading.Event()
    done: dict[str, object] = {}

    def hold_first(url: str, **_details: object) -> None:
        if threading.current_thread().name == "first":
            holds.set()
            assert release.wait(WAIT_S)

    def first() -> None:
        fetch = FetchInfo(URL, source_id, AT)
        done["first"] = store_article(engine, article("Экинчи текст."), fetch)

    def second() -> None:
        fetch = FetchInfo(URL, source_id, AT, http_status=304)
        done["second"] = store_batch(engine, [FetchWrite(fetch, "not_modified", article_url=URL)])

    threads = {name: threading.Thread(target=run, name=name)
               for name, run in (("first", first), ("second", second))}  # fmt: skip
    with hooks(version_written=hold_first):
        threads["first"].start()
        assert holds.wait(WAIT_S)
        threads["second"].start()
        until_a_session_waits_for_a_lock(
            engine, what="the second writer never waited for the first"
        )
        release.set()
        for thread in threads.values():
            thread.join(WAIT_S)
    assert isinstance(done.get("second"), list), done
    assert versions(engine) == [(1, "Биринчи текст."), (2, "Экинчи текст.")]
    with Session(engine) as session:
        row = session.scalars(select(ArticleRow)).one()
        assert row.current_version is not None and row.current_version.version == 2
    engine.dispose()
