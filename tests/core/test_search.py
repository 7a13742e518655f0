"""Full-text search: the index kept in step with the cache, the query language, expansion."""

from __future__ import annotations

import contextlib
import html as html_lib
import math
import random
import sqlite3
import threading
from pathlib import Path

import pytest

from ketaread.core import search
from ketaread.core.glossary import load_glossary
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.search import QueryError, parse_query
from ketaread.core.store import Store


def _article(uid: str, title: str, body: str, tags: list[str] | None = None) -> ParsedArticle:
    return ParsedArticle(
        uid=uid, title=title, html=body, tags=tags or [], published=1_750_000_000.0 + len(uid)
    )


def _feed(location: str, *articles: ParsedArticle, title: str = "Clinic Notes") -> ParsedFeed:
    return ParsedFeed(location=location, title=title, articles=list(articles))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "cache.db")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


def _ids(store: Store, text: str, glossary=None, limit: int = 50) -> list[int]:
    return [h.article_id for h in search.search(store, text, glossary, limit).hits]


def _id_of(store: Store, title: str) -> int:
    return store.select("SELECT id FROM articles WHERE title = ?", (title,))[0][0]


# -- the index in step with the cache ------------------------------------------------------------


def test_a_stored_article_is_searchable_at_once(store: Store) -> None:
    store.store_feed("/f", _feed("/f", _article("a", "Exercise", "<p>Citalopram and running.</p>")))
    assert _ids(store, "citalopram") == [_id_of(store, "Exercise")]
    assert search.index_status(store).complete


def test_an_updated_article_is_reindexed_and_its_old_words_are_gone(store: Store) -> None:
    store.store_feed("/f", _feed("/f", _article("a", "One", "<p>citalopram</p>")))
    store.store_feed("/f", _feed("/f", _article("a", "One", "<p>sertraline</p>")))
    assert _ids(store, "citalopram") == []
    assert _ids(store, "sertraline") == [_id_of(store, "One")]


