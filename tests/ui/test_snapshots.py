"""Snapshot tests: the screens as a reader sees them, compared with SVGs a person looked at.

Regenerate with `pytest tests/ui/test_snapshots.py --snapshot-update`, then look at every
changed SVG before committing it. Dates are pinned (see the stable_clock fixture), so the
snapshots do not change with the year or the time zone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from ui_support import open_titled, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app

SnapCompare = Callable[..., bool]
ARTICLE = "Glutamate 101"
"""Short, with references, citations and glossary terms: every pane has something to show."""

pytestmark = pytest.mark.usefixtures("stable_clock")


def _reading(*keys: str, article: str = ARTICLE) -> Callable[[Pilot], Awaitable[None]]:
    """Open `article` from the list, then press `keys`, waiting for the workers each time."""

    async def run_before(pilot: Pilot) -> None:
        await settle_pilot(pilot)
        await open_titled(pilot, article)
        for key in keys:
            await pilot.press(key)
            await settle_pilot(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would differ from run to run
        await pilot.pause()

    return run_before


def test_main_screen_80x24_with_an_article_open(
    app: KetareadApp, snap_compare: SnapCompare
) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_reading())


def test_main_screen_120x40_with_an_article_open(
    app: KetareadApp, snap_compare: SnapCompare
) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=_reading())


def test_reference_panel_open(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=_reading("r"))


def test_glossary_popup_filtered(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(120, 40), run_before=_reading("g", *"nmda"))


def test_help_screen_80x24(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_reading("question_mark"))


def test_main_screen_no_color(
    sample_db: Path,
    tmp_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    snap_compare: SnapCompare,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # read when the app is created
    app = make_app(db=sample_db, config=tmp_config, offline=True)
    assert app.no_color
    assert snap_compare(app, terminal_size=(120, 40), run_before=_reading("r"))


def test_main_screen_ansi_dark_theme(app: KetareadApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot) -> None:
        pilot.app.theme = "ansi-dark"
        await _reading("t")(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


class TestGlossaryPopup:
    """The popup's sourced entries: certainty, senses, sources, the crisis line, "In this
    article"."""

    # Glutamate 101 uses "disinhibition" in its circuit sense, with a certainty and sources.
    SENSES = ("g", *"disinhibition")

    def test_senses_and_sources_80x24(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        assert snap_compare(app, terminal_size=(80, 24), run_before=_reading(*self.SENSES))

    def test_senses_and_sources_120x40(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        assert snap_compare(app, terminal_size=(120, 40), run_before=_reading(*self.SENSES))

    def test_in_this_article_80x24(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        # Tab moves to the list below the definition: its sentences come into view.
        keys = ("g", *"glutamate", "tab")
        assert snap_compare(app, terminal_size=(80, 24), run_before=_reading(*keys))

    def test_in_this_article_120x40(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        keys = ("g", *"glutamate", "tab")
        assert snap_compare(app, terminal_size=(120, 40), run_before=_reading(*keys))

    def test_crisis_line_80x24(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        keys = ("G", *"suicidal ideation")
        assert snap_compare(app, terminal_size=(80, 24), run_before=_reading(*keys))

    def test_crisis_line_120x40(self, app: KetareadApp, snap_compare: SnapCompare) -> None:
        keys = ("G", *"suicidal ideation")
        assert snap_compare(app, terminal_size=(120, 40), run_before=_reading(*keys))


def _seed_study(pilot: Pilot) -> None:
    """Two highlights on the open article (one detached, with a note) and a term learnt."""
    from ketaread.core.study import add_highlight, article_ref, article_text, set_term_status
    from ketaread.core.study.anchors import Anchor

    app = pilot.app
    screen = app.main_screen  # type: ignore[attr-defined]
    study = app.context.study  # type: ignore[attr-defined]
    text = article_text(screen.rendering)
    from ketaread.core.study import sentence_spans

    start, end = sentence_spans(text)[4]  # a sentence, as the sentence cursor chooses
    quote = text[start:end]
    add_highlight(study, screen.detail, text, quote, color="finding", note="Why it matters")
    study.add_highlight(
        article_ref(screen.detail),
        Anchor("A sentence that the feed later removed from the article.", "", "", 0, 57),
        "question",
    )
    set_term_status(study, app.context.glossary().lookup("NMDA"), "learning")  # type: ignore[attr-defined]


def _studying(*keys: str) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        await _reading()(pilot)
        _seed_study(pilot)
        screen = pilot.app.main_screen  # type: ignore[attr-defined]
        screen._load_highlights(screen.detail, screen.rendering)
        await settle_pilot(pilot)
        for key in keys:
            await pilot.press(key)
            await settle_pilot(pilot)
        await pilot.pause()

    return run_before


def test_highlight_panel_80x24(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_studying("L"))


def test_review_screen_80x24(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_studying("w", "space"))


def test_article_with_highlights_80x24(app: KetareadApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_studying("L", "enter"))
