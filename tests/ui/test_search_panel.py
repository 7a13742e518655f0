"""Search in the reader: `/`, results as you type, opening at the hits, Esc, saved searches."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from textual.widgets import Input
from ui_support import Settle, article_id_titled, messages, screen_text, wait_until

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.screens.main import MainScreen
from ketaread.widgets import search_panel
from ketaread.widgets.search_panel import SearchPanel

SIZE = (120, 40)
BDNF_ONLY = (
    "What “Integration” Means in Ketamine-Assisted Therapy",
    "The Default Mode Network: The Brain at Rest Is Not Idle",
)
"""The sample articles that say "BDNF" and never "brain-derived neurotrophic factor"."""


def _main(app: KetareadApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


def _panel(app: KetareadApp) -> SearchPanel:
    return _main(app).query_one(SearchPanel)


async def _type_query(pilot, text: str, settle: Settle) -> None:
    """Press / and type `text` key by key, then wait out the debounce and the worker."""
    await pilot.press("slash")
    await pilot.pause()
    for ch in text:
        await pilot.press(ch if ch != " " else "space")
    await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
    await settle(pilot)


def _result_ids(app: KetareadApp) -> list[int]:
    results = _panel(app).results
    return [int(results.get_option_at_index(i).id or 0) for i in range(results.option_count)]


async def test_the_long_form_finds_the_articles_that_only_say_bdnf(
    app: KetareadApp, settle: Settle
) -> None:
    """The issue's "done when", through the keys: / and the long form, as typed."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _type_query(pilot, "brain-derived neurotrophic factor", settle)
        panel = _panel(app)
        assert panel.display and not _main(app).article_list.display
        found = _result_ids(app)
        for title in BDNF_ONLY:
            assert article_id_titled(app, title) in found
        assert "articles match" in screen_text(app)
        results = panel.results
        for title in BDNF_ONLY:
            index = found.index(article_id_titled(app, title))
            prompt = str(results.get_option_at_index(index).prompt)
            assert "matched as BDNF" in prompt
        assert panel.input.has_focus  # typing goes on in the line


async def test_results_replace_as_you_type_and_stale_results_are_dropped(
    app: KetareadApp, settle: Settle, monkeypatch
) -> None:
    """A slow search for an earlier query must not overwrite a later query's results."""
    release = threading.Event()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        real = screen._run_search

        def slow_for_habenula(text: str, limit: int):
            if text == "habenula":
                release.wait(5)
            return real(text, limit)

        await pilot.press("slash")
        await pilot.pause()
        panel = _panel(app)
        monkeypatch.setattr(panel, "_searcher", slow_for_habenula)
        panel.search_now("habenula")  # held back in its worker …
        await pilot.pause()
        panel.input.value = "esketamine"  # … while the user types on
        await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
        release.set()
        await settle(pilot)
        assert panel.outcome is not None and panel.outcome.text == "esketamine"
        expected = [row.id for row, _ in real("esketamine", 100).rows]
        habenula = [row.id for row, _ in real("habenula", 100).rows]
        assert expected != habenula
        assert _result_ids(app) == expected