def test_a_failed_write_leaves_no_index_rows(store: Store) -> None:
    """The index is written in the article's transaction: a rollback takes both back."""
    with store._write() as conn:  # the second article's write fails, after the first's
        conn.execute(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON articles WHEN new.title = 'Bad' "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    broken = _feed(
        "/f", _article("a", "Fine", "<p>fluoxetine</p>"), _article("b", "Bad", "<p>x</p>")
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.store_feed("/f", broken)
    assert store.select("SELECT COUNT(*) FROM search")[0][0] == 0
    assert store.select("SELECT COUNT(*) FROM articles")[0][0] == 0


def test_removing_a_source_removes_its_index_rows(store: Store) -> None:
    store.store_feed("/f", _feed("/f", _article("a", "Kept", "<p>esketamine</p>")))
    store.store_feed("/g", _feed("/g", _article("a", "Gone", "<p>esketamine</p>")))
    store.remove_source("/g")
    assert _ids(store, "esketamine") == [_id_of(store, "Kept")]
    assert store.select("SELECT COUNT(*) FROM search")[0][0] == 1
    assert search.check_index(store) == []


def test_deleting_an_article_removes_its_index_row(store: Store) -> None:
    store.store_feed(
        "/f", _feed("/f", _article("a", "A", "<p>zz</p>"), _article("b", "B", "<p>zz</p>"))
    )
    with store._write() as conn:  # whatever deletes articles (a future `delete`) is covered
        conn.execute("DELETE FROM articles WHERE title = 'A'")
    assert _ids(store, "zz") == [_id_of(store, "B")]
    assert store.select("SELECT rowid FROM search") == [(_id_of(store, "B"),)]


def test_a_renamed_feed_is_searchable_under_its_new_title(store: Store) -> None:
    store.store_feed("/f", _feed("/f", _article("a", "A", "<p>x</p>"), title="Old Clinic"))
    store.store_feed("/f", _feed("/f", _article("a", "A", "<p>x</p>")), user_title="Harbor Street")
    assert _ids(store, "feed:harbor") == [_id_of(store, "A")]
    assert _ids(store, "feed:old") == []


def test_link_targets_and_markup_are_not_indexed(store: Store) -> None:
    body = '<p>See <a href="https://pubmed.example.org/zebrafish">the <b>trial</b></a>.</p>'
    store.store_feed("/f", _feed("/f", _article("a", "A", body)))
    assert _ids(store, "zebrafish") == []
    assert _ids(store, "pubmed") == []
    assert _ids(store, '"the trial"') == [_id_of(store, "A")]


def test_reference_lists_go_to_their_own_column() -> None:
    html = (
        "<h2>Background</h2><p>Lead paragraph about ketamine.</p><p>Body about spines.</p>"
        "<h2>References</h2><ol><li>Duman RS. Synaptic loss. Nature 2012.</li></ol>"
    )
    summary, body, refs = search.split_html(html)
    assert "Background" in summary and "Lead paragraph" in summary
    assert "spines" in body and "Duman" not in body
    assert "Duman RS" in refs and "References" not in refs


def test_an_old_cache_gets_an_empty_index_then_builds_it_with_progress(tmp_path: Path) -> None:
    """A version-1 cache migrates at once (no indexing); build_index fills it later."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    from ketaread.core.store import _SCHEMA_V1

    conn.executescript(_SCHEMA_V1)
    conn.execute("INSERT INTO feeds (id, source, location, title) VALUES (1, '/f', '/f', 'F')")
    for number in range(450):
        conn.execute(
            "INSERT INTO articles (id, key, feed_id, uid, title, sort_key, content_hash) "
            "VALUES (?, ?, 1, ?, ?, ?, 'x')",
            (number + 1, f"k{number}", f"u{number}", f"Title {number}", number),
        )
        conn.execute(
            "INSERT INTO bodies (article_id, html) VALUES (?, ?)",
            (number + 1, f"<p>Body {number} mentions ketamine (KET) and esketamine.</p>"),
        )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert search.index_status(store) == search.IndexStatus(0, 450)
        assert _ids(store, "esketamine") == []  # nothing indexed by opening
        seen: list[tuple[int, int]] = []
        status = search.build_index(store, lambda done, total: seen.append((done, total)))
        assert status.complete
        assert seen[0] == (0, 450) and seen[-1] == (450, 450) and len(seen) == 4
        assert len(_ids(store, "esketamine", limit=1000)) == 450
        assert search.check_index(store) == []
    finally:
        store.close()


def test_building_stops_between_batches_and_resumes(store: Store) -> None:
    store.store_feed(
        "/f", _feed("/f", *[_article(f"u{i}", f"T{i}", "<p>w</p>") for i in range(30)])
    )
    store.clear_search_index()
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if done >= 10:
            stop.set()

    partial = search.build_index(store, progress, stop, batch=10)
    assert partial.indexed == 10
    assert search.build_index(store, batch=10).complete


def test_a_damaged_index_is_reported_and_rebuilt(store: Store) -> None:
    store.store_feed("/f", _feed("/f", _article("a", "A", "<p>ketamine</p>")))
    with store._write() as conn:
        conn.execute("UPDATE search_data SET block = x'00ff00ff' WHERE id > 1")
    problems = search.check_index(store)
    assert problems and "damaged" in problems[0]
    search.build_index(store, rebuild=True)
    assert search.check_index(store) == []
    assert _ids(store, "ketamine") == [_id_of(store, "A")]


# -- the query language ---------------------------------------------------------------------------


def test_words_phrases_prefixes_or_and_not(store: Store) -> None:
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Alpha", "<p>dendritic spines grow after ketamine</p>"),
            _article("2", "Beta", "<p>spines and dendrites, ketamine absent: citalopram</p>"),
            _article("3", "Gamma", "<p>neuroplasticity hypothesis</p>"),
        ),
    )
    alpha, beta, gamma = (_id_of(store, t) for t in ("Alpha", "Beta", "Gamma"))
    assert set(_ids(store, "spines ketamine")) == {alpha, beta}
    assert _ids(store, '"dendritic spines"') == [alpha]
    assert set(_ids(store, "neuroplast* OR citalopram")) == {beta, gamma}
    assert _ids(store, "spines -citalopram") == [alpha]
    assert _ids(store, "spines NOT citalopram") == [alpha]
    assert set(_ids(store, "-citalopram")) == {alpha, gamma}
    assert _ids(store, "title:gamma") == [gamma]
    assert _ids(store, "title:hypothesis") == []


def test_filters_tags_state_dates_and_sort(store: Store) -> None:
    old = _article("1", "Old", "<p>ketamine</p>", tags=["Mental Health"])
    old.published = 1_600_000_000.0  # 2020-09-13
    new = _article("2", "New", "<p>ketamine ketamine ketamine</p>", tags=["Neuroscience"])
    new.published = 1_750_000_000.0  # 2025-06-15
    store.store_feed("/f", _feed("/f", old, new))
    o, n = _id_of(store, "Old"), _id_of(store, "New")
    store.set_starred(o, True)
    store.set_read([n], True)
    assert _ids(store, 'ketamine +"mental health"') == [o]
    assert _ids(store, "ketamine -tag:neuroscience") == [o]
    assert _ids(store, "+neuroscience") == [n]
    assert _ids(store, "is:starred") == [o]
    assert _ids(store, "ketamine is:unread") == [o]
    assert _ids(store, "ketamine @2025-01-01--2025-06-30") == [n]
    assert _ids(store, "ketamine @--2021-01-01") == [o]
    now = 1_750_000_000.0 + 86400
    assert parse_query("@7d", now=now).since == now - 7 * 86400
    assert _ids(store, "ketamine sort:newest") == [n, o]


HOSTILE = [
    "N-methyl-D-aspartate",
    '"unbalanced quote',
    'unbalanced" quote',
    "*",
    "ketamine *",
    "(",
    "(ketamine",
    "ketamine)",
    "NEAR(",
    "NEAR(ketamine spines, 2)",
    "ketamine AND",
    "AND",
    "OR ketamine OR",
    "NOT",
    "[/]",
    "[bold red]x[/]",
    "[@click=app.quit]q[/]",
    'title:"',
    "title:",
    "-",
    "--",
    "+",
    '"',
    '""',
    "^ketamine",
    "ketamine:",
    "5-HT2A",
    "col:ketamine",
    "'; DROP TABLE articles; --",
    "\x1b]52;c;aGVsbG8=\x07ketamine",
    "k\u0301etamine",
    "ketamine\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_run_or_give_one_clear_message(store: Store, glossary, text: str) -> None:
    store.store_feed("/f", _feed("/f", _article("1", "K", "<p>ketamine blocks NMDA receptors</p>")))
    try:
        search.search(store, text, glossary)
    except QueryError as error:
        message = str(error)
        assert message and "\n" not in message and "fts5" not in message.lower()
        assert "syntax" not in message.lower()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("k*", "at least two letters"),
        ("is:lost", "is:unread"),
        ("sort:random", "sort:relevance"),
        ("@2025-13-01", "not a date"),
        ("@yesterday", "not a date"),
        ("@2025-06-30--2025-01-01", "ends before"),
        ("title:", "needs a word"),
        ("tag:", "or tag:neuroscience"),  # it named '+', which the user never typed
        ("-tag:", "or tag:neuroscience"),
        ("x " * 300, "too long"),
        (" ".join(f"w{i}" for i in range(40)), "too many"),
        ("*", "nothing to search for"),
        ("[/]", "nothing to search for"),
    ],
)
def test_refused_queries_name_the_problem(store: Store, text: str, fragment: str) -> None:
    with pytest.raises(QueryError, match=fragment):
        search.search(store, text)


def test_random_strings_never_raise_anything_but_query_error(store: Store, glossary) -> None:
    """A fuzz test: 3,000 seeded random queries over the characters that matter to FTS5."""
    store.store_feed(
        "/f", _feed("/f", _article("1", "K", "<p>ketamine NMDA spines (BDNF) 5-HT</p>"))
    )
    rng = random.Random(19)
    alphabet = [*"\"*()-+:^@,.[]/\\'{}", " ", " ", "\x00", "é", "\u202e", "ß"]
    words = ["AND", "OR", "NOT", "NEAR", "title:", "is:", "sort:", "ketamine", "NMDA", "@7d", "x"]
    expander = search.expander_for(glossary)
    for _ in range(3000):
        pieces = [
            rng.choice(words) if rng.random() < 0.4 else rng.choice(alphabet)
            for _ in range(rng.randint(0, 12))
        ]
        text = "".join(p if rng.random() < 0.5 else p + " " for p in pieces)
        with contextlib.suppress(QueryError):
            search.search(store, text, limit=5, expander=expander)


def test_user_text_reaches_fts5_only_as_quoted_words() -> None:
    query = parse_query('NEAR(a b) title:"x" yy* -"z w" OR c')
    expression = query.match_expression()
    assert expression is not None
    outside_quotes = "".join(expression.split('"')[0::2])
    assert set(outside_quotes) <= set("()ORANDT :*titleNO")


# -- expansion and ranking ------------------------------------------------------------------------


def test_long_form_finds_an_article_that_only_says_the_abbreviation(store: Store, glossary) -> None:
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Exercise", "<p>Running raises BDNF in older adults.</p>"),
            _article("2", "Other", "<p>Nothing relevant here.</p>"),
        ),
    )
    results = search.search(store, "brain-derived neurotrophic factor", glossary)
    assert [h.article_id for h in results.hits] == [_id_of(store, "Exercise")]
    [match] = results.hits[0].matched
    assert match.term == "brain-derived neurotrophic factor" and match.via == "BDNF"


def test_abbreviation_finds_long_form_and_hyphenated_long_form_finds_short(
    store: Store, glossary
) -> None:
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Long", "<p>Brain-derived neurotrophic factor supports neurons.</p>"),
            _article("2", "Short", "<p>Ketamine blocks NMDA receptors in the cortex.</p>"),
        ),
    )
    assert _ids(store, "BDNF", glossary) == [_id_of(store, "Long")]
    results = search.search(store, "N-methyl-D-aspartate", glossary)
    assert [h.article_id for h in results.hits] == [_id_of(store, "Short")]
    assert results.hits[0].matched[0].via == "NMDA"
    assert _ids(store, "N-methyl-D-aspartate") == []  # without the glossary: no expansion


def test_aliases_and_plurals_expand(store: Store, glossary) -> None:
    store.store_feed("/f", _feed("/f", _article("1", "Brand", "<p>Spravato is a nasal spray.</p>")))
    assert _ids(store, "esketamine", glossary) == [_id_of(store, "Brand")]
    store.store_feed(
        "/g", _feed("/g", _article("1", "Pills", "<p>An SSRI such as sertraline.</p>"))
    )
    assert _id_of(store, "Pills") in _ids(
        store, "selective serotonin reuptake inhibitors", glossary
    )


def test_an_articles_own_definition_expands_queries_for_other_articles(store: Store) -> None:
    """No glossary: "TRD" finds the long form because some article defined it."""
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Defines", "<p>We study treatment-resistant depression (TRD) here.</p>"),
            _article("2", "Uses", "<p>Half of the group met criteria for TRD.</p>"),
            _article("3", "Long only", "<p>Treatment-resistant depression is common.</p>"),
        ),
    )
    assert set(_ids(store, "TRD")) == {_id_of(store, t) for t in ("Defines", "Uses", "Long only")}
    long_form = search.search(store, "treatment-resistant depression")
    uses = next(h for h in long_form.hits if h.article_id == _id_of(store, "Uses"))
    assert uses.matched[0].via == "TRD"


def test_a_title_hit_ranks_above_a_single_body_mention(store: Store) -> None:
    filler = "<p>" + "Ketamine therapy sessions and integration. " * 20 + "</p>"
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Session notes", filler + "<p>One mention of esketamine.</p>"),
            _article("2", "Esketamine explained", filler),
        ),
    )
    assert _ids(store, "esketamine") == [
        _id_of(store, "Esketamine explained"),
        _id_of(store, "Session notes"),
    ]


def test_snippets_mark_hits_with_control_characters_only(store: Store) -> None:
    store.store_feed(
        "/f", _feed("/f", _article("1", "T", "<p>Text with [bold]markup[/] and ketamine.</p>"))
    )
    [hit] = search.search(store, "ketamine").hits
    text, spans = search.snippet_spans(hit.snippet)
    assert "[bold]markup[/]" in text
    assert [text[s:e] for s, e in spans] == ["ketamine"]


def test_text_prepared_in_a_parse_worker_is_indexed_as_if_made_in_the_store(
    tmp_path: Path,
) -> None:
    """prepare_index (run where feeds are parsed) changes the cost, never the index."""
    html = (
        "<h2>Lead</h2><p>Ketamine blocks N-methyl-D-aspartate (NMDA) receptors.</p>"
        "<p>Body text.</p><h2>References</h2><ol><li>Duman RS. 2012.</li></ol>"
    )
    contents = []
    for prepared in (False, True):
        feed = _feed("/f", _article("a", "Title", html, tags=["Neuro"]))
        if prepared:
            search.prepare_index(feed)
            assert feed.articles[0].index is not None
        store = Store(tmp_path / f"{prepared}.db")
        store.store_feed("/f", feed)
        contents.append(
            (
                store.select("SELECT title, summary, body, refs, author, feed, tags FROM search"),
                store.select("SELECT short, long FROM search_abbrevs"),
            )
        )
        store.close()
    assert contents[0] == contents[1]
    assert contents[0][1] == [("NMDA", "N-methyl-D-aspartate")]


def test_a_very_common_word_ranks_title_hits_then_the_newest(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past RANK_ALL_LIMIT matches, title hits are ranked and body-only ones follow by date."""
    monkeypatch.setattr(search, "RANK_ALL_LIMIT", 5)
    body = "<p>A lead paragraph.</p><p>ketamine once</p>"
    articles = [_article(f"u{i:02}", f"Note {i}", body) for i in range(12)]
    articles.append(_article("zz-title", "Ketamine in the title", "<p>ketamine</p>"))
    store.store_feed("/f", _feed("/f", *articles))
    results = search.search(store, "ketamine", limit=4)
    assert results.total == 13
    ids = [h.article_id for h in results.hits]
    assert ids[0] == _id_of(store, "Ketamine in the title")
    newest = store.select(
        "SELECT id FROM articles WHERE title LIKE 'Note%' ORDER BY sort_key DESC, id DESC LIMIT 3"
    )
    assert ids[1:] == [r[0] for r in newest]


def test_or_groups_say_which_side_matched(store: Store) -> None:
    store.store_feed(
        "/f",
        _feed(
            "/f", _article("1", "A", "<p>arketamine</p>"), _article("2", "B", "<p>norketamine</p>")
        ),
    )
    results = search.search(store, "arketamine OR norketamine")
    matched = {h.article_id: [m.term for m in h.matched] for h in results.hits}
    assert matched == {_id_of(store, "A"): ["arketamine"], _id_of(store, "B"): ["norketamine"]}


def test_words_that_together_name_a_term_are_searched_as_that_name(store: Store, glossary) -> None:
    """Typed without quotes, "brain-derived neurotrophic factor" is the term (a phrase) or
    its other names; the words scattered through an article do not make a match. (Words
    apart as well ranked the long form's articles above the abbreviation's: P@5 0.89 → 0.79
    in test_search_eval.)"""
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("1", "Apart", "<p>A brain-derived signal; a neurotrophic factor.</p>"),
            _article("2", "Short", "<p>BDNF levels.</p>"),
            _article("3", "Long", "<p>Brain-derived neurotrophic factor levels.</p>"),
        ),
    )
    found = {
        h.article_id
        for h in search.search(store, "brain-derived neurotrophic factor", glossary).hits
    }
    assert found == {_id_of(store, "Short"), _id_of(store, "Long")}


