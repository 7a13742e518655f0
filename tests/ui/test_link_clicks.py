"""Links clicked in the article pane itself, through Textual's Markdown widget."""

from __future__ import annotations

from pathlib import Path

from ui_support import Settle

from ketaread.cli import make_app
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store

ENCODED = "https://ex.org/a%20b?q=a%26b"
HTML = (
    f'<p>See <a href="{ENCODED}">the encoded study</a> and the '
    '<a href="https://ex.org/wiki/X_(y)">wiki page</a>. '
    "Text that only looks like a link: [trap](https://evil.example/).</p>"
)


def _one_article_cache(path: Path, html: str = HTML) -> Path:
    store = Store(path)
    article = ParsedArticle(uid="1", title="Links", html=html, published=1_700_000_000.0)
    store.store_feed("/s", ParsedFeed(location="/s/f.xml", title="F", articles=[article]))
    store.close()
    return path


async def _click_link_named(app, text: str) -> None:
    """Follow the article's link whose text is `text`, as a mouse click does."""
    markdown = app.main_screen.article_view.markdown
    for block in markdown.query("MarkdownBlock"):
        source = block.source or ""
        marker = f"[{text}]("
        if marker in source:
            href = source.split(marker, 1)[1].split(")", 1)[0]
            await block.action_link(href)
            return
    raise AssertionError(f"no link named {text!r} in the article")


async def test_a_clicked_link_opens_exactly_the_url_the_article_gave(
    tmp_path: Path, tmp_config: Path, opened_urls: list[str], settle: Settle
) -> None:
    app = make_app(db=_one_article_cache(tmp_path / "c.db"), config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await _click_link_named(app, "the encoded study")
        await _click_link_named(app, "wiki page")
        await settle(pilot)
        # Textual percent-decodes a clicked href; routing by index keeps the original.
        assert opened_urls == [ENCODED, "https://ex.org/wiki/X_(y)"]


async def test_text_that_looks_like_a_link_is_not_clickable(
    tmp_path: Path, tmp_config: Path, opened_urls: list[str], settle: Settle
) -> None:
    app = make_app(db=_one_article_cache(tmp_path / "c.db"), config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        markdown = app.main_screen.article_view.markdown
        shown = "\n".join(block._content.plain for block in markdown.query("MarkdownBlock"))
        assert "[trap](https://evil.example/)" in shown  # shown literally, as text
        sources = "\n".join(block.source or "" for block in markdown.query("MarkdownBlock"))
        assert "evil.example" not in "".join(app.main_screen.link_targets)
        assert "\\[trap\\]" in sources


async def test_an_app_link_written_by_the_feed_is_not_followed(
    tmp_path: Path, tmp_config: Path, opened_urls: list[str], settle: Settle
) -> None:
    from ui_support import messages

    from ketaread.screens.glossary import GlossaryModal

    html = (
        "<p>Ketamine blocks NMDA receptors.</p>"
        "<ul><li><pre>a\n[w](ketaread://term/ketamine)</pre></li></ul>"
    )
    db = _one_article_cache(tmp_path / "c.db", html)
    app = make_app(db=db, config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        markdown = app.main_screen.article_view.markdown
        block = next(
            b
            for b in markdown.query("MarkdownBlock")
            if "(ketaread://term/ketamine)" in (b.source or "") and "[w]" in (b.source or "")
        )
        await block.action_link("ketaread://term/ketamine")
        await settle(pilot)
        assert not isinstance(app.screen, GlossaryModal)
        assert any("not made by ketaread" in m for m in messages(app))
        # The app made its own term links for this article, and those are allowed.
        assert any(link.startswith("ketaread://term/") for link in app.main_screen.app_links)
