"""The reference panel: toggling, opening and copying URLs, jumping to citing sentences."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets.markdown import MarkdownBlock
from ui_support import Settle, messages, open_titled

from ketaread.app import KetareadApp
from ketaread.core.references import ReferenceAnalysis, analyse
from ketaread.widgets.reference_panel import ReferencePanel

SIZE = (120, 40)
CITING = "Glutamate 101"
"""Cites Nature twice and two other sources; its references carry DOI and PubMed URLs."""


def _highlight(panel: ReferencePanel, option_id: str) -> None:
    for index in range(panel.option_count):
        if panel.get_option_at_index(index).id == option_id:
            panel.highlighted = index
            return
    raise AssertionError(f"no row {option_id} in the panel")


def _row_ids(panel: ReferencePanel, prefix: str) -> list[str]:
    options = (panel.get_option_at_index(i) for i in range(panel.option_count))
    return [o.id for o in options if o.id and o.id.startswith(prefix)]


async def test_r_toggles_the_reference_panel(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        panel = app.main_screen.reference_panel
        assert not panel.display
        await pilot.press("r")
        await settle(pilot)
        assert panel.display and panel.has_focus
        assert panel.region.height > 0
        assert _row_ids(panel, "ref:") == ["ref:1", "ref:2", "ref:3"]
        await pilot.press("r")
        await settle(pilot)
        assert not panel.display
        assert app.main_screen.article_view.has_focus


async def test_the_hidden_panel_lists_an_article_once_shown(
    app: KetareadApp, settle: Settle
) -> None:
    """Opening an article while the panel is hidden builds none of its rows (they cost
    every open's first paint); shown, by `r` or by a citation, it lists the open article's,
    and while shown it lists each article opened."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        panel = app.main_screen.reference_panel
        assert not panel.display and panel.option_count == 0
        await pilot.press("r")
        assert _row_ids(panel, "ref:") == ["ref:1", "ref:2", "ref:3"]  # at once, not later
        await pilot.press("r")
        await open_titled(pilot, "Dissociation During Ketamine")
        assert _row_ids(panel, "ref:") == ["ref:1", "ref:2", "ref:3"]  # the earlier article's
        app.main_screen.show_reference_for_citation(0)
        assert _row_ids(panel, "ref:") != ["ref:1", "ref:2", "ref:3"]
        await settle(pilot)
        shown = _row_ids(panel, "")
        await open_titled(pilot, CITING)
        assert panel.display and _row_ids(panel, "") != shown
        assert _row_ids(panel, "ref:") == ["ref:1", "ref:2", "ref:3"]


async def test_enter_on_a_url_row_opens_it_in_the_browser(
    app: KetareadApp, settle: Settle, opened_urls: list[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        await pilot.press("r")
        panel = app.main_screen.reference_panel
        _highlight(panel, "url:1:0")
        url = panel.highlighted_url
        assert url is not None and url.startswith("https://")
        await pilot.press("enter")
        await settle(pilot)
        assert opened_urls == [url]


async def test_y_copies_the_highlighted_url_and_confirms(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        await pilot.press("r")
        panel = app.main_screen.reference_panel
        _highlight(panel, "ref:2")
        url = panel.highlighted_url
        assert url is not None and url.startswith("https://")
        await pilot.press("y")
        await settle(pilot)
        assert app.clipboard == url
        assert f"Copied {url}" in messages(app)


async def test_enter_on_a_citing_sentence_scrolls_the_article_to_it(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        screen = app.main_screen
        view = screen.article_view
        await pilot.press("r")
        await settle(pilot)
        panel = screen.reference_panel
        sentence_rows = _row_ids(panel, "sent:")
        assert sentence_rows
        # The citing sentence that sits lowest in the article: the jump must scroll to reach it.
        blocks = list(view.markdown.query(MarkdownBlock))

        def block_of(option_id: str) -> MarkdownBlock:
            words = " ".join(panel._sentences[option_id].split())[:60]
            return next(b for b in blocks if words in " ".join(str(b.render()).split()))

        target = max(sentence_rows, key=lambda row: block_of(row).virtual_region.y)
        block = block_of(target)
        assert view.scroll_y == 0
        assert not view.scrollable_content_region.overlaps(block.region)  # not in sight yet
        _highlight(panel, target)
        await pilot.press("enter")
        await settle(pilot)
        assert view.has_focus
        assert view.scroll_y > 0
        # On screen now, inside the article pane.
        assert view.scrollable_content_region.contains_region(block.region)


async def test_a_citation_link_opens_the_panel_at_its_reference(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, CITING)
        screen = app.main_screen
        citations = screen.rendering.analysis.citations
        index = next(i for i, c in enumerate(citations) if c.references and c.references[0] != 1)
        best = citations[index].references[0]
        app.main_screen.route_link(f"ketaread://cite/{index}")
        await settle(pilot)
        panel = screen.reference_panel
        assert panel.display and panel.has_focus
        assert panel.highlighted_option is not None
        assert panel.highlighted_option.id == f"ref:{best}"


class _PanelApp(App[None]):
    """Only a reference panel, showing one analysis."""

    def __init__(self, analysis: ReferenceAnalysis) -> None:
        super().__init__()
        self.analysis = analysis

    def compose(self) -> ComposeResult:
        yield ReferencePanel(id="panel")

    def on_mount(self) -> None:
        self.query_one(ReferencePanel).show(self.analysis)


def _prompts(panel: ReferencePanel) -> dict[str, str]:
    options = (panel.get_option_at_index(i) for i in range(panel.option_count))
    return {o.id or f"#{n}": str(o.prompt) for n, o in enumerate(options)}


VANCOUVER = (
    "<h2>References</h2><ol>"
    "<li>Harlow DM, Osei K. [b]Speed[/b] of response to ketamine: a meta-analysis. "
    "J Affect Disord. 2021;279:410-8. doi:10.1016/j.jad.2020.10.911 PMID: 33200001</li>"
    "<li>Ruiz C, Hale N. Ketamine versus midazolam: a randomised controlled trial. "
    "Lancet Psychiatry. 2020;7(3):232-41.</li></ol>"
)


async def test_panel_shows_label_badge_and_identifier_links() -> None:
    """The label (author, year, journal) and the kind badge; a DOI-only entry opens doi.org."""
    analysis = analyse("<p>Mood lifts.¹ Both agree.²</p>" + VANCOUVER)
    app = _PanelApp(analysis)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.query_one(ReferencePanel)
        prompts = _prompts(panel)
        assert prompts["ref:1"].startswith("[1] Harlow 2021 · J Affect Disord\n")
        assert "meta-analysis or review" in prompts["ref:1"]
        assert "[b]Speed[/b]" in prompts["ref:1"]  # feed text shown literally
        assert "randomised trial" in prompts["ref:2"]
        assert _row_ids(panel, "url:1:") == ["url:1:0", "url:1:1"]
        assert prompts["url:1:0"].endswith("https://doi.org/10.1016/j.jad.2020.10.911")
        assert prompts["url:1:1"].endswith("https://pubmed.ncbi.nlm.nih.gov/33200001/")
        _highlight(panel, "ref:1")
        assert panel.highlighted_url == "https://doi.org/10.1016/j.jad.2020.10.911"


async def test_panel_reports_no_uncited_references_when_no_citation_was_read() -> None:
    """A list whose citations could not be read is not called 'never cited'."""
    app = _PanelApp(analyse("<p>Mood lifts (see box).</p>" + VANCOUVER))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        panel = app.query_one(ReferencePanel)
        text = "\n".join(_prompts(panel).values())
        assert "uncited references are not reported" in text
        assert _row_ids(panel, "uncited:") == []