def test_the_quick_no_short_form_check_never_hides_a_possible_definition() -> None:
    """Whenever the two-regex check says "no short form near a parenthesis", the full
    per-parenthesis check agrees for every paragraph: on random mixes of words, citations,
    short forms (TRD, 5-HT2A, mTOR, NMDA's), separators and a little non-ASCII."""
    rng = random.Random(197)
    pieces = [
        "the", "Nature", "ketamine", "receptor", "(", ")", "(", " (", ") ", ";", ",", " ",
        "  ", "\n\n", "\n", "TRD", "5-HT2A", "mTOR", "NMDA's", "x1", "aB", "Ab", "A", "9",
        "e.g.", "-", "/", "Åsberg", "ÉCT", "ΔFosB", "\t", "(Mayo Clinic)", "(n = 12)",
    ]  # fmt: skip
    skipped = looked = 0
    for _ in range(30_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        if rng.random() < 0.5:
            text = text.replace("(", " (") if rng.random() < 0.5 else text.replace(" ", "")
        if search._no_short_form_near_parenthesis(text):
            skipped += 1
            assert not any(search._may_define(p) for p in text.split("\n\n")), repr(text)
        else:
            looked += 1
    assert skipped > 5_000 and looked > 5_000  # both answers were exercised


def test_index_text_lines_are_squeezed_as_by_splitting_every_line() -> None:
    """The line loop's shortcuts (empty lines skipped first, clean lines kept as they are)
    give what splitting and re-joining every line's words gives, on random fragments of
    tags, words, spaces, tabs, newlines, no-break and other Unicode spaces."""

    def reference(text: str) -> str:
        lines = (" ".join(line.split()) for line in text.split("\n"))
        return "\n\n".join(line for line in lines if line)

    rng = random.Random(1970)
    pieces = [
        "<p>", "</p>", "<br>", "<li>", "<b>", "</b>", "<h2>", "word", "NMDA", " ", "  ", "\n",
        "\n\n", "\t", "\r", "\x0b", "\x1c", "\xa0", "\u2009", "\u3000", "&nbsp;", "&amp;",
        "é", "\x7f", "\u200b",
    ]  # fmt: skip
    for _ in range(20_000):
        fragment = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 16)))
        html = search._TAG.sub("", search._BLOCK.sub("\n", fragment))
        if "&" in html:
            html = html_lib.unescape(html)
        assert search._text(fragment) == reference(html), repr(fragment)


