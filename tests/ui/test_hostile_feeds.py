"""Feed-controlled text in every widget: shown as typed, never run as markup, never a crash.

The cache holds tests/fixtures/hostile/markup-titles.xml and escape-sequences.xml, and
tests/ui/fixtures/markup-glossary.xml (markup where the glossary popup and the reference
panel show feed text).
"""

from __future__ import annotations

import re

from textual.command import CommandList, CommandPalette
from textual.widgets import OptionList
from ui_support import (
    Settle,
    article_id_titled,
    find_on_screen,
    messages,
    open_titled,
    screen_text,
    settle_pilot,
    wait_until,
)

from ketaread.app import KetareadApp
from ketaread.core.clean import openable_url
from ketaread.screens.glossary import GlossaryModal
from ketaread.screens.main import MainScreen

SIZE = (150, 45)
QUIT = "[@click=app.quit]q[/]"
LINK_F = '[link="file:///etc/passwd"]f[/]'
LITERALS = ["a [/] b", "x [/", QUIT, LINK_F, "[bold red]loud", "[on red]"]
"""Titles, tags and authors of markup-titles.xml, each of which must show as typed."""
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _prompts(widget: OptionList) -> list[str]:
    return [str(widget.get_option_at_index(i).prompt) for i in range(widget.option_count)]


