"""App-wide keys: help, the command palette, quitting, themes, background refresh, 80x24."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from ui_support import Settle, article_id_titled, screen_text, wait_until

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.locations import settings_path
from ketaread.screens.glossary import GlossaryModal
from ketaread.screens.help import HelpScreen
from ketaread.screens.main import MainScreen, StatusLine
from ketaread.widgets.key_bar import KeyBar

SIZE = (120, 40)


async def _palette_choose(pilot, query: str, prefix: str) -> None:
    """Open the palette, type `query`, wait for a hit starting with `prefix` and choose it."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    results = app.screen.query_one(CommandList)

    def prompts() -> list[str]:
        return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]

    # The providers search in the background.
    await wait_until(pilot, lambda: any(p.startswith(prefix) for p in prompts()))
    index = next(i for i, p in enumerate(prompts()) if p.startswith(prefix))
    while results.highlighted != index:
        await pilot.press("down")
    await pilot.press("enter")


async def test_question_mark_shows_help_and_escape_closes_it(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for line in ("ketaread keys", "toggle read", "copy the highlighted URL", "quit"):
            assert line in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)


async def test_palette_finds_an_article_by_title_words_and_opens_it(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        target = article_id_titled(app, "Ketamine and the Lateral Habenula")
        await _palette_choose(pilot, "habenula circuit", "Article: Ketamine and the Lateral")
        await settle(pilot)
        screen = app.main_screen
        assert app.screen is screen
        assert screen.detail is not None and screen.detail.row.id == target


async def test_palette_finds_a_glossary_term_and_opens_the_popup_at_it(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _palette_choose(pilot, "habenula", "Glossary: lateral habenula")
        await settle(pilot)
        assert isinstance(app.screen, GlossaryModal)
        assert app.screen.current is not None
        assert app.screen.current.term == "lateral habenula"


async def test_q_quits(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.return_code is None  # running
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0  # set by App.exit, before the test harness closes it


async def test_capital_t_cycles_the_theme_and_a_new_app_restores_it(
    app: KetareadApp, sample_db: Path, tmp_config: Path, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "ketaread-dark"
        await pilot.press("T")
        await settle(pilot)
        assert app.theme == "ketaread-light"
        await pilot.press("T")
        await settle(pilot)
        assert app.theme == "ansi-dark"
    saved = tomllib.loads(settings_path(tmp_config).read_text(encoding="utf-8"))
    assert saved == {"theme": "ansi-dark"}
    again = make_app(db=sample_db, config=tmp_config, offline=True)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.theme == "ansi-dark"


async def test_capital_r_refreshes_in_the_background_and_a_failing_source_shows_its_error(
    app: KetareadApp,
    sample_copy: Path,
    tmp_path: Path,
    tmp_config: Path,
    settle: Settle,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extra = tmp_path / "more-feeds" / "digest-copy.rss"
    extra.parent.mkdir()
    shutil.copyfile(sample_copy / "research-digest.rss", extra)
    missing = tmp_path / "gone" / "missing-feed.xml"
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{missing}"\n\n[[source]]\nlocation = "{extra}"\n'
        'title = "Digest copy"\n',
        encoding="utf-8",
    )
    shown: list[str] = []
    real_update = StatusLine.update

    def recording_update(self: StatusLine, content: object = "", **kwargs: object) -> None:
        shown.append(str(content))
        real_update(self, content, **kwargs)

    monkeypatch.setattr(StatusLine, "update", recording_update)  # records, then does the real thing
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        before = len(screen.article_list.ids)
        await pilot.press("R")
        await settle(pilot)
        assert not app.refreshing
        # The working source loaded despite the failing one …
        assert len(screen.article_list.ids) == before + 4
        feeds = {feed.title: feed for feed in screen.sidebar_data.feeds}
        assert feeds["Digest copy"].total == 4 and not feeds["Digest copy"].error
        # … and the failing one shows its error in the sidebar.
        failing = [f for f in screen.sidebar_data.feeds if f.error]
        assert len(failing) == 1 and "missing-feed.xml" in (failing[0].title or failing[0].location)
        sidebar = screen.sidebar
        prompt = next(
            str(sidebar.get_option_at_index(i).prompt)
            for i in range(sidebar.option_count)
            if sidebar.get_option_at_index(i).id == f"feed:{failing[0].id}"
        )
        # The note is wrapped to the sidebar's width (two lines at most).
        assert prompt.startswith("! ") and failing[0].error in " ".join(prompt.split())
        status = str(screen.query_one(StatusLine).render())
        assert "1 source failing" in status
        assert app.refresh_message is not None and app.refresh_message in status
        assert "2 feeds checked" in status
        # While it ran, the status line showed its progress, source by source.
        progress = [line for line in shown if "Refreshing…" in line]
        assert len(progress) >= 2
        assert any("missing-feed.xml" in line for line in progress)


async def test_at_80x24_the_footer_shows_the_main_keys(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        main_keys = ["q Quit", "? Help", "n Next", "m Read", "s Star", "r Refs", "g Glossary"]
        main_keys += ["t Tags", "^p palette"]
        footer_line = screen_text(app).splitlines()[screen.query_one(KeyBar).region.y]
        assert all(key in footer_line for key in main_keys), footer_line
        # With the reference panel focused, its own keys come in too: still nothing lost,
        # the labels cut to a hint where they must be.
        await pilot.press("enter", "r")
        await settle(pilot)
        assert screen.reference_panel.has_focus
        footer_line = screen_text(app).splitlines()[screen.query_one(KeyBar).region.y]
        hints = [key[:6] for key in [*main_keys, "y Copy"]]
        assert all(key in footer_line for key in hints), footer_line


async def test_a_16_colour_terminal_starts_in_the_ansi_theme_unless_one_was_chosen(
    sample_db: Path, tmp_config: Path, monkeypatch: pytest.MonkeyPatch, settle: Settle
) -> None:
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("COLORTERM", raising=False)
    first = make_app(db=sample_db, config=tmp_config, offline=True)
    async with first.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert first.theme == "ansi-dark"
    # Picked for this terminal, not by the reader: not remembered for other terminals.
    assert not settings_path(tmp_config).exists()
    settings_path(tmp_config).parent.mkdir(parents=True, exist_ok=True)
    settings_path(tmp_config).write_text('theme = "ketaread-light"\n', encoding="utf-8")
    second = make_app(db=sample_db, config=tmp_config, offline=True)
    async with second.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert second.theme == "ketaread-light"


async def test_help_wraps_a_long_description_beside_its_key(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        row = next(i for i, line in enumerate(lines) if "command palette: jump" in line)
        column = lines[row].index("command palette")
        # The description goes on in its own column on the next line; the key column is empty.
        assert "glossary term" in lines[row + 1][column:]
        assert lines[row + 1][:column].strip(" ▔▁▎▍▌▋▊▉█│┃●") == ""


async def test_popups_show_their_own_keys_in_the_footer(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        bottom = screen_text(app).splitlines()[-1]
        assert "esc Close" in " ".join(bottom.split()) and "Quit" not in bottom
        await pilot.press("escape", "G")
        await settle(pilot)
        assert isinstance(app.screen, GlossaryModal)
        bottom = " ".join(screen_text(app).splitlines()[-1].split())
        assert "esc Close" in bottom and "tab Related" in bottom and "Quit" not in bottom


async def test_in_an_ansi_theme_the_list_cursor_stays_marked_when_the_list_is_blurred(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        listing = app.main_screen.article_list
        await pilot.press("l")  # the focus goes to the sidebar
        await settle(pilot)
        assert not listing.has_focus
        assert listing.get_component_rich_style("article-list--cursor").bgcolor is not None
        app.theme = "ansi-dark"
        await settle(pilot)
        # The ansi themes give the blurred cursor no colour of its own: a style marks it.
        assert listing.get_component_rich_style("article-list--cursor").underline


@pytest.mark.parametrize("theme", ["textual-dark", "ansi-dark"])
async def test_dialogs_set_their_box_apart_from_the_reader_in_every_theme(
    app: KetareadApp, settle: Settle, theme: str
) -> None:
    """Help and the glossary dim the reader behind their box, or in an ansi theme (which
    cannot dim) hide it; ModalScreen alone would leave it showing through unchanged."""
    async with app.run_test(size=SIZE) as pilot:
        app.theme = theme
        await settle(pilot)
        for key, dialog_type in (("question_mark", HelpScreen), ("G", GlossaryModal)):
            await pilot.press(key)
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, dialog_type)
            backdrop = dialog.styles.background
            box = dialog.query_one(".dialog-box")
            if theme.startswith("ansi"):
                assert backdrop.a == 1 and backdrop.ansi == -1  # the terminal's own
            else:
                assert 0 < backdrop.a < 1
                assert box.styles.background.a == 1
            assert box.region.width < SIZE[0] and box.region.height < SIZE[1]
            (box_x, box_y), (screen_x, screen_y) = box.region.center, dialog.region.center
            assert abs(box_x - screen_x) <= 1 and abs(box_y - screen_y) <= 1
            await pilot.press("escape")
            await settle(pilot)


async def test_palette_runs_a_key_s_action_from_its_binding(
    app: KetareadApp, settle: Settle
) -> None:
    """Palette commands come from the bindings: choosing one does what the key does."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.main_screen.reference_panel
        assert not panel.display
        await _palette_choose(pilot, "hide the reference", "Show or hide the reference panel")
        await settle(pilot)
        assert panel.display


async def test_every_palette_command_names_an_action_that_exists(
    app: KetareadApp, settle: Settle
) -> None:
    """Each derived command runs an action the screen or the app really has (a typo in a
    binding's action would otherwise fail only when chosen)."""
    from ketaread.screens.keys import palette_commands

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        commands = list(palette_commands(app, screen))
        titles = {command.title for command in commands}
        assert {"Toggle read", "Show or hide the tag sidebar", "Quit ketaread"} <= titles
        for binding in [*MainScreen.BINDINGS, *KetareadApp.BINDINGS]:
            name = binding.action.split("(")[0]
            owner = screen if binding in MainScreen.BINDINGS else app
            assert callable(getattr(owner, f"action_{name}", None)), binding.action


async def test_palette_glossary_notes_end_at_a_word_with_an_ellipsis(
    app: KetareadApp, settle: Settle
) -> None:
    """Found by a new user: the definitions under glossary hits were cut mid-word
    ("…becomes active after disappoi")."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"habenula")
        results = app.screen.query_one(CommandList)

        def glossary_notes() -> list[str]:
            prompts = [
                str(results.get_option_at_index(i).prompt) for i in range(results.option_count)
            ]
            return [p.split("\n", 1)[1] for p in prompts if p.startswith("Glossary:")]

        await wait_until(pilot, lambda: bool(glossary_notes()))  # searched in the background
        notes = glossary_notes()
        assert notes
        for note in notes:
            assert len(note) <= 80
            assert note.endswith(("…", ".", ")")) or len(note) < 70, note


async def test_notices_replace_each_other_and_an_error_stays_beside_them(
    app: KetareadApp, settle: Settle
) -> None:
    """Found by a new user: 23 failing sources stacked 23 toasts over the article."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for number in range(23):
            app.notify(f"feed {number}: HTTP 404", title="Source failed", severity="warning")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["feed 22: HTTP 404"]
        app.notify("23 feeds failed", severity="error")
        app.notify("Theme: ansi-dark")
        await pilot.pause()
        assert sorted(n.message for n in app._notifications) == [
            "23 feeds failed",
            "Theme: ansi-dark",
        ]