# -- a large cache: walking the date index, filters nothing passes, snippets ---------------------


@pytest.fixture
def dated(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """60 articles whose dates do not follow their ids, every one saying "ketamine", every
    third "glutamate", the even ones tagged Depression, a third read; the limits of a
    400,000-article cache scaled down so that 60 articles reach them."""
    rng = random.Random(23)
    articles = []
    for i in range(60):
        words = "ketamine glutamate" if i % 3 == 0 else "ketamine"
        article = _article(f"u{i:02}", f"Note {i}", f"<p>Lead.</p><p>On {words} today.</p>")
        article.published = 1_750_000_000.0 + rng.randrange(0, 5_000_000)
        article.tags = ["Depression"] if i % 2 == 0 else []
        articles.append(article)
    store.store_feed("/f", _feed("/f", *articles))
    store.set_read([r[0] for r in store.select("SELECT id FROM articles WHERE id % 3 = 1")], True)
    monkeypatch.setattr(search, "COUNT_CAP", 10)
    monkeypatch.setattr(search, "RANK_ALL_LIMIT", 5)
    monkeypatch.setattr(search, "WALK_CHUNK", 7)
    return store


def _newest_by_sql(store: Store, condition: str, params: tuple[object, ...] = ()) -> list[int]:
    """Every matching article sorted by date in SQL: what a walk must reproduce."""
    rows = store.select(
        f"SELECT a.id FROM articles a WHERE {condition} ORDER BY a.sort_key DESC, a.id DESC",
        params,
    )
    return [r[0] for r in rows]


TAGGED = "a.id IN (SELECT article_id FROM article_tags at JOIN tags t ON t.id = at.tag_id"


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("ketamine sort:newest", "1"),
        ("ketamine", "1"),  # no title hit: every result is a newest-first one
        ("glutamate sort:newest", "a.title IN (SELECT title FROM articles WHERE 0)"),
        ("ketamine is:unread sort:newest", "a.read = 0"),
        ("ketamine +depression sort:newest", f"{TAGGED} WHERE t.key = 'depression')"),
        ("ketamine -depression", f"a.id NOT {TAGGED[5:]} WHERE t.key = 'depression')"),
    ],
)
def test_many_matches_come_newest_first_along_the_date_index(
    dated: Store, monkeypatch: pytest.MonkeyPatch, query: str, condition: str
) -> None:
    """Past COUNT_CAP matches, the newest are found by walking the articles by date a
    chunk at a time (not by sorting every match): the same articles in the same order."""
    walks: list[list[int] | None] = []
    walk = search._newest_matches

    def spied(*args: object, **kwargs: object) -> list[int] | None:
        found = walk(*args, **kwargs)  # type: ignore[arg-type]
        walks.append(found)
        return found

    monkeypatch.setattr(search, "_newest_matches", spied)
    if query.startswith("glutamate"):
        condition = "a.id IN (SELECT rowid FROM search WHERE search MATCH 'glutamate')"
    results = search.search(dated, query, limit=12)
    assert results.total == search.COUNT_CAP + 1
    assert [h.article_id for h in results.hits] == _newest_by_sql(dated, condition)[:12]
    assert walks and all(found is not None for found in walks)  # the walk did it
    if "sort:newest" in query:
        assert all(h.score == 0.0 for h in results.hits)  # as `search --json` documents


