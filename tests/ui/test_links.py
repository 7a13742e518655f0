"""Link routing: the web (http(s) only), articles in the cache, and ketaread:// links."""

from __future__ import annotations

from ui_support import Settle, article_id_titled, messages, open_titled

from ketaread.app import KetareadApp
from ketaread.screens.glossary import GlossaryModal

SIZE = (120, 40)

REFUSED = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
    "https://example.org/a b",
    "-oProxyCommand=touch /tmp/pwned",
    "ssh://host",
]


async def test_routing_hands_http_links_to_the_browser_and_refuses_the_rest(
    app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for href in REFUSED:
            app.clear_notifications()
            await pilot.pause()
            app.main_screen.route_link(href)
            await settle(pilot)
            refusals = [m for m in messages(app) if m.startswith("Not opened")]
            assert len(refusals) == 1, href
        assert opened_urls == []
        assert app.is_running
        app.main_screen.route_link("https://www.nimh.nih.gov/health/topics/depression")
        await settle(pilot)
        assert opened_urls == ["https://www.nimh.nih.gov/health/topics/depression"]


async def test_a_link_to_a_cached_article_opens_it_in_ketaread(
    app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # The dissociation article links to the Glutamate 101 article of the same feed.
        await open_titled(pilot, "Dissociation During Ketamine")
        target = article_id_titled(app, "Glutamate 101")
        screen = app.main_screen
        await pilot.press("r")
        panel = screen.reference_panel
        link_rows = [
            i
            for i in range(panel.option_count)
            if (panel.get_option_at_index(i).id or "").startswith("link:")
            and panel._urls[panel.get_option_at_index(i).id]
            == "https://learning.example.org/glutamate-nmda-ampa-basics/"
        ]
        assert link_rows
        panel.highlighted = link_rows[0]
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.row.id == target
        assert screen.article_list.current.id == target
        assert opened_urls == []


async def test_a_term_link_opens_the_glossary_popup_at_that_term(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Glutamate 101")
        app.main_screen.route_link("ketaread://term/nmda%20receptor")
        await settle(pilot)
        popup = app.screen
        assert isinstance(popup, GlossaryModal)
        assert popup.current is not None and popup.current.term == "NMDA receptor"


async def test_a_link_to_an_article_not_in_the_cache_is_reported(
    app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for href in ("ketaread://article/zzz", "ketaread://article/0000000000"):
            app.clear_notifications()
            await pilot.pause()
            app.main_screen.route_link(href)
            await settle(pilot)
            assert messages(app) == ["That article is not in the cache."], href
        assert opened_urls == []
