"""One reading of where Markdown's code is, shared by web-link indexing (render), citation
linking (references) and term marking (glossary): the three used to disagree."""

from __future__ import annotations

import pytest

from ketaread.core.glossary import load_glossary, mark_terms
from ketaread.core.markdown_regions import code_regions, markdown_layout, outside_code
from ketaread.core.render import html_to_markdown, index_links


def _code_text(markdown: str) -> list[str]:
    return [markdown[start:end] for start, end in code_regions(markdown)]


def _is_code(markdown: str, needle: str) -> bool:
    at = markdown.index(needle)
    return any(start <= at < end for start, end in code_regions(markdown))


# (name, markdown, a piece of text in it, whether that text is code)
SHAPES = [
    ("fence", "Text.\n\n```\n[a](https://a.example/)\n```\n\nAfter.", "[a]", True),
    ("fence indented two", "Text.\n\n  ```\n  [a](https://a.example/)\n  ```\n", "[a]", True),
    (
        "fence indented four is indented code",
        "Text.\n\n    ```\n    [a](https://a.example/)\n",
        "[a]",
        True,
    ),
    ("tilde fence", "~~~python\n[a](https://a.example/)\n~~~\n", "[a]", True),
    ("unclosed fence runs to the end", "Text.\n\n```\n[a](https://a.example/)\n", "[a]", True),
    ("fence in a block quote", "> ```\n> [a](https://a.example/)\n> ```\n", "[a]", True),
    ("indented code after a blank", "Text.\n\n    [a](https://a.example/)\n", "[a]", True),
    (
        "indented continuation of a paragraph",
        "A paragraph line\n    [a](https://a.example/) goes on.\n",
        "[a]",
        False,
    ),
    (
        "list item continuation",
        "* An item\n\n    [a](https://a.example/) in the item.\n",
        "[a]",
        False,
    ),
    ("inline code span", "Use `[a](https://a.example/)` here.", "[a]", True),
    ("double backtick span", "Use ``a ` [b](https://b.example/)`` here.", "[b]", True),
    ("raw HTML pre block", "<pre>\n[a](https://a.example/)\n</pre>\n", "[a]", True),
    ("plain paragraph", "See [a](https://a.example/) now.", "[a]", False),
    ("heading", "## About [a](https://a.example/)\n", "[a]", False),
]


@pytest.mark.parametrize(
    ("markdown", "needle", "code"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES]
)
def test_code_regions_find_each_shape(markdown: str, needle: str, code: bool) -> None:
    assert _is_code(markdown, needle) is code


@pytest.mark.parametrize(
    ("markdown", "needle", "code"), [s[1:] for s in SHAPES], ids=[s[0] for s in SHAPES]
)
def test_index_links_rewrites_a_link_exactly_when_it_is_not_code(
    markdown: str, needle: str, code: bool
) -> None:
    marked = index_links(markdown)
    if code:
        assert marked.links == [] or "https://a.example/" not in marked.links
        assert "https://" in marked.markdown  # left as written
    else:
        assert marked.links and marked.links[0].startswith("https://")


def test_two_space_fence_link_is_left_alone_by_every_reader() -> None:
    """The first disagreement: references and glossary called it code, index_links still
    rewrote the link inside it."""
    markdown = "Ketamine text.\n\n  ```\n  [NMDA](https://a.example/) (NIMH)\n  ```\n"
    assert index_links(markdown).markdown == markdown
    glossary = load_glossary(None)
    assert "ketaread://" not in mark_terms(markdown, glossary, [])[len("Ketamine text.") :]


def test_four_space_continuation_link_is_indexed_and_its_terms_marked() -> None:
    """The second: a more indented line inside a paragraph continues it (CommonMark); only
    render called it code, so its link was never indexed."""
    markdown = "Ketamine blocks the receptor\n    [NMDA](https://a.example/) for a while.\n"
    assert index_links(markdown).links == ["https://a.example/"]
    glossary = load_glossary(None)
    assert "ketaread://term/" in mark_terms(markdown, glossary, [])


def test_html2text_pre_output_is_code() -> None:
    markdown = html_to_markdown("<p>Before.</p><pre>[x](https://a.example/)\nline two</pre>")
    assert _is_code(markdown, "line two")
    assert index_links(markdown).links == []


def test_pieces_cover_the_whole_document_in_order() -> None:
    markdown = "A `b` c.\n\n```\nd\n```\n\ne [f](https://f.example/) g\n"
    pieces = list(outside_code(markdown))
    assert "".join(markdown[s:e] for s, e, _ in pieces) == markdown
    assert [markdown[s:e] for s, e, code in pieces if code] == ["`b`", "```\nd\n```"]


def test_hostile_backticks_and_fences_are_read_in_one_pass() -> None:
    """Thousands of unclosed backticks or fences: every region found, nothing rescanned."""
    markdown = "`" * 20000 + "\n" + "```\n" * 5000 + "text"
    regions = code_regions(markdown)
    assert regions and regions[-1][1] <= len(markdown)


def test_layout_sections_start_at_headings() -> None:
    markdown = "Intro.\n\n# One\n\nText.\n\nTwo\n---\n\nMore.\n"
    layout = markdown_layout(markdown)
    assert [markdown[s : s + 3] for s in layout.sections] == ["# O", "Two"]
