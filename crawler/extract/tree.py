"""Questions about an lxml tree that more than one clean-up step asks."""

from __future__ import annotations

from lxml.html import HtmlElement


def outermost(elements: list[HtmlElement]) -> list[HtmlElement]:
    """Those of `elements` still in a tree and not inside another of them, in their order."""
    chosen = set(elements)
    return [
        el for el in elements if el.getparent() is not None and not chosen & set(el.iterancestors())
    ]
