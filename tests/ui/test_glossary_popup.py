"""The glossary popup (g) and browser (G): terms, definitions, filtering, navigation, closing."""

from __future__ import annotations

from textual.widgets import OptionList, Static
from ui_support import Settle, open_titled

from ketaread.app import KetareadApp
from ketaread.screens.glossary import GlossaryModal
from ketaread.screens.main import MainScreen

SIZE = (120, 40)
DEFINING = "Glutamate 101"
"""Spells out N-methyl-D-aspartate (NMDA) itself; uses curated terms such as glutamate."""


def _popup(app: KetareadApp) -> GlossaryModal:
    assert isinstance(app.screen, GlossaryModal)
    return app.screen


def _listed_terms(popup: GlossaryModal) -> list[str]:
    terms = popup.query_one("#glossary-terms", OptionList)
    return [str(terms.get_option_at_index(i).prompt) for i in range(terms.option_count)]


def _definition_text(popup: GlossaryModal) -> str:
    return str(popup.query_one("#glossary-definition", Static).render())


def _link_ids(popup: GlossaryModal) -> list[str]:
    links = popup.query_one("#glossary-links", OptionList)
    options = (links.get_option_at_index(i) for i in range(links.option_count))
    return [o.id for o in options if o.id]


async def _show_term(pilot, popup: GlossaryModal, name: str) -> None:
    """Put the highlight of the term list on `name`, as the arrow keys would."""
    names = [entry.term for entry in popup.shown_entries]
    popup.query_one("#glossary-terms", OptionList).highlighted = names.index(name)
    await pilot.pause()


async def test_g_lists_the_terms_of_the_article_with_their_definitions(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, DEFINING)
        await pilot.press("g")
        await settle(pilot)
        popup = _popup(app)
        hits = app.main_screen.rendering.terms(app.glossary)
        listed = _listed_terms(popup)
        assert sorted(listed) == sorted(hit.term for hit in hits)
        assert {"NMDA receptor", "AMPA receptor", "glutamate"} <= set(listed)
        assert len(listed) < len(app.glossary)
        first = next(hit for hit in hits if hit.term == listed[0])
        assert first.definition in _definition_text(popup)
        await pilot.press("down")
        await pilot.pause()
        second = next(hit for hit in hits if hit.term == listed[1])
        assert second.definition in _definition_text(popup)


async def test_typing_filters_the_terms(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, DEFINING)
        await pilot.press("g")
        await settle(pilot)
        popup = _popup(app)
        before = _listed_terms(popup)
        await pilot.press(*"nmda")
        await settle(pilot)
        after = _listed_terms(popup)
        assert "NMDA receptor" in after
        assert "glutamate" in before and len(after) < len(before)
        assert all(entry.match_rank("nmda") is not None for entry in popup.shown_entries)
        # The entry the reader is looking for comes first, ahead of definitions that mention it.
        assert "nmda" in after[0].casefold()
        assert "NMDA" in _definition_text(popup)


async def test_escape_closes_the_popup_and_leaves_the_article_where_it_was(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, "A Short Glossary of Ketamine")
        view = app.main_screen.article_view
        await pilot.press("space", "space")
        await settle(pilot)
        position = view.scroll_y
        assert position > 0
        await pilot.press("g")
        await settle(pilot)
        await pilot.press(*"bdnf")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert view.scroll_y == position


async def test_a_term_the_article_defines_is_labelled_defined_in_this_article(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, DEFINING)
        hits = app.main_screen.rendering.terms(app.glossary)
        own = next(hit for hit in hits if hit.origin == "article")
        curated = next(hit for hit in hits if hit.origin == "curated")
        await pilot.press("g")
        await settle(pilot)
        popup = _popup(app)
        await _show_term(pilot, popup, own.term)
        assert "defined in this article" in _definition_text(popup)
        await _show_term(pilot, popup, curated.term)
        assert "defined in this article" not in _definition_text(popup)
        assert "from the ketaread glossary" in _definition_text(popup)


async def test_capital_g_lists_every_glossary_term(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        popup = _popup(app)
        listed = _listed_terms(popup)
        assert len(listed) == len(app.glossary) >= 80
        assert sorted(listed) == sorted(term.term for term in app.glossary.terms)


async def test_a_related_term_can_be_followed(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main_screen.show_glossary("NMDA receptor", True)
        await settle(pilot)
        popup = _popup(app)
        assert popup.current is not None and popup.current.term == "NMDA receptor"
        related = [i for i in _link_ids(popup) if i.startswith("term:")]
        assert related
        await pilot.press("tab")
        links = popup.query_one("#glossary-links", OptionList)
        assert links.has_focus
        assert links.highlighted_option is not None
        chosen = links.highlighted_option.id
        assert chosen == related[0]
        expected = app.glossary.lookup(chosen.removeprefix("term:"))
        await pilot.press("enter")
        await settle(pilot)
        assert popup.current is not None and popup.current.term == expected.term
        assert popup.current.term != "NMDA receptor"


async def test_another_article_mentioning_a_term_can_be_opened(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        here = await open_titled(pilot, DEFINING)
        app.main_screen.route_link("ketaread://term/bdnf")
        await settle(pilot)
        popup = _popup(app)
        assert popup.current is not None and popup.current.term == "BDNF"
        mentions = [int(i.split(":")[1]) for i in _link_ids(popup) if i.startswith("article:")]
        assert mentions and here not in mentions
        await pilot.press("tab")
        links = popup.query_one("#glossary-links", OptionList)
        while links.highlighted_option.id != f"article:{mentions[0]}":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        screen = app.main_screen
        assert app.screen is screen
        assert screen.detail is not None and screen.detail.row.id == mentions[0]
        assert "BDNF" in screen.detail.html or "brain-derived" in screen.detail.html
