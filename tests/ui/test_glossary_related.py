"""Following a related term in the glossary popup (Tab, Enter on "→ term")."""

from __future__ import annotations

from textual.widgets import OptionList
from ui_support import Settle, messages, open_titled

from ketaread.app import KetareadApp
from ketaread.screens.glossary import GlossaryModal


async def test_following_a_related_term_selects_it_without_an_error(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Glutamate 101")
        await pilot.press("g")
        await settle(pilot)
        popup = app.screen
        assert isinstance(popup, GlossaryModal)
        links = popup.query_one("#glossary-links", OptionList)
        followed = 0
        for _ in range(len(popup.shown_entries)):
            related = [
                option.id
                for option in (links.get_option_at_index(i) for i in range(links.option_count))
                if option.id and option.id.startswith("term:")
            ]
            if related:
                await pilot.press("tab")
                assert links.has_focus
                # Past "In this article" (sentences) to the first related term.
                while not (links.highlighted_option.id or "").startswith("term:"):
                    await pilot.press("down")
                chosen = links.highlighted_option.id
                await pilot.press("enter")
                await settle(pilot)
                expected = chosen.removeprefix("term:")
                assert popup.current is not None and popup.current.key == expected
                terms = popup.query_one("#glossary-terms", OptionList)
                assert terms.highlighted_option is not None
                assert terms.highlighted_option.id == expected
                ids = [links.get_option_at_index(i).id for i in range(links.option_count)]
                assert len([i for i in ids if i]) == len({i for i in ids if i})
                followed += 1
                if followed >= 4:
                    break
            await pilot.press("down")
            await settle(pilot)
        assert followed
        assert not [m for m in messages(app) if "went wrong" in m], messages(app)
