"""Counted nouns for messages: "1 article", "2 articles", never "article(s)"."""

from __future__ import annotations

_IRREGULAR = {"was": "were", "is": "are", "change": "changes"}


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` with the noun in the right number: counted(1, "feed") == "1 feed"."""
    if count == 1:
        return f"{count:,} {singular}"
    return f"{count:,} {plural or _IRREGULAR.get(singular, singular + 's')}"
