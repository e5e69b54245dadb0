"""Which node crawls which source: rendezvous hashing with bounded loads. Pure.

Every node ranks every source by a hash of the two names. Sources are taken in key
order, and each goes to the node that ranks it highest among those not yet full; a
node is full at its fair share (the sources divided among the nodes; the remainder
lets as many nodes hold one more). The
choice needs no shared state: the same sources and nodes give the same plan on any
machine, and when a node goes its sources are spread over the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def rank(node: str, source: str) -> int:
    digest = hashlib.sha256(f"{node}\0{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def assign(sources: Iterable[str], nodes: Iterable[str]) -> dict[str, list[str]]:
    """Node → the sources it gets (in key order); every node present, maybe empty."""
    names = sorted(set(nodes))
    plan: dict[str, list[str]] = {name: [] for name in names}
    keys = sorted(set(sources))
    if not names:
        return plan
    share, larger = divmod(len(keys), len(names))  # `larger` nodes may hold one more
    for key in keys:
        bigger = sum(1 for name in names if len(plan[name]) > share)
        room = [
            name
            for name in names
            if len(plan[name]) < share or (len(plan[name]) == share and bigger < larger)
        ]
        plan[max(room, key=lambda name: (rank(name, key), name))].append(key)
    return plan
