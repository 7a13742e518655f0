"""The study keys in the reader, driven by Pilot: the sentence cursor and highlighting (with
a colour and a note), a mouse selection highlighted, highlights drawn in the article, the
highlight panel, the article note, term status in the glossary popup, and the review."""

from __future__ import annotations

import re
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import TextArea
from ui_support import messages, open_titled, screen_text, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.links import term_link
from ketaread.core.study import StudyStore, add_highlight, article_text, set_term_status
from ketaread.core.study.anchors import Anchor
from ketaread.core.wording import counted
from ketaread.screens.study import HighlightDialog, HighlightPanel, NoteDialog, ReviewScreen
from ketaread.widgets.article_view import ArticleHeader, ArticleView
from ketaread.widgets.highlights import COLOR_STYLES, text_blocks
from ketaread.widgets.key_bar import KeyBar

ARTICLE = "Glutamate 101"


def study_of(app: KetareadApp) -> StudyStore:
    return app.context.study


def painted_styles(view: ArticleView) -> set[str]:
    """Every style span drawn on the article's text blocks."""
    styles: set[str] = set()
    for block in text_blocks(view.markdown):
        for span in block._content.spans:  # type: ignore[attr-defined]
            styles.add(str(span.style))
    return styles


async def open_article(pilot: Pilot) -> None:
    await settle_pilot(pilot)
    await open_titled(pilot, ARTICLE)
    pilot.app.main_screen.article_view.focus()
    await settle_pilot(pilot)


async def test_sentence_cursor_moves_extends_and_highlights_with_colour_and_note(
    app: KetareadApp,
) -> None:
    """x starts the cursor, j moves a sentence, J takes the next in, enter asks for a colour
    (2: method) and a note (ctrl+s saves): the highlight is saved and drawn."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_article(pilot)
        view = app.main_screen.article_view
        await pilot.press("x")
        await settle_pilot(pilot)
        assert view.cursor is not None
        first = view.cursor.chosen
        await pilot.press("j")
        second = view.cursor.chosen
        assert second != first
        await pilot.press("J")
        both = view.cursor.chosen
        assert both.startswith(second) and len(both) > len(second)
        assert "reverse" in painted_styles(view)  # the cursor is drawn
        await pilot.press("enter")
        await settle_pilot(pilot)
        assert isinstance(app.screen, HighlightDialog)
        await pilot.press("2", "tab")
        await pilot.press(*"see methods")
        await pilot.press("ctrl+s")
        await settle_pilot(pilot)
        assert not isinstance(app.screen, HighlightDialog)
        (saved,) = study_of(app).highlights()
        assert saved.quote == both and saved.color == "method" and saved.note == "see methods"
        assert view.cursor is None
        assert COLOR_STYLES["method"] in painted_styles(view)
        assert "reverse" not in painted_styles(view)
        # Its cloze card was made with it.
        assert [c.source for c in study_of(app).cards()] == [f"highlight:{saved.id}"]


async def test_escape_leaves_the_sentence_cursor_and_j_scrolls_again(app: KetareadApp) -> None:
    """Outside the cursor, j scrolls; escape turns the cursor off."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        view = app.main_screen.article_view
        await pilot.press("x")
        await settle_pilot(pilot)
        assert view.cursor is not None
        await pilot.press("escape")
        assert view.cursor is None
        await pilot.press("j")
        await settle_pilot(pilot)
        assert view.scroll_y > 0


async def test_h_highlights_the_mouse_selection(app: KetareadApp, monkeypatch) -> None:
    """h with text selected (Textual's selection) asks for a colour and saves that text."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_article(pilot)
        screen = app.main_screen
        text = article_text(screen.rendering)
        words = " ".join(text.split()[10:16])
        monkeypatch.setattr(screen, "get_selected_text", lambda: words)
        await pilot.press("h")
        await settle_pilot(pilot)
        assert isinstance(app.screen, HighlightDialog)
        await pilot.press("4", "enter")  # question, saved with enter on the colour
        await settle_pilot(pilot)
        (saved,) = study_of(app).highlights()
        assert " ".join(saved.quote.split()) == words and saved.color == "question"


async def test_h_with_nothing_chosen_says_how(app: KetareadApp) -> None:
    """No selection, no cursor: a message saying how to choose words; nothing saved."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        await pilot.press("h")
        await settle_pilot(pilot)
        assert any("sentence cursor" in m for m in messages(app))
        assert not app.context.study_file.exists()


