"""Fault injection on rendering: hostile nesting, huge articles and unlabelled code never
freeze the reader or fill the cache."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from ketaread.cli import make_app
from ketaread.core.clean import clean_html
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.render import html_to_markdown
from ketaread.core.store import Store

RunCli = Callable[..., tuple[int, str, str]]


def nested_list(depth: int) -> str:
    return "<ul><li>level" * depth + " deepest words" + "</li></ul>" * depth


def test_deep_nesting_does_not_explode_the_markdown() -> None:
    """A 2,000-deep nested <ul> made one 4 MB Markdown line (10,000 deep: 100 MB printed
    by `show` and stored in the cache). Nesting past the cap is flattened; words stay."""
    markdown = html_to_markdown(clean_html(nested_list(2000)))
    assert "deepest words" in markdown
    assert len(markdown) < 200_000
    assert max(len(line) for line in markdown.splitlines()) < 100_000


def test_a_huge_article_is_shown_as_plain_text_with_a_notice() -> None:
    """Formatted Markdown over the size budget: the plain text, under a notice."""
    html = "<p>" + "<b>word</b> " * 120_000 + "</p>"
    markdown = html_to_markdown(html)
    assert markdown.startswith("*Shown as plain text:")
    assert markdown.count("word") == 120_000
    assert "**" not in markdown


def test_show_of_a_deeply_nested_article_stays_small(run_cli: RunCli, tmp_path: Path) -> None:
    """End to end through the cache: `show` prints (and caches) a bounded rendering."""
    feed = tmp_path / "deep.xml"
    body = nested_list(3000).replace("<", "&lt;").replace(">", "&gt;")
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Deep</title>'
        f"<item><title>Deep list</title><guid>d1</guid><description>{body}</description>"
        "</item></channel></rss>"
    )
    assert run_cli("add", str(feed))[0] == 0
    assert run_cli("refresh")[0] == 0
    code, out, _err = run_cli("list")
    key = out.split()[0]
    code, out, err = run_cli("show", key)
    assert code == 0, err
    assert "deepest words" in out
    assert len(out) < 500_000


def build(path: Path, html: str) -> None:
    store = Store(path)
    try:
        article = ParsedArticle(uid="code", title="Unlabelled code", html=html, published=1.7e9)
        store.store_feed("/f", ParsedFeed(location="/f", title="F", articles=[article]))
    finally:
        store.close()


async def settle(pilot: Pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_unlabelled_code_is_not_language_guessed(tmp_path: Path, tmp_config: Path) -> None:
    """Textual's Markdown asked Pygments to guess the language of every unlabelled code
    block, on the UI thread: minutes on one 4 MB line. Now it is plain text, and a block
    past the budget is cut."""
    from textual.widgets._markdown import MarkdownFence

    path = tmp_path / "cache.db"
    line = "x = compute(alpha, beta) ; " * 6000  # 160 KB on one line
    build(path, f"<p>Before.</p><pre>{line}</pre><p>After.</p>")
    app = make_app(db=path, config=tmp_config, offline=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        started = time.monotonic()
        await pilot.press("enter")
        await settle(pilot)
        fences = list(app.screen.query(MarkdownFence))
        assert fences, "the code block was not shown"
        assert all(fence.lexer == "text" for fence in fences)
        assert all(len(fence.code) <= 100_200 for fence in fences)
        assert time.monotonic() - started < 30


def references_html(count: int) -> str:
    """An article citing `count` numbered references, then their list."""
    body = "".join(
        f"<p>Finding {i} on AMPA receptor signalling after ketamine was replicated [{i + 1}].</p>"
        for i in range(count)
    )
    entries = "".join(
        f"<li>Author{i} A, Other B. Ketamine study number {i}. J Psychiatr Res. "
        f"2020;{i % 90}:{i}-{i + 9}. doi:10.1000/jpr.{i}</li>"
        for i in range(count)
    )
    return body + "<h2>References</h2><ol>" + entries + "</ol>"


def build_huge(path: Path) -> None:
    """A cache with a 5,000-reference article (newest) and a short one."""
    store = Store(path)
    try:
        articles = [
            ParsedArticle(
                uid="huge",
                title="Five thousand references",
                html=references_html(5000),
                published=1.7e9 + 1,
            ),
            ParsedArticle(
                uid="short", title="A short one", html="<p>Short text.</p>", published=1.7e9
            ),
        ]
        store.store_feed("/f", ParsedFeed(location="/f", title="F", articles=articles))
    finally:
        store.close()


async def test_a_huge_article_formats_a_bounded_part_and_shows_the_rest_as_plain_text(
    tmp_path: Path, tmp_config: Path
) -> None:
    """5,000 cited references mounted 10,000 Markdown widgets on the UI thread: 136 s to
    settle and 8 s to quit. Now the first blocks are formatted, a notice says the rest is
    plain text, and the plain text comes in pieces as the reader scrolls; the reference
    panel, the glossary and jumping to a citing sentence still work on what is shown."""
    from textual.widgets._markdown import MarkdownBlock

    from ketaread.screens.glossary import GlossaryModal

    path = tmp_path / "cache.db"
    build_huge(path)
    app = make_app(db=path, config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.main_screen
        assert screen is not None and screen.detail is not None
        assert screen.detail.row.title == "Five thousand references"
        [notice] = app.screen.query(".article-overflow-notice")
        assert "plain text" in str(notice.visual)
        assert len(app.screen.query(MarkdownBlock)) <= 500
        pieces = list(app.screen.query(".article-plain"))
        assert 1 <= len(pieces) <= 3
        # The references are all in the panel (worked out from the whole article).
        await pilot.press("r")
        await settle(pilot)
        panel = screen.reference_panel
        assert panel.display and panel.option_count > 1000
        # A citing sentence in the formatted part, then one in the first plain piece.
        assert screen.article_view.scroll_to_text("Finding 3 on AMPA receptor")
        assert screen.article_view.scroll_to_text("Finding 200 on AMPA receptor")
        await pilot.press("r")
        # Scrolling to the end of what is shown adds the next plain piece.
        screen.article_view.focus()
        screen.article_view.scroll_end(animate=False)
        await settle(pilot)
        assert len(app.screen.query(".article-plain")) == len(pieces) + 1
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, GlossaryModal)
        await pilot.press("escape")
        await settle(pilot)
        # Another article: the plain pieces of the huge one go.
        screen.article_list.focus()
        await pilot.press("j", "enter")
        await settle(pilot)
        assert screen.detail.row.title == "A short one"
        assert not app.screen.query(".article-plain")
        assert not app.screen.query(".article-overflow-notice")
        # Back to the huge one, and `q` at once, while its rest is still being added.
        await pilot.press("k", "enter")
        for _ in range(10):
            await pilot.pause(0.05)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running
