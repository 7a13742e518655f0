"""Abbreviations an article defines itself ("Larkspur Recovery Index (LRI)"), learnt from the
glossary popup like the glossary's terms: ctrl+l sets the status, learning makes an
"LRI = ?" card that the review shows and the study export writes, and a known one is no
longer marked in the article. On the 320-article cache with one more feed."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input
from ui_support import open_titled, screen_text, settle_pilot

from cli_support import cli
from ketaread.cli import make_app
from ketaread.core.links import term_link
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import Store
from ketaread.screens.glossary import GlossaryModal
from ketaread.screens.study import ReviewScreen

TITLE = "Recovery scores after an infusion series: what the Larkspur Recovery Index measures"
BODY = (
    "<p>Each participant completed the Larkspur Recovery Index (LRI) before every session. "
    "The LRI rose after the second infusion, as did glutamate.</p>"
    "<p>Auditory cue conditioning (ACC) was measured too, and ACC improved.</p>"
)
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Larkspur Clinic Notes</title>
<link>https://example.org/larkspur</link><description>d</description>
<item><title>{TITLE}</title><link>https://example.org/larkspur/lri</link>
<guid>larkspur-lri</guid><pubDate>Wed, 20 May 2026 10:00:00 +0000</pubDate>
<description><![CDATA[{BODY}]]></description></item>
</channel></rss>
"""
LRI = "abbr:LRI=larkspur recovery index"
ACC = "abbr:ACC=auditory cue conditioning"


@pytest.fixture
def abbreviation_db(big_db: Path, tmp_path: Path) -> Path:
    """The 320-article cache with the Larkspur feed refreshed into it."""
    feed = tmp_path / "larkspur.xml"
    feed.write_text(FEED, encoding="utf-8")
    store = Store(big_db)
    try:
        assert not refresh(store, [SourceSpec(str(feed))]).all_failed
    finally:
        store.close()
    return big_db


async def step_status(pilot, name: str) -> None:
    """In the open glossary popup: filter to `name`, then ctrl+l."""
    field = pilot.app.screen.query_one("#glossary-filter", Input)
    field.value = name
    await settle_pilot(pilot)
    await pilot.press("ctrl+l")
    await settle_pilot(pilot)


async def test_an_article_abbreviation_is_learnt_reviewed_exported_and_unmarked(
    abbreviation_db: Path, tmp_config: Path
) -> None:
    app = make_app(db=abbreviation_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        await open_titled(pilot, TITLE)
        screen = app.main_screen
        markdown = screen.article_view.markdown.source
        assert term_link("lri") in markdown and term_link("acc-article") in markdown
        await pilot.press("g")
        await settle_pilot(pilot)
        popup = app.screen
        assert isinstance(popup, GlossaryModal)
        await step_status(pilot, "LRI")
        assert popup.current.term == "LRI" and popup.current.own_abbreviation
        study = app.context.study
        assert study.term_statuses()[LRI] == "learning"
        assert "You: learning" in screen_text(app)
        (card,) = [c for c in study.cards() if c.source == LRI]
        assert (card.front, card.back) == ("LRI = ?", "Larkspur Recovery Index")
        # The article's "ACC" is not the glossary's (anterior cingulate cortex): learning it
        # leaves the glossary term's status alone.
        await step_status(pilot, "Auditory")
        assert popup.current.key == "acc-article"
        statuses = study.term_statuses()
        assert statuses[ACC] == "learning"
        assert "anterior%20cingulate%20cortex" not in statuses
        await pilot.press("escape")
        await settle_pilot(pilot)
        # The review asks them.
        await pilot.press("w")
        await settle_pilot(pilot)
        assert isinstance(app.screen, ReviewScreen)
        fronts = [c.front for c in app.screen.cards]
        assert "LRI = ?" in fronts and "ACC = ?" in fronts
        assert f"{app.screen.card.front}" in screen_text(app)
        await pilot.press("escape")
        await settle_pilot(pilot)
        # Known: no longer marked in the article (reopened); ACC, learning, still is.
        await pilot.press("g")
        await settle_pilot(pilot)
        await step_status(pilot, "LRI")
        assert study.term_statuses()[LRI] == "known"
        await pilot.press("escape")
        await settle_pilot(pilot)
        await open_titled(pilot, TITLE)
        markdown = screen.article_view.markdown.source
        assert term_link("lri") not in markdown and "LRI" in markdown
        assert term_link("acc-article") in markdown
        # The header counts them by their status: LRI known, ACC learning.
        header = screen_text(app)
        assert "1 learning" in header
        study.close()
    # The study export has the cards.
    run = cli(abbreviation_db, tmp_config, "notes", "export", "--format", "markdown")
    assert run.returncode == 0, run.stderr
    assert "LRI = ?::Larkspur Recovery Index" in run.stdout
    assert "ACC = ?::Auditory cue conditioning" in run.stdout
    anki = cli(abbreviation_db, tmp_config, "notes", "export", "--format", "anki").stdout
    assert "LRI = ?\tLarkspur Recovery Index" in anki