async def test_list_sidebar_and_header_show_feed_text_literally(
    hostile_app: KetareadApp, settle: Settle
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        text = screen_text(app)
        for title in LITERALS:  # the list
            assert f"  {title}" in text, title
        sidebar = screen.sidebar
        names = [(f"tag:{t.id}", t.name) for t in app.store.tags()]
        names += [(f"feed:{f.id}", f.title) for f in app.store.feeds()]
        assert {name for _, name in names} >= {*LITERALS, "Feed [bold red]loud [/] " + QUIT}
        for option_id, name in names:  # each tag and source: literal, cut to the sidebar's width
            assert sidebar.label_for(option_id) == name
            shown = name if len(name) <= 18 else name[:18] + "…"
            assert f"│ {shown} " in text, name
        assert not TERMINAL_CONTROLS.search(text)
        await open_titled(pilot, QUIT)
        header = str(screen.article_view.query_one("#article-header").render())
        assert header.startswith(QUIT)
        assert "[bold red]loud · Feed [bold red]loud [/] [@click=app.qui…" in header
        assert f"Tags: {QUIT}, {LITERALS[3]}" in header
        text = screen_text(app)
        assert f"│ {QUIT}" in text and "[@click=app.quit]quit[/]" in text  # header and body
        assert not TERMINAL_CONTROLS.search(text)
        assert app.is_running


async def test_reference_panel_shows_link_texts_and_urls_literally(
    hostile_app: KetareadApp, settle: Settle
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, f"{QUIT} and BDNF")
        await pilot.press("r")
        await settle(pilot)
        prompts = "\n".join(_prompts(app.main_screen.reference_panel))
        assert "Journal of [@click=app.quit]Quitting[/]. [bold red]A loud paper[/]." in prompts
        assert "https://example.org/ref-[x]" in prompts
        assert "[on red]Never cited[/]." in prompts
        text = screen_text(app)  # the panel is narrow here: its lines wrap
        assert "[@click=app.quit]Quitting" in text and "[on red]Never" in text
        await open_titled(pilot, QUIT)
        prompts = "\n".join(_prompts(app.main_screen.reference_panel))
        for link_text in ("[bold red]loud", "[on red]", "[b]x[/b]", "[/]"):
            assert f"↗ {link_text}\n" in prompts, link_text
        assert "https://example.org/$(touch /tmp/pwned)" in prompts
        assert app.is_running


async def test_clicking_feed_text_does_only_what_the_widget_does(
    hostile_app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        target = article_id_titled(app, QUIT)
        # A list row: clicking opens the article, and nothing else.
        await pilot.click(offset=find_on_screen(app, f"  {QUIT}  "))
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert screen.detail is not None and screen.detail.row.id == target
        # The article's header and body.
        await pilot.click(offset=find_on_screen(app, f"│ {QUIT}"))
        await pilot.click(offset=find_on_screen(app, "[@click=app.quit]quit[/]"))
        await settle(pilot)
        assert app.is_running
        # A tag in the sidebar: clicking filters by it.
        await pilot.click(offset=find_on_screen(app, "│ [@click=app.quit]q…"))
        await settle(pilot)
        assert app.is_running
        assert screen.sub_title == QUIT
        assert target in screen.article_list.ids
        # The header now names the filter: literally, and clicking it does nothing.
        await pilot.click(offset=find_on_screen(app, f"ketaread — {QUIT}"))
        await settle(pilot)
        assert app.is_running
        assert opened_urls == []


async def _try_every_link(pilot, title: str, opened_urls: list[str]) -> dict[str, str]:
    """Press y then Enter on each link row of the article `title`; what became of each URL."""
    app = pilot.app
    screen = app.main_screen
    outcomes: dict[str, str] = {}
    position = 0
    here = await open_titled(pilot, title)
    while True:
        if screen.detail.row.id != here:  # the last link opened another article: come back
            await open_titled(pilot, title)
        if not screen.reference_panel.display:
            await pilot.press("r")
        panel = screen.reference_panel
        panel.focus()
        rows = [
            i
            for i in range(panel.option_count)
            if (panel.get_option_at_index(i).id or "").startswith("link:")
        ]
        if position == len(rows):
            return outcomes
        panel.highlighted = rows[position]
        position += 1
        url = panel.highlighted_url
        app.clear_notifications()
        app.copy_to_clipboard("")
        # One key at a time: each notice replaces the one before it.
        await pilot.press("y")
        await settle_pilot(pilot)
        notes = messages(app)
        await pilot.press("enter")
        await settle_pilot(pilot)
        notes += messages(app)
        cached = app.store.find_by_link(url)
        if cached is not None:  # an article's own link: it opens in ketaread, whatever it is
            outcomes[url] = "ketaread"
            assert screen.detail.row.id == cached != here
        elif openable_url(url)[0]:
            outcomes[url] = "browser"
            assert opened_urls[-1] == url
        else:
            outcomes[url] = "refused"
            assert url not in opened_urls
            assert any(m.startswith("Not opened") for m in notes), url
        if openable_url(url)[0]:
            assert app.clipboard == url
        else:
            assert app.clipboard == ""
            assert any(m.startswith("Not copied") for m in notes), url


async def test_enter_and_y_on_hostile_links_refuse_what_is_not_plain_http(
    hostile_app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        outcomes = await _try_every_link(pilot, f"{QUIT} and BDNF", opened_urls)
        assert outcomes["https://example.org/has space"] == "refused"
        assert outcomes["https://example.org/fine?q=[b]"] == "browser"
        refused = [url for url, outcome in outcomes.items() if outcome == "refused"]
        assert any("-oProxyCommand" in url for url in refused)  # as a relative file: link
        assert all(openable_url(url)[0] for url in opened_urls)
        assert app.is_running


async def test_glossary_popup_lists_hostile_titles_literally_and_opens_them(
    hostile_app: KetareadApp, settle: Settle
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, f"{QUIT} and BDNF")
        other = article_id_titled(app, '[link="file:///etc/passwd"]BDNF again[/]')
        await pilot.press("g")
        await settle(pilot)
        popup = app.screen
        assert isinstance(popup, GlossaryModal)
        assert popup.current is not None and popup.current.term == "BDNF"
        links = popup.query_one("#glossary-links", OptionList)
        mention = '• [link="file:///etc/passwd"]BDNF again[/]  ([@click=app.quit]Glossary bait[/])'
        assert mention in _prompts(links)
        assert '[link="file:///etc/passwd"]BDNF again[/]' in screen_text(app)
        await pilot.press("tab")
        while links.highlighted_option.id != f"article:{other}":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        assert app.main_screen.detail.row.id == other


async def test_palette_search_shows_hostile_names_literally(
    hostile_app: KetareadApp, settle: Settle
) -> None:
    app = hostile_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"click")
        results = app.screen.query_one(CommandList)
        wanted = [f"Article: {QUIT}", f"Tag: {QUIT}", f"Source: Feed [bold red]loud [/] {QUIT}"]

        def prompts() -> list[str]:
            return [p.split("\n")[0] for p in _prompts(results)]

        # The providers search in the background.
        await wait_until(pilot, lambda: all(w in prompts() for w in wanted))
        assert all(w in prompts() for w in wanted), prompts()
        text = screen_text(app)
        assert all(w in text for w in wanted)
        # Clicking the tag's hit applies that filter, and nothing else.
        await pilot.click(offset=find_on_screen(app, f"Tag: {QUIT}"))
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert app.main_screen.sub_title == QUIT
        assert article_id_titled(app, QUIT) in app.main_screen.article_list.ids