def test_a_walk_over_ids_that_do_not_follow_dates_gives_way_to_sorting(
    dated: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "WALK_SPAN", 1)  # every chunk counts as spread too far
    results = search.search(dated, "ketamine sort:newest", limit=12)
    assert [h.article_id for h in results.hits] == _newest_by_sql(dated, "1")[:12]


def test_sorting_by_date_scores_every_hit_zero(store: Store) -> None:
    store.store_feed(
        "/f",
        _feed(
            "/f",
            _article("a", "Ketamine", "<p>ketamine</p>"),
            _article("b", "B", "<p>ketamine</p>"),
        ),
    )
    hits = search.search(store, "ketamine sort:newest").hits
    assert len(hits) == 2 and all(h.score == 0.0 for h in hits)
    # 0, not -0.0: `search --json` printed "score": -0.0 (bm25's sign flipped on a zero).
    assert all(math.copysign(1.0, h.score) == 1.0 for h in hits)
    assert all(h.score > 0 for h in search.search(store, "ketamine").hits)


@pytest.mark.parametrize(
    "query", ["ketamine +nosuchtag", "ketamine @1990-01-01--1990-12-31", "ketamine is:starred"]
)
def test_a_filter_no_article_passes_finds_nothing_without_running_the_match(
    dated: Store, monkeypatch: pytest.MonkeyPatch, query: str
) -> None:
    statements: list[str] = []
    select = Store.select

    def recorded(self: Store, sql: str, params: object = ()) -> list[tuple]:
        statements.append(sql)
        return select(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "select", recorded)
    results = search.search(dated, query)
    assert results.total == 0 and results.hits == []
    assert not [sql for sql in statements if "MATCH" in sql]


@pytest.mark.parametrize("query", ["ketam*", "glutamate", "ketamine sort:newest"])
def test_snippets_are_those_the_index_gives_each_hit(dated: Store, query: str) -> None:
    """Whether read from one pass over the hits' id range or per hit, each snippet is the
    one FTS5's snippet() gives that article alone."""
    results = search.search(dated, query, limit=12)
    match = results.query.match_expression()
    assert results.hits
    for hit in results.hits:
        alone = dated.select(
            "SELECT snippet(search, -1, char(2), char(3), '…', 14) FROM search "
            "WHERE search MATCH ? AND rowid = ?",
            (match, hit.article_id),
        )[0][0]
        assert hit.snippet == " ".join(alone.split())
