"""The `ketaread://` scheme: links ketaread writes into an article's Markdown, built and read
here alone. A link of this scheme that ketaread did not make is never followed (the reading
screen checks each click against the set the rendering made)."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote

SCHEME = "ketaread://"
KINDS = ("term", "cite", "link", "article")
"""term/<key>: a glossary term; cite/<index>: an inline citation; link/<n>: the article's n-th
web link as written; article/<id>: a cached article."""


TERM_LINK_PREFIX = f"{SCHEME}term/"
"""What a glossary term's link starts with; the term's key follows."""
CITE_LINK_PREFIX = f"{SCHEME}cite/"
"""What an inline citation's link starts with; its index follows."""


class AppLink(NamedTuple):
    """A parsed `ketaread://kind/value` link."""

    kind: str
    value: str


def build(kind: str, value: str | int) -> str:
    """The link for `kind` and `value`, which must already be URL-safe (term keys are)."""
    if kind not in KINDS:
        raise ValueError(f"unknown ketaread link kind {kind!r}")
    return f"{SCHEME}{kind}/{value}"


def term_link(key: str) -> str:
    """A glossary term's link (`key` from `glossary.term_key`)."""
    return build("term", key)


def cite_link(index: int) -> str:
    """An inline citation's link (its index in the article's analysis)."""
    return build("cite", index)


def web_link(index: int) -> str:
    """The stand-in for the article's `index`-th web link."""
    return build("link", index)


def is_app_link(href: str) -> bool:
    """Whether `href` uses the `ketaread:` scheme (in any case, as a browser would read it)."""
    return href[: len("ketaread:")].lower() == "ketaread:"


def parse(href: str) -> AppLink | None:
    """The kind and (percent-decoded) value of a ketaread link; None for anything else."""
    if not href.startswith(SCHEME):
        return None
    kind, _, value = href[len(SCHEME) :].partition("/")
    if kind not in KINDS:
        return None
    return AppLink(kind, unquote(value))