def seed_highlights(app: KetareadApp) -> tuple[int, int]:
    """One anchored highlight late in the article, one detached; their ids."""
    screen = app.main_screen
    detail, rendering = screen.detail, screen.rendering
    text = article_text(rendering)
    late = text.strip().split("\n")[-1].strip()[:60]
    anchored = add_highlight(study_of(app), detail, text, late, color="definition", note="n1")
    gone = study_of(app).add_highlight(
        __import__("ketaread.core.study", fromlist=["article_ref"]).article_ref(detail),
        Anchor("A sentence the article no longer has at all.", "", "", 5, 49),
        "question",
    )
    return anchored.id, gone.id


async def test_highlight_panel_lists_marks_detached_and_jumps(app: KetareadApp) -> None:
    """H lists the highlights (the detached one says so); enter scrolls to the chosen one."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        anchored, _gone = seed_highlights(app)
        view = app.main_screen.article_view
        view.scroll_home(animate=False)
        app.main_screen._load_highlights(app.main_screen.detail, app.main_screen.rendering)
        await settle_pilot(pilot)
        await pilot.press("L")
        await settle_pilot(pilot)
        assert isinstance(app.screen, HighlightPanel)
        shown = screen_text(app)
        assert "definition" in shown and "detached" in shown
        assert app.screen.placed[0].highlight.id == anchored
        # The key bar names every key of the list, enter too (found in the trial: the
        # list's own hidden enter hid the panel's "Go to").
        bar = shown.splitlines()[app.screen.query_one(KeyBar).region.y]
        assert "Go to" in bar and "Delete" in bar and "Close" in bar
        await pilot.press("enter")
        await settle_pilot(pilot)
        assert not isinstance(app.screen, HighlightPanel)
        assert view.scroll_y > 0


async def test_d_in_the_panel_deletes_a_highlight(app: KetareadApp) -> None:
    """d deletes the highlight under the cursor (and its card) once the panel closes."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        anchored, gone = seed_highlights(app)
        await pilot.press("L")
        await settle_pilot(pilot)
        await pilot.press("d", "escape")
        await settle_pilot(pilot)
        assert [h.id for h in study_of(app).highlights()] == [gone]
        assert f"highlight:{anchored}" not in {c.source for c in study_of(app).cards()}


async def test_j_and_k_move_in_the_highlight_list(app: KetareadApp) -> None:
    """`j`/`k` move in the highlight list as in every other list (only ↑/↓ did)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        anchored, _gone = seed_highlights(app)
        await pilot.press("L")
        await settle_pilot(pilot)
        await pilot.press("j", "d", "escape")
        await settle_pilot(pilot)
        assert [h.id for h in study_of(app).highlights()] == [anchored]


async def test_n_writes_the_article_note(app: KetareadApp) -> None:
    """N opens a multi-line editor; ctrl+s saves the note on the article."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        await pilot.press("N")
        await settle_pilot(pilot)
        assert isinstance(app.screen, NoteDialog)
        app.screen.query_one(TextArea).insert("line one\nline two")
        await pilot.press("ctrl+s")
        await settle_pilot(pilot)
        key = app.main_screen.detail.row.key
        assert study_of(app).article_note(key) == "line one\nline two"


