"""Spaces that `_TRIM` leaves (no-break, thin, ideographic, separators) inside a bracket:
"(&nbsp;)" is common in feed HTML, and the finder raised IndexError on it, so an article
holding one could not be opened ("Could not open this article: list index out of range")."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from ketaread.core.abbreviations import find_abbreviations
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.render import rendering_for
from ketaread.core.store import Store

SPACES = ["\xa0", "\u2009", "\u3000", "\x1c", "\x85", "\xa0\u2009"]
DEFINED = "Brain-derived neurotrophic factor (BDNF) rose within hours"


@pytest.mark.parametrize("space", SPACES, ids=[f"U+{ord(s[0]):04X}" for s in SPACES])
def test_a_bracket_of_spaces_is_no_short_form(space: str) -> None:
    text = f"{DEFINED} ({space}) of the infusion, and again ({space}) a day later."
    found = find_abbreviations(text)
    assert [(a.short, a.long) for a in found] == [("BDNF", "Brain-derived neurotrophic factor")]


@pytest.mark.parametrize("space", SPACES, ids=[f"U+{ord(s[0]):04X}" for s in SPACES])
def test_a_letter_label_with_a_space_after_it_is_read(space: str) -> None:
    """ "(A&nbsp;)" took the space for part of the label's letter (ord() of two characters)."""
    listed = f"The Amygdala (A{space}) and the Hippocampus (B) lit up."
    assert find_abbreviations(listed) == []  # labels of a list, as "(A)" and "(B)" are
    [alone] = find_abbreviations(f"The Amygdala (A{space}) lit up.")
    assert (alone.short.strip(), alone.long) == ("A", "Amygdala")


def test_an_article_with_a_bracketed_nbsp_opens_after_a_refresh(
    server: HTTPServer, tmp_db: Path
) -> None:
    body = f"<p>{DEFINED} (&nbsp;) of the infusion.</p><p>Labels (A&nbsp;) and (B) too.</p>"
    items = "".join(
        f"<item><guid>n{i}</guid><title>Note {i} on BDNF after a single low dose</title>"
        f"<description><![CDATA[{body * (1 + i % 5)}]]></description></item>"
        for i in range(200)
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Spaces</title>'
        f"{items}</channel></rss>"
    ).encode()
    server.expect_request("/nbsp.xml").respond_with_data(feed, content_type="application/rss+xml")
    store = Store(tmp_db)
    try:
        summary = refresh(store, [SourceSpec(server.url_for("/nbsp.xml"))])
        assert [r.status for r in summary.reports] == ["updated"]
        with sqlite3.connect(tmp_db) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM articles ORDER BY id")]
        assert len(ids) == 200
        for article_id in ids[:10]:
            rendering = rendering_for(store, store.article(article_id))
            assert "BDNF" in [a.short for a in rendering.abbreviations]
    finally:
        store.close()