async def test_enter_opens_a_result_at_its_first_hit_and_brackets_step_between_hits(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _type_query(pilot, "BDNF", settle)
        target = article_id_titled(app, "The Default Mode Network")
        results = _panel(app).results
        await pilot.press("enter")  # to the results
        assert results.has_focus
        results.highlighted = _result_ids(app).index(target)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        screen = _main(app)
        view = screen.article_view
        assert screen.detail is not None and screen.detail.row.id == target
        hits = view.hits
        assert hits.blocks, "the article's BDNF should be highlighted"
        first = hits.blocks[0]
        # BDNF comes late in this article: opened there, not at the top.
        assert view.scroll_y > 0
        assert first.region.y >= view.region.y and first.region.y < view.region.bottom
        plain_spans = [
            first._content.plain[span.start : span.end]  # type: ignore[attr-defined]
            for span in first._content.spans  # type: ignore[attr-defined]
            if "reverse" in str(span.style)
        ]
        assert "BDNF" in plain_spans
        before = hits.index
        await pilot.press("right_square_bracket")
        assert hits.index == (before + 1) % len(hits.blocks)
        await pilot.press("left_square_bracket")
        assert hits.index == before


async def test_stepping_past_the_last_hit_says_it_wrapped(app: KetareadApp, settle: Settle) -> None:
    """`]` went round from the last hit to the first without a word, as if it had stopped."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _type_query(pilot, "BDNF", settle)
        results = _panel(app).results
        await pilot.press("enter")
        results.highlighted = _result_ids(app).index(article_id_titled(app, "Growing New"))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.pause(0.2)
        hits = _main(app).article_view.hits
        count = len(hits.blocks)
        assert count > 1 and hits.index == 0
        for _ in range(count - 1):
            await pilot.press("right_square_bracket")
        assert hits.index == count - 1
        assert not any("Wrapped" in m for m in messages(app))
        await pilot.press("right_square_bracket")
        assert hits.index == 0
        assert "Wrapped to the first search hit." in messages(app)
        await pilot.press("left_square_bracket")
        assert hits.index == count - 1
        assert "Wrapped to the last search hit." in messages(app)


async def test_esc_returns_to_the_filter_that_was_shown(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        screen.choose_filter("unread")
        await settle(pilot)
        before = list(screen.article_list.ids)
        await _type_query(pilot, "habenula", settle)
        await pilot.press("escape")
        await settle(pilot)
        assert not _panel(app).display
        assert screen.article_list.display and screen.article_list.has_focus
        assert screen.filter_label == "Unread"
        assert screen.article_list.ids == before
        await pilot.press("slash")  # the query is still there when the search comes back
        assert _panel(app).input.value == "habenula"


async def test_a_bad_query_shows_one_line_and_keeps_the_last_results(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await _type_query(pilot, "habenula", settle)
        good = _result_ids(app)
        assert good
        _panel(app).input.value = "habenula is:lost"  # one change: no query in between
        await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
        await settle(pilot)
        status = _panel(app).query_one("#search-status")
        assert status.has_class("-error")
        assert "is:unread" in str(status.render())
        assert _result_ids(app) == good
        for hostile in ('"', "NEAR(", "[/]", "(", "ketamine AND", "*"):
            _panel(app).input.value = hostile
            await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
            await settle(pilot)
        assert app.is_running


async def test_feed_text_in_results_stays_literal(hostile_app: KetareadApp, settle: Settle) -> None:
    """Titles and snippets with markup show as typed; nothing in them becomes markup."""
    async with hostile_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = _main(hostile_app).store
        assert store is not None
        titles = [row.title for row in store.rows(store.article_ids())]
        marked = next(t for t in titles if "[bold" in t or "[/]" in t or "[@click" in t)
        word = next(w for w in marked.replace("[", " ").replace("]", " ").split() if w.isalpha())
        await _type_query(pilot, word, settle)
        assert _result_ids(hostile_app)
        assert hostile_app.is_running


async def test_saved_searches_show_in_the_sidebar_with_counts(
    sample_db: Path, tmp_config: Path, settle: Settle
) -> None:
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{Path(sample_db).parent}"\n\n'
        '[[search]]\nname = "BDNF reading"\nquery = "BDNF"\n',
        encoding="utf-8",
    )
    app = make_app(db=sample_db, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        sidebar = screen.sidebar
        prompts = {
            sidebar.get_option_at_index(i).id: str(sidebar.get_option_at_index(i).prompt)
            for i in range(sidebar.option_count)
        }
        assert "BDNF reading" in prompts["search:0"]
        assert prompts["search:0"].rstrip().endswith("7/7")
        screen.choose_filter("search:0")
        await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
        await settle(pilot)
        panel = _panel(app)
        assert panel.display and panel.query_one(Input).value == "BDNF"
        assert len(_result_ids(app)) == 7


async def test_a_cache_from_before_search_is_indexed_after_the_first_frame(
    sample_db: Path, tmp_config: Path, settle: Settle
) -> None:
    conn = sqlite3.connect(sample_db)
    conn.execute("DELETE FROM search_state")
    conn.execute("DELETE FROM search")
    conn.commit()
    conn.close()
    app = make_app(db=sample_db, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from ketaread.core.search import index_status

        store = _main(app).store
        assert store is not None
        assert index_status(store).complete
        await _type_query(pilot, "habenula", settle)
        found = _result_ids(app)
        assert article_id_titled(app, "Ketamine and the Lateral Habenula") in found
        assert article_id_titled(app, "The Lateral Habenula and the Biology") in found


def _searching(query: str, *, open_first: bool = False):
    async def run_before(pilot) -> None:
        from ui_support import settle_pilot

        await settle_pilot(pilot)
        await _type_query(pilot, query, settle_pilot)
        if open_first:
            await pilot.press("enter", "enter")
            await settle_pilot(pilot)
            await pilot.pause(0.2)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor would differ from run to run
        await pilot.pause()

    return run_before


def test_snapshot_results_80x24(app: KetareadApp, snap_compare, stable_clock) -> None:
    assert snap_compare(app, terminal_size=(80, 24), run_before=_searching("N-methyl-D-aspartate"))


def test_snapshot_opened_at_a_hit_120x40(app: KetareadApp, snap_compare, stable_clock) -> None:
    assert snap_compare(
        app, terminal_size=(120, 40), run_before=_searching("habenula", open_first=True)
    )


async def test_a_querys_problem_is_read_whole_at_80_columns(
    app: KetareadApp, settle: Settle
) -> None:
    """Found by a new user: at 80 columns "'k*': a prefix search needs at least" was cut
    there; the message wraps onto more lines instead."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        _panel(app).input.value = "k*"
        await pilot.pause(search_panel.DEBOUNCE_SECONDS * 3)
        await settle(pilot)
        shown = " ".join(line.strip(" │┃") for line in screen_text(app).splitlines())
        assert "two letters before *" in " ".join(shown.split())


async def test_j_and_k_move_in_the_results_as_in_every_list(
    big_app: KetareadApp, settle: Settle
) -> None:
    """The README's `j`/`k` "move in any list": the results only took ↑/↓, and `j j enter`
    opened the first result (found by hand at 4,000 articles)."""
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type_query(pilot, "receptor", settle)
        await pilot.press("enter")
        await settle(pilot)
        found = _result_ids(big_app)
        assert len(found) > 20
        await pilot.press("j", "j", "j", "k")
        assert _panel(big_app).results.highlighted == 2
        await pilot.press("greater_than_sign")
        assert _panel(big_app).results.highlighted == len(found) - 1
        await pilot.press("less_than_sign", "j", "j", "enter")
        await settle(pilot)
        assert _main(big_app).detail.row.id == found[2]


async def test_a_new_query_typed_after_reopening_replaces_the_last_one(
    big_app: KetareadApp, settle: Settle
) -> None:
    """`/` again shows the last query selected: typing replaces it (it was appended to,
    "receptorbdnf" matching nothing), an arrow key keeps it to edit."""
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type_query(pilot, "receptor", settle)
        await pilot.press("escape")
        await _type_query(pilot, "bdnf", settle)
        assert _panel(big_app).input.value == "bdnf"
        assert _result_ids(big_app)
        await pilot.press("escape", "slash", "end", "space", "x")
        assert _panel(big_app).input.value == "bdnf x"


async def test_a_screenful_of_results_shows_before_the_rest(
    big_app: KetareadApp, settle: Settle
) -> None:
    """At 40,000 articles the first results showed ~220 ms after the last key: a hundred
    snippets and rows built before anything was shown. Now the first screenful is shown
    from its own query and the rest are added below it, the cursor left where it is."""
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        panel = _panel(big_app)
        real_searcher = panel._searcher
        limits: list[int] = []
        rest_may_come = threading.Event()

        def searcher(text: str, limit: int) -> search_panel.SearchOutcome:
            limits.append(limit)
            if limit > search_panel.FIRST_RESULTS:
                rest_may_come.wait(10)
            return real_searcher(text, limit)

        panel._searcher = searcher
        panel.search_now("glutamate")
        await wait_until(pilot, lambda: panel.results.option_count > 0)
        first = _result_ids(big_app)
        assert len(first) == search_panel.FIRST_RESULTS
        assert "match, the best 20 shown" in screen_text(big_app)
        await pilot.press("down", "j", "j")  # the user moves on while the rest comes
        await pilot.pause()
        highlighted = panel.results.highlighted
        assert highlighted == 2
        rest_may_come.set()
        await wait_until(pilot, lambda: panel.results.option_count > len(first))
        await settle(pilot)
        every = _result_ids(big_app)
        assert limits == [search_panel.FIRST_RESULTS, search_panel.RESULT_LIMIT]
        assert len(every) == search_panel.RESULT_LIMIT
        assert every[: len(first)] == first
        assert panel.results.highlighted == highlighted
        assert "the best 100 shown" in screen_text(big_app)


async def test_at_80_columns_the_search_line_and_results_are_not_cut(
    big_app: KetareadApp, settle: Settle
) -> None:
    """At 80x24 the hint was cut after "title:,", the count after "(the best 100", and a
    result's date broke in two ("May" / "30") with its expansion repeating the query."""
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        panel = _panel(big_app)
        hint = panel.input.placeholder
        assert len(hint) < panel.input.content_region.width
        assert hint in screen_text(big_app)
        await _type_query(pilot, "glutamate", settle)
        await wait_until(pilot, lambda: panel.results.option_count == search_panel.RESULT_LIMIT)
        await settle(pilot)
        status = panel.query_one("#search-status")
        box = status.region
        rows = screen_text(big_app).splitlines()[box.y : box.bottom]
        shown = " ".join(row[box.x : box.right].strip() for row in rows)
        assert shown.endswith("match, the best 100 shown")
        prompt = panel.results.get_option_at_index(0).prompt
        meta = str(prompt).split("\n")[1].strip()
        assert meta.startswith(tuple("0123456789JFMASOND"))  # the date, unbroken, first


async def test_reopened_before_the_rest_came_the_results_are_whole(
    big_app: KetareadApp, settle: Settle
) -> None:
    """Esc while the rest of the results was coming dropped it (closing makes what is in
    flight stale), and `/` again showed the same query with the first screenful only:
    "… articles match" over 20 rows, the rest never asked for again."""
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await pilot.pause()
        panel = _panel(big_app)
        real_searcher = panel._searcher
        rest_may_come = threading.Event()

        def searcher(text: str, limit: int) -> search_panel.SearchOutcome:
            if limit > search_panel.FIRST_RESULTS:
                rest_may_come.wait(10)
            return real_searcher(text, limit)

        panel._searcher = searcher
        panel.input.value = "glutamate"
        await wait_until(pilot, lambda: panel.results.option_count > 0)
        assert panel.results.option_count == search_panel.FIRST_RESULTS
        await pilot.press("escape")
        rest_may_come.set()
        await settle(pilot)
        await pilot.press("slash")
        await wait_until(pilot, lambda: panel.results.option_count > search_panel.FIRST_RESULTS)
        await settle(pilot)
        assert panel.input.value == "glutamate"
        assert panel.results.option_count == search_panel.RESULT_LIMIT
        assert "the best 100 shown" in screen_text(big_app)


async def _first_screenful_then(
    big_app: KetareadApp, pilot, settle: Settle, rest
) -> tuple[SearchPanel, list[int], threading.Event]:
    """Search "glutamate" with the rest of its results made by `rest(outcome)`, held back
    until the returned event is set; the first screenful is shown."""
    await settle(pilot)
    await pilot.press("slash")
    await pilot.pause()
    panel = _panel(big_app)
    real_searcher = panel._searcher
    rest_may_come = threading.Event()

    def searcher(text: str, limit: int) -> search_panel.SearchOutcome:
        outcome = real_searcher(text, limit)
        if limit > search_panel.FIRST_RESULTS:
            rest_may_come.wait(10)
            return rest(outcome)
        return outcome

    panel._searcher = searcher
    panel.search_now("glutamate")
    await wait_until(pilot, lambda: panel.results.option_count > 0)
    first = _result_ids(big_app)
    assert len(first) == search_panel.FIRST_RESULTS
    return panel, first, rest_may_come


async def test_when_the_rest_differs_the_cursor_stays_on_its_article(
    big_app: KetareadApp, settle: Settle
) -> None:
    """When the second query's first rows differed from those shown (the index still being
    built, a refresh storing meanwhile), every row was rebuilt and the cursor sent to the top."""

    def two_new_on_top(outcome: search_panel.SearchOutcome) -> search_panel.SearchOutcome:
        outcome.rows = outcome.rows[30:32] + outcome.rows[:30] + outcome.rows[32:]
        return outcome

    async with big_app.run_test(size=SIZE) as pilot:
        panel, first, rest_may_come = await _first_screenful_then(
            big_app, pilot, settle, two_new_on_top
        )
        await pilot.press("down", "j", "j", "j")
        await pilot.pause()
        assert panel.results.highlighted == 3
        rest_may_come.set()
        await wait_until(pilot, lambda: panel.results.option_count > len(first))
        await settle(pilot)
        every = _result_ids(big_app)
        assert every[2:5] == first[:3]  # the rows did move down
        assert panel.results.highlighted == every.index(first[3]) == 5


async def test_when_its_article_is_gone_the_cursor_stays_on_the_nearest_row(
    big_app: KetareadApp, settle: Settle
) -> None:
    """The article under the cursor no longer matching, the cursor stays at its row."""
    holder: dict[str, int] = {}

    def without_the_selected(outcome: search_panel.SearchOutcome) -> search_panel.SearchOutcome:
        outcome.rows = [pair for pair in outcome.rows if pair[0].id != holder["gone"]]
        return outcome

    async with big_app.run_test(size=SIZE) as pilot:
        panel, first, rest_may_come = await _first_screenful_then(
            big_app, pilot, settle, without_the_selected
        )
        await pilot.press("down", "j", "j", "j", "j")
        await pilot.pause()
        holder["gone"] = first[4]
        rest_may_come.set()
        await wait_until(pilot, lambda: panel.results.option_count > len(first))
        await settle(pilot)
        every = _result_ids(big_app)
        assert first[4] not in every
        assert panel.results.highlighted == 4
        assert every[4] == first[5]


async def test_when_the_rest_fails_the_status_line_says_so(
    big_app: KetareadApp, settle: Settle
) -> None:
    """The second query failing (a damaged index), the panel stayed at 20 rows under
    "… match, the best 20 shown" as if nothing were missing."""
    damaged = "The search index is damaged (database disk image is malformed)."

    def failed(outcome: search_panel.SearchOutcome) -> search_panel.SearchOutcome:
        return search_panel.SearchOutcome(outcome.text, error=damaged)

    async with big_app.run_test(size=SIZE) as pilot:
        panel, first, rest_may_come = await _first_screenful_then(big_app, pilot, settle, failed)
        await pilot.press("down", "j")
        rest_may_come.set()
        status = panel.query_one("#search-status")
        await wait_until(pilot, lambda: status.has_class("-error"))
        await settle(pilot)
        box = status.region
        rows = screen_text(big_app).splitlines()[box.y : box.bottom]
        shown = " ".join(row[box.x : box.right].strip() for row in rows)
        assert "match, only 20 shown: the rest failed" in shown
        assert shown.endswith(f"({damaged})")  # read whole, not cut
        assert _result_ids(big_app) == first  # what was shown stays, cursor too
        assert panel.results.highlighted == 1


async def test_at_80_columns_a_results_wrapped_lines_hang_under_its_title(
    big_app: KetareadApp, settle: Settle
) -> None:
    """A long title or snippet wrapped back to column 0 at 80 columns, under the markers;
    its continuation lines now start under the title's first letter."""
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _type_query(pilot, "glutamate", settle)
        panel = _panel(big_app)
        await wait_until(pilot, lambda: panel.results.option_count == search_panel.RESULT_LIMIT)
        await settle(pilot)
        results = panel.results
        width = results.scrollable_content_region.width - 2  # the options' padding
        prompts = [results.get_option_at_index(i).prompt for i in range(results.option_count)]
        assert any(p.get_height(results.styles, width) > str(p).count("\n") + 1 for p in prompts), (
            "no result is long enough to wrap at 80 columns"
        )
        box = results.region
        rows = screen_text(big_app).splitlines()[box.y : box.bottom]
        shown = [row[box.x + 1 : box.right] for row in rows]  # inside the left padding
        assert any(row.strip() for row in shown)
        for row in shown:
            # Only the markers (unread, starred) or spaces in the first three cells.
            assert set(row[:3]) <= {"●", "★", " "}, shown