async def test_ctrl_l_in_the_glossary_steps_the_term_status(app: KetareadApp) -> None:
    """ctrl+l on a term: new → learning (its cards made) → known; shown in the popup."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_article(pilot)
        await pilot.press("g", *"nmda")
        await settle_pilot(pilot)
        key = app.screen.current.key
        await pilot.press("ctrl+l")
        await settle_pilot(pilot)
        assert study_of(app).term_statuses()[key] == "learning"
        assert "You: learning" in screen_text(app)
        assert any(c.source == f"term:{key}" for c in study_of(app).cards())
        await pilot.press("ctrl+l")
        await settle_pilot(pilot)
        assert study_of(app).term_statuses()[key] == "known"


async def test_the_header_counts_terms_new_to_the_reader(app: KetareadApp) -> None:
    """The article header says how many of its terms are new; learning one lowers it."""
    async with app.run_test(size=(120, 40)) as pilot:
        await open_article(pilot)
        header = screen_text(app)
        assert "new to you" in header
        glossary = app.context.glossary()
        terms = app.main_screen.rendering.terms(glossary)
        found = [glossary.lookup(hit.key) or glossary.lookup(hit.term) for hit in terms]
        count = len({t.key if t else hit.key for t, hit in zip(found, terms, strict=True)})
        first = next(t for t in found if t is not None)
        assert f"{count} of {count} new to you" in header
        set_term_status(study_of(app), first, "known")
        await open_titled(pilot, ARTICLE)
        await settle_pilot(pilot)
        assert f"{count - 1} of {count} new to you" in screen_text(app)


async def test_the_header_count_follows_ctrl_l_in_the_glossary_without_reopening(
    app: KetareadApp,
) -> None:
    """ctrl+l in the popup changes the open article's "Terms: N of M new to you, K learning"
    at once (found in the trial: it stayed as it was until the article was opened again)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        header = app.main_screen.article_view.query_one(ArticleHeader)
        before = re.search(r"Terms: (\d+) of (\d+) new to you, 0 learning", str(header.render()))
        assert before is not None
        new, total = int(before[1]), int(before[2])
        await pilot.press("g", *"bdnf", "ctrl+l")
        await settle_pilot(pilot)
        await pilot.press("escape")
        await settle_pilot(pilot)
        assert f"Terms: {new - 1} of {total} new to you, 1 learning" in str(header.render())
        await pilot.press("g", *"bdnf", "ctrl+l")
        await settle_pilot(pilot)
        header = app.main_screen.article_view.query_one(ArticleHeader)
        assert f"Terms: {new - 1} of {total} new to you, 0 learning" in str(header.render())


async def test_a_term_marked_known_in_the_popup_is_unmarked_in_the_open_article_at_once(
    app: KetareadApp,
) -> None:
    """ctrl+l to known: the open article no longer marks the term, where the reader was
    (found in the trial: it stayed marked until the article was opened again)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await open_article(pilot)
        view = app.main_screen.article_view
        bdnf = term_link(app.context.glossary().lookup("BDNF").key)
        assert bdnf in view.markdown.source
        view.scroll_to(y=6, animate=False)
        await settle_pilot(pilot)
        await pilot.press("g", *"bdnf", "ctrl+l", "ctrl+l", "escape")
        await settle_pilot(pilot)
        assert study_of(app).term_statuses()["bdnf"] == "known"
        assert bdnf not in app.main_screen.article_view.markdown.source
        assert app.main_screen.article_view.scroll_y == 6


CITED_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Brightwater Notes</title><link>https://example.org/b</link>
<description>d</description><item><title>Esketamine at the synapse</title>
<link>https://example.org/b/esk</link><guid>esk-1</guid><description><![CDATA[
<p>Esketamine is a nasal spray for adults [1]. It blocks NMDA receptors [2].</p>
<h2>References</h2><ol><li>Food and Drug Administration. Spravato label. 2019.</li>
<li>Krystal JH, et al. Ketamine: a paradigm shift. Neuron. 2019;101(5):774-778.</li></ol>
]]></description></item></channel></rss>
"""


