"""Spreading sources over Scrapyd nodes: one job per node, each site on one node.

A source is left out when a live run holds its lock (crawl_locks: it is being crawled
now, on whichever node) or a job on a node already has it queued. The rest are shared
out by rendezvous hashing (crawler.cluster.assign) among the nodes that answer; a
node that does not answer, or refuses the job, gets none, and its share goes to the
others. A lock left by a node that died is not "held" (its holder is gone: no process
on its host, or no heartbeat for ten minutes), so its source is queued again, and the
run that takes it marks the dead one interrupted. Two jobs that do get the same source
(a node back from the dead with its old queue) cannot crawl it together: the second
finds it locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from crawler.cluster.assign import assign
from crawler.cluster.scrapyd import ALL_SOURCES, Node, NodeError, NodeTimeout, Scrapyd
from crawler.store.runs import HeldLock, Holder, held_locks

PROJECT = "kgnews"
SPIDER = "news"


@dataclass
class Outcome:
    queued: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(node name, Scrapyd job id, the sources queued there) for each job queued; a node
    may get a second job with the share of one that refused."""
    busy: dict[str, HeldLock] = field(default_factory=dict)
    """Source → the lock a live run holds on it."""
    pending: dict[str, str] = field(default_factory=dict)
    """Source → the node that has it queued already."""
    down: dict[str, str] = field(default_factory=dict)
    """Node name → why it got nothing (it did not answer, or refused the job)."""
    unplaced: list[str] = field(default_factory=list)
    """Sources no node took."""
    unsure: dict[str, list[str]] = field(default_factory=dict)
    """Node name → the sources of a job it took too long to answer for: it may have
    queued them, so they are not given to another node (a lock would keep a second job
    off them anyway, but it would be a job for nothing)."""


def schedule(
    engine: Engine,
    nodes: Sequence[Node],
    sources: Sequence[str],
    now: datetime,
    job_fields: Sequence[tuple[str, str]] = (),
    project: str = PROJECT,
    timeout: float | None = None,
) -> Outcome:
    """Queue a job on each node for its share of `sources` (see the module docstring)."""
    outcome = Outcome()
    locks = held_locks(engine, now, Holder.this_process())
    live: dict[str, Scrapyd] = {}
    for node in nodes:
        client = Scrapyd(node) if timeout is None else Scrapyd(node, timeout)
        try:
            client.status()
            for key in client.pending_sources(project, SPIDER):
                outcome.pending.setdefault(key, node.name)
        except NodeError as exc:
            outcome.down[node.name] = str(exc)
            continue
        live[node.name] = client
    for key, name in list(outcome.pending.items()):
        if key == ALL_SOURCES:  # a job of every source is queued there
            outcome.pending = dict.fromkeys(sources, name)
    free: list[str] = []
    for key in sources:
        if key in locks:
            outcome.busy[key] = locks[key]
        elif key not in outcome.pending:
            free.append(key)
    while free and live:
        plan = assign(free, live)
        free = []
        for name, keys in plan.items():
            if not keys:
                continue
            fields = [("source", ",".join(keys)), ("setting", f"KGNEWS_NODE={name}"), *job_fields]
            try:
                job = live[name].schedule(project, SPIDER, fields)
            except NodeTimeout as exc:
                outcome.down[name] = str(exc)
                outcome.unsure[name] = keys
                del live[name]
                continue
            except NodeError as exc:  # its share goes to the others
                outcome.down[name] = str(exc)
                del live[name]
                free.extend(keys)
                continue
            outcome.queued.append((name, job, keys))
    outcome.unplaced = free
    return outcome
