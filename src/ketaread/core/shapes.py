"""Feed shapes refused before they reach the parser: checks that cost one linear pass."""

from __future__ import annotations

import re

MAX_ATTRIBUTES = 256
"""Most attributes one element of a feed may carry: feedparser's strict parser looks
attributes up one by one, so its time grows with the square of their number (90,000 on
one element took 124 s). Real feeds use a handful."""

_LONG_TAG = re.compile(rb"<(?![!?])[^<>]{2048,}>")
"""Tags of 2 KB or more: the only ones that can hold that many attributes (linear scan)."""


def hostile_shape(body: bytes) -> str | None:
    """Why a feed body must not reach the parser, or None. One linear pass."""
    if body.count(b"=") <= MAX_ATTRIBUTES:
        return None  # no element can have more (a count is several times faster than the scan)
    for match in _LONG_TAG.finditer(body):
        if match.group().count(b"=") > MAX_ATTRIBUTES:
            return (
                f"an element with more than {MAX_ATTRIBUTES} attributes; refused "
                "(parsing it would take minutes)"
            )
    return None