async def test_the_sentence_cursor_is_drawn_on_a_sentence_citing_1_and_highlights_it(
    sample_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    """x on a sentence ending "[1]": the cursor is drawn on it, and enter, 1, ctrl+s
    highlights it as the reader shows it (found in the trial: the cursor's text held
    Markdown's "\\[1\\]", so nothing was drawn and the quote kept the backslashes)."""
    from ketaread.core.refresh import SourceSpec, refresh
    from ketaread.core.store import Store

    feed = tmp_path / "cited.xml"
    feed.write_text(CITED_FEED, encoding="utf-8")
    store = Store(sample_db)
    try:
        assert not refresh(store, [SourceSpec(str(feed))]).all_failed
    finally:
        store.close()
    app = make_app(db=sample_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        await open_titled(pilot, "Esketamine at the synapse")
        view = app.main_screen.article_view
        view.focus()
        await settle_pilot(pilot)
        await pilot.press("x")
        await settle_pilot(pilot)
        assert view.cursor is not None
        assert view.cursor.chosen == "Esketamine is a nasal spray for adults [1]."
        assert "reverse" in painted_styles(view)
        await pilot.press("enter")
        await settle_pilot(pilot)
        await pilot.press("1", "ctrl+s")
        await settle_pilot(pilot)
        (saved,) = study_of(app).highlights()
        assert saved.quote == "Esketamine is a nasal spray for adults [1]."
        assert COLOR_STYLES["finding"] in painted_styles(view)


def learn_two(app: KetareadApp) -> None:
    glossary = app.context.glossary()
    for name in ("NMDA", "BDNF"):
        set_term_status(study_of(app), glossary.lookup(name), "learning")


async def test_w_reviews_cards_reveal_then_rate(app: KetareadApp) -> None:
    """w opens the review; 3 does nothing until space shows the answer; 3 records 'good'
    and the next card comes; escape returns to the reader; the due count shows."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        learn_two(app)
        due = study_of(app).due_count()
        app.main_screen._count_due()
        await settle_pilot(pilot)
        assert f"{counted(due, 'card')} due" in screen_text(app)
        await pilot.press("w")
        await settle_pilot(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        first = review.card
        await pilot.press("3")
        assert review.card is first and not review.revealed
        await pilot.press("space")
        assert first.back in screen_text(app).replace("\n", " ") or review.revealed
        await pilot.press("3")
        await settle_pilot(pilot)
        assert review.card is not first
        assert [(r["card"], r["rating"]) for r in study_of(app).reviews()] == [(first.id, 3)]
        await pilot.press("escape")
        await settle_pilot(pilot)
        assert app.screen is app.main_screen
        assert f"{counted(due - 1, 'card')} due" in screen_text(app)


def _review_app_learning_bdnf(sample_db: Path, tmp_config: Path) -> tuple[KetareadApp, int]:
    """`ketaread review` with BDNF marked learning, and how many cards are due."""
    from ketaread.context import Context

    context = Context(db=sample_db, config=tmp_config, offline=True)
    set_term_status(context.study, context.glossary().lookup("BDNF"), "learning")
    return make_app(context, review=True), context.study.due_count()


async def test_ketaread_review_opens_on_the_review_screen(
    sample_db: Path, tmp_config: Path
) -> None:
    """make_app(review=True) (`ketaread review`) starts on the review; escape: the reader."""
    app, due = _review_app_learning_bdnf(sample_db, tmp_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("space", "3")
        await settle_pilot(pilot)
        await pilot.press("escape")
        await settle_pilot(pilot)
        assert app.screen is app.main_screen
        assert f"{counted(due - 1, 'card')} due" in screen_text(app)


async def test_the_review_says_when_nothing_is_due(sample_db: Path, tmp_config: Path) -> None:
    """No cards: the review screen says how to make some."""
    app = make_app(db=sample_db, config=tmp_config, offline=True, review=True)
    assert not app.refresh_on_start
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "No cards are due" in screen_text(app)
        assert not [b for b in app.screen.active_bindings.values() if b.binding.key == "3"]


async def test_after_the_last_card_the_ratings_leave_the_key_bar(
    sample_db: Path, tmp_config: Path
) -> None:
    """Found by a new user: with every card answered the key bar still offered 1-4."""
    app, due = _review_app_learning_bdnf(sample_db, tmp_config)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        for _ in range(due):
            await pilot.press("space", "3")
            await settle_pilot(pilot)
        assert f"Reviewed {due} card" in screen_text(app)
        assert "Good" not in screen_text(app).splitlines()[-1]


async def test_known_terms_are_not_marked_unless_configured(
    sample_db: Path, tmp_config: Path
) -> None:
    """A term marked known loses its link in the article; `[reader] mark_known_terms =
    true` keeps it."""
    from ketaread.core.links import term_link

    for keep in (False, True):
        if keep:
            tmp_config.parent.mkdir(parents=True, exist_ok=True)
            tmp_config.write_text("[reader]\nmark_known_terms = true\n", encoding="utf-8")
        app = make_app(db=sample_db, config=tmp_config, offline=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle_pilot(pilot)
            glutamate = app.context.glossary().lookup("glutamate")
            set_term_status(study_of(app), glutamate, "known")
            await open_titled(pilot, ARTICLE)
            markdown = app.main_screen.article_view.markdown.source
            assert (term_link(glutamate.key) in markdown) is keep
            assert "ketaread://term/" in markdown  # other terms still marked
