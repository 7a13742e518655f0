"""The reading screen with what issue 21 brought: attachments in the header with open/copy
keys, F for full text, the excerpt-only hint, figures and code that wraps, all against
feeds and pages served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from textual.widgets import Label
from textual.widgets.markdown import MarkdownFence
from ui_support import Settle, messages, open_titled, screen_text

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import Store
from ketaread.screens.main import StatusLine

CODE = "dose_mg_per_kg = 0.5  # " + "a long comment that runs far past the pane " * 4 + "END"
PAGE = (
    "<html><head><title>Receptors</title></head><body><nav>Home · Book a consultation</nav>"
    "<article><h1>Receptors</h1>"
    + "".join(
        f"<p>Ketamine blocks NMDA receptors on interneurons, paragraph {n} [1].</p>"
        for n in range(6)
    )
    + "<h2>References</h2><ol><li>Example A. Ketamine and interneurons. J Ex. 2021;1:1-9.</li>"
    "<li>Example B. BDNF and synapses. Neuron Ex. 2020;2:3-4.</li></ol></article>"
    "<footer>All rights reserved.</footer></body></html>"
)


def feed(base: str) -> str:
    """An excerpt-only podcast feed: an episode with an enclosure and a figure, and code."""
    return (
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>'
        f"<title>Clinic podcast</title><link>{base}/</link>"
        f"<item><guid>ep1</guid><title>Episode one</title><link>{base}/ep1</link>"
        "<description><![CDATA[<p>About receptors "
        f'<img src="{base}/img/nmda.png" alt="Diagram of the NMDA receptor"> more […]</p>'
        "<p>The post Episode one appeared first on Clinic.</p>]]></description>"
        f'<enclosure url="{base}/media/ep1.mp3" type="audio/mpeg" length="31000000"/>'
        "<itunes:duration>42:00</itunes:duration></item>"
        f"<item><guid>code</guid><title>Dosing script</title><link>{base}/code</link>"
        f"<description><![CDATA[<p>Code [&#8230;]</p><pre><code>{CODE}</code></pre>"
        "]]></description></item></channel></rss>"
    )


@pytest.fixture
def podcast_app(server: HTTPServer, tmp_db: Path, tmp_config: Path) -> KetareadApp:
    """The reader (online) on a cache refreshed from the loopback podcast feed."""
    base = server.url_for("/").rstrip("/")
    server.expect_request("/feed").respond_with_data(feed(base), content_type="application/xml")
    server.expect_request("/ep1").respond_with_data(PAGE, content_type="text/html")
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(f'[[source]]\nlocation = "{base}/feed"\n')
    store = Store(tmp_db)
    refresh(store, [SourceSpec(f"{base}/feed")])
    store.close()
    app = make_app(db=tmp_db, config=tmp_config, offline=False)
    app.animation_level = "none"
    return app


async def test_attachment_in_the_header_with_open_and_copy_keys(
    podcast_app: KetareadApp, settle: Settle, opened_urls: list[str], server: HTTPServer
) -> None:
    app = podcast_app
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Episode one")
        text = screen_text(app)
        assert "Attachment: ep1.mp3 (audio/mpeg, 31 MB, 42 min) — e opens, E copies" in text
        assert "Figure: Diagram of the NMDA receptor" in text
        await pilot.press("e")
        assert opened_urls == [server.url_for("/media/ep1.mp3")]
        await pilot.press("E")
        assert app.clipboard == server.url_for("/media/ep1.mp3")
        await open_titled(pilot, "Dosing script")
        await pilot.press("e")
        assert "This article has no attachment." in messages(app)


async def test_status_says_excerpt_only_and_F_fetches_the_full_text_once(
    podcast_app: KetareadApp, settle: Settle, server: HTTPServer
) -> None:
    app = podcast_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = str(app.main_screen.query_one(StatusLine).render())
        assert "1 source excerpt-only — F: full text" in status
        article_id = await open_titled(pilot, "Episode one")
        screen = app.main_screen
        assert not screen.detail.full_text
        before = len([r for r, _ in server.log if r.path == "/ep1"])
        await pilot.press("F")
        await settle(pilot)
        assert len([r for r, _ in server.log if r.path == "/ep1"]) == before + 1
        assert screen.detail.row.id == article_id and screen.detail.full_text
        assert "Fetched the full text; references and terms now cover it." in messages(app)
        text = screen_text(app)
        assert "Full text fetched from the article's web page" in text
        assert "paragraph 5" in screen.rendering.markdown
        assert len(screen.rendering.analysis.references) == 2
        assert "Book a consultation" not in screen.rendering.markdown


async def test_F_on_a_page_with_no_article_keeps_the_excerpt_and_says_why(
    podcast_app: KetareadApp, settle: Settle
) -> None:
    app = podcast_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Dosing script")  # its page is not served: 500
        await pilot.press("F")
        await settle(pilot)
        assert any(m.startswith("Full text failed:") for m in messages(app))
        assert not app.main_screen.detail.full_text
        assert "The feed's excerpt: full text failed" in screen_text(app)


async def test_code_blocks_wrap_instead_of_running_past_the_pane(
    podcast_app: KetareadApp, settle: Settle
) -> None:
    app = podcast_app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Dosing script")
        fence = app.main_screen.article_view.query_one(MarkdownFence)
        label = fence.query_one(Label)
        assert label.region.right <= fence.region.right
        assert label.size.height > 3  # the one long line wrapped onto several
        fence.scroll_visible(animate=False)
        await settle(pilot)
        assert "END" in screen_text(app)


async def test_a_hidden_source_stays_out_of_the_sidebar_but_its_articles_are_read(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, settle: Settle
) -> None:
    base = server.url_for("/").rstrip("/")
    server.expect_request("/feed").respond_with_data(feed(base), content_type="application/xml")
    server.expect_request("/other").respond_with_data(
        feed(base).replace("Clinic podcast", "Visible notes").replace("ep1", "v1"),
        content_type="application/xml",
    )
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{base}/feed"\nhidden = true\n'
        f'[[source]]\nlocation = "{base}/other"\n'
    )
    app = make_app(db=tmp_db, config=tmp_config, offline=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        data = app.main_screen.sidebar_data
        assert [f.title for f in data.feeds] == ["Visible notes"]
        labels = [label for _, label in app.main_screen.filter_entries()]
        assert "Source: Visible notes" in labels and "Source: Clinic podcast" not in labels
        assert len(app.main_screen.article_list.ids) == 4  # All still has the hidden source's
