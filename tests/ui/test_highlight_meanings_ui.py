"""Highlight meanings named and coloured in config.toml, as a reader uses them on the
320-article cache: the picker offers the labels, the article draws the chosen colour, the
list (L) names the meaning, the study file keeps the key; a bad value is reported once."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList
from ui_support import messages, screen_text, settle_pilot

from ketaread.cli import make_app
from ketaread.screens.study import HighlightDialog, HighlightPanel
from ketaread.widgets.highlights import meaning_style, text_blocks

CONFIG = """\
[highlight.method]
label = "How"
color = "error"
description = "the way they measured it"

[highlight.question]
label = "Ask my doctor"
"""


def painted(app) -> set[str]:
    styles: set[str] = set()
    for block in text_blocks(app.main_screen.article_view.markdown):
        for span in block._content.spans:
            styles.add(str(span.style))
    return styles


async def test_configured_labels_and_colours_from_the_picker_to_the_list(
    big_db: Path, tmp_config: Path
) -> None:
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(CONFIG, encoding="utf-8")
    app = make_app(db=big_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        screen = app.main_screen
        screen.article_list.focus()
        await pilot.press("enter")
        await settle_pilot(pilot)
        screen.article_view.focus()
        await pilot.press("x")
        await settle_pilot(pilot)
        await pilot.press("enter")
        await settle_pilot(pilot)
        dialog = app.screen
        assert isinstance(dialog, HighlightDialog)
        lines = screen_text(app).splitlines()
        # Each meaning on its line: number, label, description, labels in one column.
        how = next(line for line in lines if "2 How " in line)
        assert "the way they measured it" in how
        ask = next(line for line in lines if "4 Ask my doctor" in line)
        assert "something to look up or ask" in ask
        assert how.index("the way") == ask.index("something")
        assert any("1 finding " in line for line in lines)
        await pilot.press("2", "enter")
        await settle_pilot(pilot)
        (saved,) = app.context.study.highlights()
        assert saved.color == "method"  # the key, not the label
        assert meaning_style("error") in painted(app)
        assert meaning_style("primary") not in painted(app)  # method's default colour
        assert "Highlighted (How)." in messages(app)
        await pilot.press("L")
        await settle_pilot(pilot)
        assert isinstance(app.screen, HighlightPanel)
        option = app.screen.query_one("#highlight-list", OptionList).get_option_at_index(0)
        assert str(option.prompt).startswith("How ")
        assert not any("config.toml" in m for m in messages(app))


async def test_a_bad_colour_is_reported_once_naming_the_key_and_the_default_drawn(
    big_db: Path, tmp_config: Path
) -> None:
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text('[highlight.finding]\ncolor = "hotpink"\n', encoding="utf-8")
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        app.main_screen._count_due()  # a second count: still said once
        await settle_pilot(pilot)
        said = [m for m in messages(app) if "highlight.finding.color" in m]
        assert len(said) == 1 and "default (success)" in said[0]
        assert app.main_screen.highlight_meanings()[0].color == "success"


def test_snapshot_labels_in_the_highlight_list_no_color_80x24(
    sample_db: Path, tmp_config: Path, monkeypatch, snap_compare, stable_clock
) -> None:
    """With NO_COLOR the list still says each highlight's meaning, by its label."""
    from ui_support import open_titled

    from ketaread.core.study import add_highlight, article_text, sentence_spans

    monkeypatch.setenv("NO_COLOR", "1")
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(CONFIG, encoding="utf-8")
    app = make_app(db=sample_db, config=tmp_config, offline=True)
    assert app.no_color

    async def run_before(pilot) -> None:
        await settle_pilot(pilot)
        await open_titled(pilot, "Glutamate 101")
        screen = pilot.app.main_screen
        text = article_text(screen.rendering)
        study = pilot.app.context.study
        for (start, end), key in zip(
            sentence_spans(text)[3:7], ("finding", "method", "question", "definition"), strict=True
        ):
            add_highlight(study, screen.detail, text, text[start:end], color=key)
        screen._load_highlights(screen.detail, screen.rendering)
        await settle_pilot(pilot)
        await pilot.press("L")
        await settle_pilot(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
