"""The study layer in the sidebar and the glossary popup, on the 320-article cache with long
titles: the review entry with its due count (Enter opens the review), and learning an
abbreviation the article defines itself."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from ui_support import screen_text, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.context import Context
from ketaread.core.study import set_term_status
from ketaread.screens.study import ReviewScreen
from ketaread.widgets.tag_sidebar import REVIEW_ID


def sidebar_line(app: KetareadApp, option_id: str) -> str | None:
    """The text of one sidebar entry, or None when there is no such entry."""
    sidebar = app.main_screen.sidebar
    for index in range(sidebar.option_count):
        option = sidebar.get_option_at_index(index)
        if option.id == option_id:
            return str(option.prompt)
    return None


def learn(db: Path, config: Path, *names: str) -> int:
    """Mark glossary terms learning in the study file beside `db`; the cards due."""
    context = Context(db=db, config=config, offline=True)
    for name in names:
        set_term_status(context.study, context.glossary().lookup(name), "learning")
    due = context.study.due_count()
    context.study.close()
    return due


async def choose_in_sidebar(pilot: Pilot, option_id: str) -> None:
    """Focus the sidebar, put its cursor on `option_id`, press enter."""
    sidebar = pilot.app.main_screen.sidebar
    sidebar.focus()
    ids = [sidebar.get_option_at_index(i).id for i in range(sidebar.option_count)]
    sidebar.highlighted = ids.index(option_id)
    await pilot.press("enter")
    await settle_pilot(pilot)


async def test_the_sidebar_shows_the_due_count_and_enter_opens_the_review(
    big_db: Path, tmp_config: Path
) -> None:
    """With cards in the study file the sidebar has a "Review · N due" entry, counted at
    start in a worker; enter on it opens the review; after answering, the count drops."""
    due = learn(big_db, tmp_config, "NMDA", "BDNF", "glutamate")
    assert due >= 3
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        line = sidebar_line(app, REVIEW_ID)
        assert line is not None and line.startswith("Review") and line.endswith(f"{due} due")
        assert f"{due} due" in screen_text(app)
        await choose_in_sidebar(pilot, REVIEW_ID)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        await pilot.press("space", "4", "space", "4")  # two answered: easy, not due again today
        await settle_pilot(pilot)
        await pilot.press("escape")
        await settle_pilot(pilot)
        assert app.screen is app.main_screen
        assert sidebar_line(app, REVIEW_ID).endswith(f"{due - 2} due")
        # The filter entries still work after it (the review entry is no filter).
        await choose_in_sidebar(pilot, "starred")
        assert app.main_screen.filter_label == "Starred"


async def test_no_review_entry_without_cards_and_one_once_a_term_is_learnt(
    big_app: KetareadApp,
) -> None:
    """No study file: no review entry. ctrl+l in the glossary makes cards: the entry comes,
    counted again when the popup saved the status."""
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        assert sidebar_line(big_app, REVIEW_ID) is None
        await pilot.press("G", *"bdnf")
        await settle_pilot(pilot)
        await pilot.press("ctrl+l")
        await settle_pilot(pilot)
        await pilot.press("escape")
        await settle_pilot(pilot)
        due = big_app.context.study.due_count()
        assert due >= 1
        assert sidebar_line(big_app, REVIEW_ID).endswith(f"{due} due")


async def test_saved_search_counts_follow_reads_once_changes_stop(
    big_db: Path, tmp_config: Path, monkeypatch
) -> None:
    """Marking articles read and unread changes a saved search's unread count in the
    sidebar, counted in a worker once the keys stop (a burst of four is counted once)."""
    from ketaread.screens import search

    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text('[[search]]\nname = "Esketamine"\nquery = "esketamine"\n', "utf-8")
    # Long enough that a loaded machine still presses the four keys within it.
    monkeypatch.setattr(search, "SEARCH_COUNT_DELAY", 2.0)
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        screen = app.main_screen
        ((_name, _query, unread, total),) = screen.sidebar_data.searches
        assert unread == total > 20
        assert sidebar_line(app, "search:0").endswith(f"{unread}/{total}")
        counted = []
        real = screen.saved_search_counts
        monkeypatch.setattr(
            screen, "saved_search_counts", lambda store: counted.append(1) or real(store)
        )
        # Four esketamine articles marked read in a burst.
        screen.article_list.focus()
        rows = [screen.article_list.row_at(i) for i in range(40)]
        wanted = [i for i, row in enumerate(rows) if "esketamine" in row.title.lower()][:4]
        for index in wanted:
            screen.article_list.cursor = index
            await pilot.press("m")
        await settle_pilot(pilot)
        await pilot.pause(2.5)
        await settle_pilot(pilot)
        assert sidebar_line(app, "search:0").endswith(f"{unread - 4}/{total}")
        assert screen.sidebar_data.searches[0][2] == unread - 4
        assert len(counted) == 1
        # And back to unread.
        screen.article_list.cursor = wanted[0]
        await pilot.press("m")
        await settle_pilot(pilot)
        await pilot.pause(2.5)
        await settle_pilot(pilot)
        assert sidebar_line(app, "search:0").endswith(f"{unread - 3}/{total}")


def test_snapshot_review_entry_in_the_sidebar_120x40(
    big_db: Path, tmp_config: Path, snap_compare, stable_clock
) -> None:
    """The review entry under Starred, its count right-aligned like the others."""
    learn(big_db, tmp_config, "NMDA", "BDNF", "glutamate")
    app = make_app(db=big_db, config=tmp_config, offline=True)

    async def run_before(pilot: Pilot) -> None:
        await settle_pilot(pilot)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


async def test_saved_search_counts_follow_a_refresh_as_each_feed_lands(
    big_db: Path, tmp_config: Path, tmp_path: Path, monkeypatch
) -> None:
    """R refreshes a source that brings two more esketamine articles: the saved search's
    count takes them in as the feed lands (the full sidebar reload is switched off here, so
    only that follows it)."""
    from big_cache import feed_xml

    from ketaread.screens import search

    feed = tmp_path / "newer.xml"
    feed.write_text(feed_xml(1, 20, first=-20), encoding="utf-8")
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{feed}"\n\n'
        '[[search]]\nname = "Esketamine"\nquery = "esketamine"\n',
        "utf-8",
    )
    monkeypatch.setattr(search, "SEARCH_COUNT_DELAY", 0.2)
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_pilot(pilot)
        screen = app.main_screen
        ((_name, _query, unread, total),) = screen.sidebar_data.searches
        monkeypatch.setattr(screen, "load_sidebar", lambda: None)
        await pilot.press("R")
        await settle_pilot(pilot)
        await pilot.pause(0.4)
        await settle_pilot(pilot)
        assert sidebar_line(app, "search:0").endswith(f"{unread + 2}/{total + 2}")
