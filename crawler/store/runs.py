"""Crawl runs and their locks: one row per `kgnews crawl`, one lock per source crawled.

A run begins by taking a lock for each source it will crawl, in the same
transaction that creates its row; a source whose lock another live run holds is
left to that run ("already running"). A lock whose holder is gone (its process no
longer exists on this host, or its heartbeat is older than STALE_AFTER) is taken
over, and the run that held it is marked `interrupted`. Locks live in the database,
so this works across processes on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from crawler.store.engine import database_errors
from crawler.store.models import OUTCOMES, CrawlLock, CrawlRun, Fetch
from crawler.store.transaction import in_transaction

STALE_AFTER = timedelta(minutes=10)
HEARTBEAT_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Holder:
    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Holder:
        return cls(host_identity(), os.getpid())


def host_identity() -> str:
    """This machine as far as its process IDs go: the host name and, where Linux tells,
    `#BOOT.PIDNS`, short tags of its boot and of its PID namespace. Two containers that
    share a host name are different places for a PID: a lock of one is never judged by
    the other's processes. A lock of an earlier boot of this host holds nothing."""
    name = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii")
        namespace = str(Path("/proc/self/ns/pid").readlink())
    except OSError:  # not Linux: the name alone
        return name
    tags = [hashlib.sha256(text.encode()).hexdigest()[:8] for text in (boot, namespace)]
    return f"{name}#{'.'.join(tags)}"


def _same_place(theirs: str, mine: str) -> bool | None:
    """True: this host as it runs now; False: another machine or container; None: this
    host in an earlier boot (every process of it is gone)."""
    if theirs == mine:
        return True
    their_name, _, their_tag = theirs.partition("#")
    my_name, _, my_tag = mine.partition("#")
    if their_name != my_name:
        return False
    if not their_tag:  # written by a kgnews before the tags: judged by its PID, as it was
        return True
    their_boot, _, their_ns = their_tag.partition(".")
    my_boot, _, my_ns = my_tag.partition(".")
    if their_ns == my_ns and their_boot != my_boot:
        return None
    return False


@dataclass(frozen=True)
class RunStart:
    run_id: int | None
    """None when every source asked for is being crawled by another run."""
    sources: list[str]
    """The sources this run holds the locks of."""
    busy: dict[str, int]
    """Source → the run that is crawling it now."""


class _AllBusy(Exception):
    def __init__(self, busy: dict[str, int]) -> None:
        self.busy = busy


def begin_run(
    engine: Engine,
    sources: Sequence[str],
    now: datetime,
    holder: Holder,
    node: str | None = None,
) -> RunStart:
    """Create a run and lock the sources it may crawl (see the module docstring)."""

    def work(session: Session) -> RunStart:
        _recover_stale(session, now, holder)
        run = CrawlRun(started_at=now, status="running", sources=[], node=node)
        session.add(run)
        session.flush()
        taken: list[str] = []
        busy: dict[str, int] = {}
        for key in sources:
            lock = session.get(CrawlLock, key, with_for_update=True)
            if lock is not None:
                busy[key] = lock.crawl_run_id
                continue
            session.add(CrawlLock(source_key=key, crawl_run_id=run.id, host=holder.host,
                                  pid=holder.pid, acquired_at=now, heartbeat_at=now))  # fmt: skip
            session.flush()  # a racing insert fails here and the transaction is retried
            taken.append(key)
        if not taken:
            raise _AllBusy(busy)  # roll back: a run that crawls nothing leaves no row
        run.sources = taken
        return RunStart(run.id, taken, busy)

    try:
        return in_transaction(engine, work)
    except _AllBusy as exc:
        return RunStart(None, [], exc.busy)


def _recover_stale(session: Session, now: datetime, me: Holder) -> None:
    """Release the locks of runs that died, and mark those runs interrupted."""
    dead: set[int] = set()
    for lock in session.scalars(select(CrawlLock).with_for_update()):
        if not _alive(lock, now, me):
            dead.add(lock.crawl_run_id)
    if dead:
        session.execute(delete(CrawlLock).where(CrawlLock.crawl_run_id.in_(dead)))
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(dead), CrawlRun.status == "running")
            .values(status="interrupted", finished_at=now)
        )


@dataclass(frozen=True)
class HeldLock:
    source_key: str
    run_id: int
    host: str
    pid: int
    node: str | None
    """The crawl node of the run holding it (crawl_runs.node)."""


def held_locks(engine: Engine, now: datetime, me: Holder) -> dict[str, HeldLock]:
    """The sources a live run is crawling now. A lock whose holder is gone (the rule
    above) is left out: the next run to ask for its source takes it over."""
    query = select(CrawlLock, CrawlRun.node).join(CrawlRun, CrawlRun.id == CrawlLock.crawl_run_id)
    with database_errors(engine.url), Session(engine) as session:
        locks = [(row[0], row[1]) for row in session.execute(query)]
    return {
        lock.source_key: HeldLock(lock.source_key, lock.crawl_run_id, lock.host, lock.pid, node)
        for lock, node in locks
        if _alive(lock, now, me)
    }


def _alive(lock: CrawlLock, now: datetime, me: Holder) -> bool:
    if now - lock.heartbeat_at > STALE_AFTER:
        return False
    place = _same_place(lock.host, me.host)
    if place is None:
        return False  # this host before a reboot
    if not place:
        return True  # another machine, and a fresh heartbeat
    return lock.pid != me.pid and _process_exists(lock.pid)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not _ended(pid)


def _ended(pid: int) -> bool:
    """A process that has exited but not been reaped (a zombie: its parent died with it,
    and this machine's init has not collected it yet) holds nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:  # no /proc (not Linux), or it just went
        return False
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] in ("Z", "X")


def heartbeat(engine: Engine, run_id: int, now: datetime) -> int:
    """Refresh the run's locks; how many it still holds (fewer: another run took some)."""

    def beat(session: Session) -> int:
        held = session.execute(
            update(CrawlLock).where(CrawlLock.crawl_run_id == run_id).values(heartbeat_at=now)
        )
        return int(getattr(held, "rowcount", 0) or 0)

    return in_transaction(engine, beat)


def outcome_counts(engine: Engine, run_id: int) -> dict[str, int]:
    """Fetches of the run by outcome (every outcome present, zero or not)."""
    query = (
        select(Fetch.outcome, func.count())
        .where(Fetch.crawl_run_id == run_id)
        .group_by(Fetch.outcome)
    )
    with database_errors(engine.url), engine.connect() as connection:
        rows = connection.execute(query).all()
    counts = dict.fromkeys(OUTCOMES, 0)
    counts.update({str(outcome): int(n) for outcome, n in rows})
    return counts


def finish_run(engine: Engine, run_id: int, status: str, now: datetime) -> dict[str, int]:
    """Close the run with its status and per-outcome counts, and release its locks."""
    counts = outcome_counts(engine, run_id)

    def work(session: Session) -> None:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(
                finished_at=now, **{f"{outcome}_count": counts[outcome] for outcome in OUTCOMES}
            )
        )
        # A run another one found dead and marked interrupted stays so: it lost its locks.
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id, CrawlRun.status == "running")
            .values(status=status)
        )
        session.execute(delete(CrawlLock).where(CrawlLock.crawl_run_id == run_id))

    in_transaction(engine, work)
    return counts


def recent_runs(engine: Engine, limit: int = 20) -> list[CrawlRun]:
    with database_errors(engine.url), Session(engine) as session:
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)))
        session.expunge_all()
        return runs
