"""HTML to Markdown, plain text for analysis, and the rendering cache."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest

from ketaread.core.models import ArticleDetail, ArticleRow, ParsedArticle, ParsedFeed
from ketaread.core.references import MAX_CITATIONS, MAX_REFERENCES, analyse
from ketaread.core.render import (
    RENDER_VERSION,
    Rendering,
    html_to_markdown,
    plain_text,
    rendering_for,
)
from ketaread.core.store import Store


def test_markdown_keeps_links_and_does_not_wrap_long_lines() -> None:
    words = " ".join(["glutamate"] * 60)
    markdown = html_to_markdown(f'<p>{words} <a href="https://example.org/x">NIH</a></p>')
    assert "[NIH](https://example.org/x)" in markdown
    assert words in markdown  # one line: no hard wrapping


def test_relative_links_resolve_against_the_base_url() -> None:
    markdown = html_to_markdown('<p><a href="/notes/2">next</a></p>', "https://ex.org/a/b")
    assert "(https://ex.org/notes/2)" in markdown


def test_plain_text_drops_markup_but_keeps_asterisks_inside_words() -> None:
    text = plain_text("The **STAR*D** trial, [NIH](https://x.org/a), `code`, _em_, snake_case")
    assert text == "The STAR*D trial, NIH, code, em, snake_case"


def test_plain_text_is_linear_on_unclosed_brackets() -> None:
    # Quadratic matching took seconds on 25,000 '['; run it in a subprocess with a timeout
    # so a regression fails instead of hanging the suite.
    code = "from ketaread.core.render import plain_text; plain_text('[' * 200_000 + 'x')"
    done = subprocess.run([sys.executable, "-c", code], timeout=20, capture_output=True)
    assert done.returncode == 0, done.stderr


def test_analysis_is_bounded_on_hostile_citation_counts() -> None:
    references = "".join(
        f'<li>National Institutes of Health. Study {i}. <a href="https://ex.org/{i}">x</a></li>'
        for i in range(MAX_REFERENCES + 50)
    )
    body = " ".join(
        f"Sentence {i} (National Institutes of Health)." for i in range(MAX_CITATIONS + 100)
    )
    analysis = analyse(f"<p>{body}</p><h2>References</h2><ol>{references}</ol>")
    assert len(analysis.references) == MAX_REFERENCES
    assert len(analysis.citations) == MAX_CITATIONS


def test_a_rendering_is_made_once_and_then_read_from_the_cache(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.db")
    article = ParsedArticle(
        uid="a",
        title="T",
        html="<p>Ketamine blocks NMDA receptors (Nature).</p>"
        "<h2>References</h2><ol><li>Nature. NMDA study. https://doi.org/10.1/x</li></ol>",
    )
    store.store_feed("/s", ParsedFeed(location="/s/f.xml", title="F", articles=[article]))
    article_id = store.article_ids()[0]
    assert store.rendering(article_id, RENDER_VERSION) is None
    first = rendering_for(store, store.article(article_id))
    cached = store.rendering(article_id, RENDER_VERSION)
    assert cached is not None and cached[0] == first.markdown
    again = rendering_for(store, store.article(article_id))
    assert again.markdown == first.markdown
    assert again.analysis.to_json() == first.analysis.to_json()
    store.close()


def test_feed_text_that_looks_like_a_link_stays_text() -> None:
    markdown = html_to_markdown(
        "<p>Click [here](ketaread://article/abc) or &#91;x&#93;(https://e.org) — "
        '<a href="https://real.example.org/">a real link</a>.</p>'
    )
    assert "\\[here\\](ketaread://article/abc)" in markdown
    assert "\\[x\\](https://e.org)" in markdown
    assert "[a real link](https://real.example.org/)" in markdown


def test_numeric_markers_are_linked_through_the_real_renderer() -> None:
    from ketaread.core.references import link_citations

    html = (
        "<p>Ketamine acts within hours [1]. BDNF rises too [2].</p><h2>References</h2><ol>"
        "<li>Nature. Fast action. https://doi.org/10.1/a</li>"
        "<li>Science. BDNF rises. https://doi.org/10.1/b</li></ol>"
    )
    linked = link_citations(html_to_markdown(html), analyse(html))
    assert "[\\[1\\]](ketaread://cite/0)" in linked
    assert "[\\[2\\]](ketaread://cite/1)" in linked


def test_web_links_are_indexed_with_their_urls_exactly_as_written() -> None:
    from ketaread.core.render import index_links

    marked = index_links(
        "[a](https://ex.org/a%20b?q=a%26b) [w](https://en.wikipedia.org/wiki/X_\\(y\\)) "
        "<https://ex.org/z_q> [c](ketaread://cite/1) \\[t\\](https://evil.example/)"
    )
    assert marked.links == [
        "https://ex.org/a%20b?q=a%26b",
        "https://en.wikipedia.org/wiki/X_(y)",
        "https://ex.org/z_q",
    ]
    assert marked.markdown == (
        "[a](ketaread://link/0) [w](ketaread://link/1) [https://ex.org/z\\_q](ketaread://link/2) "
        "[c](ketaread://cite/1) \\[t\\](https://evil.example/)"
    )


def test_a_malformed_link_never_stops_an_article_from_rendering() -> None:
    markdown = html_to_markdown(
        '<p>Before <a href="http://[bold]x">bad link</a> after.</p>', "https://ex.org/a"
    )
    assert "Before" in markdown and "bad link" in markdown and "after." in markdown


def test_marking_escaped_brackets_stays_linear() -> None:
    # The renderer escapes every bracket of article text; matching that used to be quadratic
    # (33 s for this article), freezing the reader. Run in a subprocess with a timeout.
    code = (
        "from ketaread.core.render import html_to_markdown, Rendering\n"
        "from ketaread.core.references import analyse\n"
        "from ketaread.core.glossary import load_glossary\n"
        "html = '<p>' + 'Ketamine works [1]. ' * 8000 + '</p><h2>References</h2><ol>"
        "<li>Nature. Ketamine works. https://doi.org/10.1/a</li></ol>'\n"
        "r = Rendering(html_to_markdown(html), analyse(html))\n"
        "r.marked_markdown(load_glossary(None))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=20, capture_output=True)
    assert done.returncode == 0, done.stderr


def test_titled_links_are_indexed_and_code_is_left_alone() -> None:
    from ketaread.core.render import index_links

    marked = index_links(
        html_to_markdown(
            '<p><a href="https://a.org/x%20y" title="T">t</a> and '
            "<code>[d](https://c.org/)</code></p><pre>see [docs](https://docs.example.org/)</pre>"
            '<ul><li><a href="https://b.org">b</a></li></ul>'
        )
    )
    assert marked.links == ["https://a.org/x%20y", "https://b.org"]
    assert '[t](ketaread://link/0 "T")' in marked.markdown
    assert "`[d](https://c.org/)`" in marked.markdown
    assert "see [docs](https://docs.example.org/)" in marked.markdown


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("<p>It helps adherence.<sup>8</sup> An infusion</p>", "adherence.⁸ An infusion"),
        ("<p>Trials agree.<sup>4,5</sup></p>", "agree.⁴,⁵"),
        ("<p>Trials agree.<sup>4&#8211;6</sup></p>", "agree.⁴⁻⁶"),
        ("<p>Around 10<sup>4</sup> synapses and Ca<sup>2+</sup></p>", "10⁴ synapses and Ca²⁺"),
        ("<p>The 1<sup>st</sup> dose</p>", "1st dose"),
    ],
)
def test_sup_numbers_shown_as_superscripts(html: str, shown: str) -> None:
    """<sup> numbers are raised, never glued to the word ('adherence.8' is wrong)."""
    assert shown in html_to_markdown(html)


def test_marked_articles_are_made_once_per_article_glossary_and_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reopening an article reuses its marked Markdown; another glossary, another marking
    mode or a changed article marks again, and each caller gets a copy of its own."""
    import ketaread.core.glossary as glossary_module
    from ketaread.core.glossary import load_glossary
    from ketaread.core.render import MarkedCache, render

    html = (
        "<p>Ketamine blocks the NMDA receptor and raises BDNF [1]. "
        '<a href="https://example.org/a%20b">a source</a></p>'
        "<h2>References</h2><ol><li>Smith J. Ketamine. Nature. 2020.</li></ol>"
    )
    detail = ArticleDetail(
        row=ArticleRow(7, "7", "t", "https://example.org/", 1, "Feed", "", None, False, False),
        tags=[],
        html=html,
        base_url="https://example.org/",
    )
    rendering = render(detail)
    calls: list[str] = []
    mark_terms = glossary_module.mark_terms

    def counting(markdown: str, *args: object, **kwargs: object) -> str:
        calls.append(markdown)
        return mark_terms(markdown, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(glossary_module, "mark_terms", counting)
    glossary = load_glossary()
    cache = MarkedCache(size=2)
    first = cache.marked(7, rendering, glossary, "first")
    expected = rendering.marked_markdown(glossary, "first")
    assert (first.markdown, first.links, first.app_links) == (
        expected.markdown,
        expected.links,
        expected.app_links,
    )
    assert "ketaread://term/" in first.markdown
    calls.clear()
    first.markdown = "edited by the screen"
    first.links.append("https://elsewhere.example/")
    again = cache.marked(7, rendering, glossary, "first")
    assert calls == []  # not marked again
    assert (again.markdown, again.links) == (expected.markdown, expected.links)
    cache.marked(7, rendering, glossary, "every")
    cache.marked(7, rendering, copy.copy(glossary), "every")  # a glossary loaded again
    changed = Rendering(rendering.markdown + "\nMore on NMDA.\n", rendering.analysis)
    cache.marked(7, changed, glossary, "every")
    assert len(calls) == 3
    cache.marked(8, rendering, glossary, "every")
    cache.marked(9, rendering, glossary, "every")  # two kept: article 7 is dropped
    calls.clear()
    cache.marked(7, changed, glossary, "every")
    assert len(calls) == 1
