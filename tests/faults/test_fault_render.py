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
