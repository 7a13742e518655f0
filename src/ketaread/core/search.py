"""Full-text search: the FTS5 index in the cache, our query language, glossary-aware expansion.

Three parts, none of them Textual:

- **Indexing.** `document_for` turns a stored article into the index's columns (title,
  summary, body, refs, author, feed, tags) straight from its sanitised HTML: words only, no
  link targets, no markup. `write_documents` stores it, on the connection (and inside the
  transaction) that writes the article; `Store` calls it from every article write. Articles
  cached before the index existed are indexed later by `build_index`, in batches, with
  progress, never before the reader's first frame.
- **Queries.** `parse_query` reads the user's text into a `Query`; nothing the user typed
  reaches FTS5 except as alphanumeric words inside double quotes, so no input can make an
  FTS5 syntax error (a `QueryError` names anything we refuse).
- **Expansion.** `Expander` adds the other names of an abbreviation or term, from the
  glossary (term, aliases, expansion) and from the definitions articles make
  ("treatment-resistant depression (TRD)", stored per article at index time), so "BDNF"
  finds "brain-derived neurotrophic factor" and back. Results say which words matched
  through an expansion.
"""

from __future__ import annotations

import html as html_lib
import re
import sqlite3
import threading
import time
import unicodedata
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketaread.core.glossary import Glossary
    from ketaread.core.models import ParsedArticle, ParsedFeed
    from ketaread.core.store import Store

INDEX_VERSION = 1
"""Bump when `document_for` changes: articles indexed by an older version are redone."""

COLUMNS = ("title", "summary", "body", "refs", "author", "feed", "tags")
"""The index's columns, in table order."""

WEIGHTS = (8.0, 3.0, 1.0, 0.3, 2.0, 1.0, 2.0)
"""bm25 weights per column, in COLUMNS order; chosen with tests/core/test_search_eval.py
(see benchmarks/README.md, "Search"): a title hit outweighs several body hits, a reference
list that merely cites a paper about a term counts for little."""

HIT_START = "\x02"
HIT_END = "\x03"
"""Snippet highlight markers: control characters that cleaned article text never holds."""

SCHEMA_STATEMENTS = (
    "CREATE VIRTUAL TABLE search USING fts5("
    + ", ".join(COLUMNS)
    + ', tokenize="porter unicode61 remove_diacritics 2")',
    # Which articles are indexed, by which version of `document_for`.
    "CREATE TABLE search_state (article_id INTEGER PRIMARY KEY "
    "REFERENCES articles(id) ON DELETE CASCADE, version INTEGER NOT NULL)",
    # The abbreviations each article defines: the corpus's own dictionary for expansion.
    "CREATE TABLE search_abbrevs (article_id INTEGER NOT NULL "
    "REFERENCES articles(id) ON DELETE CASCADE, short TEXT NOT NULL, long TEXT NOT NULL, "
    "long_key TEXT NOT NULL)",
    "CREATE INDEX search_abbrevs_short ON search_abbrevs(short COLLATE NOCASE)",
    "CREATE INDEX search_abbrevs_long ON search_abbrevs(long_key)",
    "CREATE INDEX search_abbrevs_article ON search_abbrevs(article_id)",
    # Any deletion (remove_source's cascade included) takes the article out of the index.
    "CREATE TRIGGER search_forget AFTER DELETE ON articles BEGIN "
    "DELETE FROM search WHERE rowid = old.id; END",
)
"""What schema version 2 adds to the cache (see store.py)."""

COUNT_CAP = 5000
"""Matches are counted up to this; `Results.total` above it means "more than this"."""
RANK_ALL_LIMIT = 3000
"""Above this many matches, only those in the weighted columns are ranked (see run_query)."""
MAX_QUERY_CHARS = 500
MAX_TERMS = 24
MAX_ALTERNATIVES = 8
_MAX_INDEXED_CHARS = 200_000
"""Text per column beyond this is not indexed: bounded time and size for a hostile article."""


class QueryError(ValueError):
    """A query we cannot run; the message is one line naming the problem, fit to show."""


class SearchIndexError(Exception):
    """The index is damaged or unusable; the message says how to repair it."""


# -- text ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_]+")


def _strip_marks(text: str) -> str:
    """Diacritics off, as the index's tokenizer does ("Åsberg" → "Asberg")."""
    if text.isascii():
        return text  # most text: skip a per-character pass over whole articles
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """The words FTS5's unicode61 tokenizer would see, lower case, without diacritics."""
    return _TOKEN.findall(_strip_marks(text).casefold())


def fold(text: str) -> str:
    """A name compared loosely: its tokens joined by single spaces."""
    return " ".join(tokens(text))


_WORDS_AS_WRITTEN = re.compile(r"[^\W_]+")


def _is_acronym(word: str) -> bool:
    """Two or more capitals or digits (NMDA, 5-HT2A, mTOR's TOR): an abbreviation."""
    return sum(ch.isupper() or ch.isdigit() for ch in word) >= 2


def _singulars(key: str) -> list[str]:
    """Guesses at the singular of a folded name's last word."""
    head, _, last = key.rpartition(" ")
    prefix = head + " " if head else ""
    guesses = []
    if last.endswith("ies") and len(last) > 4:
        guesses.append(last[:-3] + "y")
    if last.endswith("es") and len(last) > 3:
        guesses.append(last[:-2])
    if last.endswith("s") and not last.endswith("ss") and len(last) > 2:
        guesses.append(last[:-1])
    return [prefix + g for g in guesses]


# -- indexing ------------------------------------------------------------------------------------

_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.I | re.S)
# The block elements p, div, li, ol, ul, br, tr, td, th, table, blockquote, pre, section,
# article, header, footer, figure, figcaption, dt, dd, dl, hr, h1-h6, aside, nav, details and
# summary, grouped by first letter: the same matches (each name must end at the \b) as a flat
# alternation, which tried every name at every "<" (a third of the text extraction's cost).
_BLOCK = re.compile(
    r"</?(?:p(?:re)?|d(?:iv|[tdl]|etails)|li|[ou]l|br|blockquote|t(?:[rdh]|able)|"
    r"s(?:ection|ummary)|a(?:rticle|side)|header|footer|fig(?:ure|caption)|h[1-6r]|nav)\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]*>")
_ASCII_UNPRINTABLE_BUT_NEWLINE = bytes([*range(0x00, 0x0A), *range(0x0B, 0x20), 0x7F])
"""The ASCII characters `str.isprintable` refuses, but the line break, for bytes.translate."""
_SKIPPED = re.compile(r"<(script|style|template)\b.*?</\1\s*>", re.I | re.S)
_PARAGRAPH = re.compile(r"<p\b[^>]*>(.*?)</p\s*>", re.I | re.S)
_REFERENCE_HEADING = re.compile(
    r"^\W*(references?|bibliography|sources|works cited|citations|literature( cited)?|"
    r"further reading|notes and references|selected references)\b",
    re.I,
)


def _text(fragment: str) -> str:
    """Words of an HTML fragment: block boundaries as blank lines, inline tags dropped."""
    if "<" not in fragment and "&" not in fragment and "\n" not in fragment:
        # One line of plain text (most headings): what the passes below make of it.
        return " ".join(fragment.split())
    fragment = _TAG.sub("", _BLOCK.sub("\n", fragment))
    if "&" in fragment:
        fragment = html_lib.unescape(fragment)
    # Each line with each run of whitespace one space, none at the ends; empty ones dropped
    # before any test (a block tag on its own line leaves two or three of them each time).
    # Inline, not a function per line: indexing runs this on every line of every article.
    if (
        fragment.isascii()
        and len(fragment.encode("ascii").translate(None, _ASCII_UNPRINTABLE_BUT_NEWLINE))
        == len(fragment)
        and "  " not in fragment
    ):
        # Every line printable with no double space (most articles): only the ends of the
        # lines to check, not each line's characters again.
        lines = [line for line in fragment.split("\n") if line]
        for line in lines:
            if line[0] == " " or line[-1] == " ":
                break
        else:
            return "\n\n".join(lines)
    lines = []
    for line in fragment.split("\n"):
        if not line:
            continue
        if not (line.isprintable() and "  " not in line and line[0] != " " and line[-1] != " "):
            # Every whitespace character but the space is unprintable, so most lines skip
            # this word-by-word split (several times faster than a whitespace regex).
            line = " ".join(line.split())
            if not line:
                continue
        lines.append(line)
    return "\n\n".join(lines)


@dataclass(slots=True)
class Document:
    """One article as the index stores it."""

    title: str
    summary: str
    body: str
    refs: str
    author: str
    feed: str
    tags: str

    def values(self) -> tuple[str, ...]:
        """The columns in table order."""
        return (self.title, self.summary, self.body, self.refs, self.author, self.feed, self.tags)


def split_html(html: str) -> tuple[str, str, str]:
    """(summary, body, references) text of an article's sanitised HTML.

    The summary is the headings and the lead paragraph; the references are what follows a
    heading such as "References" or "Sources" up to the next other heading. Link targets
    and markup never reach the index: only the words a reader sees.
    """
    html = _SKIPPED.sub(" ", html[: _MAX_INDEXED_CHARS * 4])
    headings: list[str] = []
    body_parts: list[str] = []
    ref_parts: list[str] = []
    position = 0
    in_refs = False
    for match in _HEADING.finditer(html):
        (ref_parts if in_refs else body_parts).append(html[position : match.start()])
        heading = _text(match.group(2))
        in_refs = bool(_REFERENCE_HEADING.match(heading))
        if not in_refs:
            headings.append(heading)
        position = match.end()
    (ref_parts if in_refs else body_parts).append(html[position:])
    body_html = "\n".join(body_parts)
    lead = ""
    first = _PARAGRAPH.search(body_html)
    if first is not None and first.start() < 2000:
        lead = _text(first.group(1))
        body_html = body_html[: first.start()] + body_html[first.end() :]
    body = _text(body_html)
    if not lead and "\n\n" not in body and len(body) < 600:
        lead, body = body, ""  # a summary-only item: all of it is its summary
    summary = "\n\n".join(part for part in (*headings, lead) if part)
    return (
        summary[:_MAX_INDEXED_CHARS],
        body[:_MAX_INDEXED_CHARS],
        _text("\n".join(ref_parts))[:_MAX_INDEXED_CHARS],
    )


def document_for(title: str, author: str, feed: str, tags: Iterable[str], html: str) -> Document:
    """The index columns of one article."""
    summary, body, refs = split_html(html)
    return Document(title, summary, body, refs, author, feed, "\n".join(tags))


def prepare_index(parsed: ParsedFeed) -> None:
    """Work out each article's index text and definitions ahead of storing (in a worker)."""
    for article in parsed.articles:
        summary, body, refs = split_html(article.html)
        document = Document("", summary, body, refs, "", "", "")
        article.index = (summary, body, refs, tuple(defined_abbreviations(document)))


def document_from(
    article: ParsedArticle, feed: str, tags: Iterable[str]
) -> tuple[Document, list[tuple[str, str]] | None]:
    """A parsed article's index columns, and its definitions when already worked out."""
    if article.index is None:
        return document_for(article.title, article.author, feed, tags, article.html), None
    summary, body, refs, pairs = article.index
    document = Document(article.title, summary, body, refs, article.author, feed, "\n".join(tags))
    return document, list(pairs)


_INSIDE = re.compile(r"\s*([^\s();,]{2,12})\s*[);,]")
_BEFORE = re.compile(r"([^\s()]{2,12})\s+$")


def _short_like(word: str) -> bool:
    """Two capitals or digits (TRD, 5-HT), or a capital after a small letter (mTOR)."""
    rest = word[1:]
    if rest.isalpha() and rest.islower():
        return False  # most words ("Nature", "the"): at most one capital, and it leads
    return sum(ch.isupper() or ch.isdigit() for ch in word) >= 2 or any(
        a.islower() and b.isupper() for a, b in pairwise(word)
    )


def _may_define(paragraph: str) -> bool:
    """True when some parenthesis has a short form in it ("(TRD)") or before it ("BDNF (")."""
    at = paragraph.find("(")
    while at >= 0:
        inside = _INSIDE.match(paragraph, at + 1, at + 16)
        before = _BEFORE.search(paragraph, max(0, at - 16), at)
        if (inside and _short_like(inside.group(1))) or (before and _short_like(before.group(1))):
            return True
        at = paragraph.find("(", at + 1)
    return False


# Supersets of what `_may_define` looks for, in ASCII text, as one regex pass each: a short
# form has an upper-case letter or a digit after its first character (two capitals or
# digits, or a small letter then a capital), inside a parenthesis ("(TRD)", "(mTOR)") or
# in the word before one ("BDNF ("); the second is searched in the reversed text, where
# that word follows its parenthesis and the pattern can start at the "(" again.
_ASCII_INSIDE = re.compile(r"\(\s*[^\s();,]+?[A-Z0-9]")
_ASCII_BEFORE_REVERSED = re.compile(r"\(\s+[^\s()]*?[A-Z0-9][^\s()]")


def _no_short_form_near_parenthesis(text: str) -> bool:
    """True when no "(" in ASCII `text` can have a short form in or before it.

    Most articles have parentheses (citations, asides) and no short form in them: two
    regex scans instead of `_may_define` at every "(" (a third of indexing's cost).
    False means "look closer", never "there is one".
    """
    return (
        text.isascii()
        and _ASCII_INSIDE.search(text) is None
        and _ASCII_BEFORE_REVERSED.search(text[::-1]) is None
    )


def defined_abbreviations(document: Document) -> list[tuple[str, str]]:
    """(short, long) pairs the article's own text defines."""
    from ketaread.core.abbreviations import find_abbreviations

    text = f"{document.summary}\n\n{document.body}"
    if "(" not in text or _no_short_form_near_parenthesis(text):
        return []
    # Only paragraphs where a definition could be: the finder costs ~0.3 ms an article,
    # most of it on parentheses that hold citations ("(Nature)"), not short forms.
    # The quick check again, paragraph by paragraph, before the exact one.
    paragraphs = [
        p
        for p in text.split("\n\n")
        if "(" in p and not _no_short_form_near_parenthesis(p) and _may_define(p)
    ]
    if not paragraphs:
        return []
    text = "\n\n".join(paragraphs)
    pairs: list[tuple[str, str]] = []
    for found in find_abbreviations(text):
        long = " ".join(found.long.split())
        if found.short and long and fold(long):
            pairs.append((found.short, long))
    return pairs


IndexEntry = tuple[int, Document, bool, list[tuple[str, str]] | None]
"""(article id, its columns, whether it replaces an earlier entry, its definitions or None
to find them here): one article for `write_documents`."""


def write_document(
    conn: sqlite3.Connection,
    article_id: int,
    document: Document,
    *,
    replace: bool,
    pairs: list[tuple[str, str]] | None = None,
) -> None:
    """Index one article on `conn`, inside the caller's transaction."""
    write_documents(conn, [(article_id, document, replace, pairs)])


def write_documents(conn: sqlite3.Connection, entries: Sequence[IndexEntry]) -> None:
    """Index articles on `conn`, inside the caller's transaction; the FTS5 writes come last.

    Call it once per transaction, after the articles' other writes: a statement that may
    abort (a foreign key, OR REPLACE) after an FTS5 write opens a savepoint, and FTS5 writes
    its pending terms out as a segment at every savepoint: one segment per article, then
    merges. After everything else, a transaction's terms become one segment at COMMIT
    (benchmarks/README.md, "Refresh on make_corpus feeds").
    """
    if not entries:
        return
    from ketaread.core.store import insert_rows  # the storing process has it loaded

    replaced = [(article_id,) for article_id, _, replace, _ in entries if replace]
    abbreviations: list[tuple[int, str, str, str]] = []
    for article_id, document, _, pairs in entries:
        found = defined_abbreviations(document) if pairs is None else pairs
        abbreviations += [(article_id, short, long, fold(long)) for short, long in found]
    if replaced:
        conn.executemany("DELETE FROM search_abbrevs WHERE article_id = ?", replaced)
    # Many rows a statement: each of these statements keeps a statement journal (a foreign
    # key's cascade, OR REPLACE), a copy of every page it changes, once per statement.
    insert_rows(
        conn,
        "INSERT INTO search_abbrevs (article_id, short, long, long_key) VALUES ",
        abbreviations,
    )
    insert_rows(
        conn,
        "INSERT OR REPLACE INTO search_state (article_id, version) VALUES ",
        [(entry[0], INDEX_VERSION) for entry in entries],
    )
    if replaced:
        conn.executemany("DELETE FROM search WHERE rowid = ?", replaced)
    conn.executemany(
        "INSERT INTO search (rowid, title, summary, body, refs, author, feed, tags) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(article_id, *document.values()) for article_id, document, _, _ in entries],
    )


def rename_feed(conn: sqlite3.Connection, feed_id: int, title: str) -> None:
    """Give a feed's indexed articles its new title (inside the caller's transaction)."""
    conn.execute(
        "UPDATE search SET feed = ? WHERE rowid IN (SELECT id FROM articles WHERE feed_id = ?)",
        (title, feed_id),
    )


def index_articles(conn: sqlite3.Connection, article_ids: Sequence[int]) -> None:
    """(Re)index stored articles by id, reading what they hold from the cache."""
    entries: list[IndexEntry] = []
    for article_id in article_ids:
        row = conn.execute(
            "SELECT a.title, a.author, COALESCE(f.user_title, f.title), b.html, "
            "(SELECT group_concat(t.name, char(31)) FROM article_tags at "
            " JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id) "
            "FROM articles a JOIN feeds f ON f.id = a.feed_id "
            "LEFT JOIN bodies b ON b.article_id = a.id WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            continue
        tags = row[4].split("\x1f") if row[4] else []
        document = document_for(row[0], row[1], row[2] or "", tags, row[3] or "")
        entries.append((article_id, document, True, None))
    write_documents(conn, entries)


@dataclass(slots=True)
class IndexStatus:
    """How much of the cache the index covers."""

    indexed: int
    total: int

    @property
    def complete(self) -> bool:
        """True when every article is indexed by this version."""
        return self.indexed >= self.total


_complete: weakref.WeakSet[Store] = weakref.WeakSet()
"""Stores whose index was found complete: every later write indexes in its own transaction,
so it stays complete and need not be counted again (two counts over 40,000 rows a query)."""


def is_complete(store: Store) -> bool:
    """True when every article is indexed (remembered once found)."""
    return store in _complete or index_status(store).complete


def index_status(store: Store) -> IndexStatus:
    """Indexed and total article counts."""
    row = store.select("SELECT COUNT(*) FROM search_state WHERE version = ?", (INDEX_VERSION,))
    # The total from the counts the cache keeps: not a walk of every article.
    status = IndexStatus(int(row[0][0]), store.count())
    if status.complete:
        _complete.add(store)
    return status


Progress = Callable[[int, int], None]
"""Called with (indexed so far, total) while an index is built."""


def build_index(
    store: Store,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    *,
    rebuild: bool = False,
    batch: int = 200,
    pause: Callable[[], None] | None = None,
) -> IndexStatus:
    """Index every article not indexed by this version, in batches of one transaction each.

    With `rebuild`, the index is emptied first (and FTS5's own structures rebuilt), for a
    damaged index. Stops between batches when `stop` is set; what was indexed stays.
    `pause` is called before each batch and may wait (the reader waits while its user
    acts, so that indexing an upgraded archive never competes with a key press).
    """
    if rebuild:
        _complete.discard(store)
        store.clear_search_index()
    status = index_status(store)
    done = status.indexed
    if progress is not None:
        progress(done, status.total)
    # Newest first, each batch going on from where the last one ended: a query that looked
    # for unindexed articles from the top again walked past every indexed one each time.
    after: tuple[float, int] = (float("inf"), 0)
    while not (stop is not None and stop.is_set()):
        if pause is not None:
            pause()
        rows = store.select(
            "SELECT a.id, a.sort_key FROM articles a WHERE (a.sort_key, a.id) < (?, ?) "
            "AND NOT EXISTS (SELECT 1 FROM search_state s WHERE s.article_id = a.id "
            "AND s.version = ?) ORDER BY a.sort_key DESC, a.id DESC LIMIT ?",
            (*after, INDEX_VERSION, batch),
        )
        if not rows:
            break
        after = (rows[-1][1], rows[-1][0])
        ids = [r[0] for r in rows]
        store.index_articles(ids)
        done += len(ids)
        if progress is not None:
            progress(min(done, status.total), status.total)
    return index_status(store)


def check_index(store: Store) -> list[str]:
    """Problems with the index (empty when it is sound): FTS5's integrity check and counts."""
    problems: list[str] = []
    try:
        store.check_search_index()
    except sqlite3.DatabaseError as error:
        problems.append(f"the full-text index is damaged ({error})")
    status = index_status(store)
    if status.indexed != status.total:
        problems.append(f"{status.total - status.indexed} of {status.total} articles not indexed")
    orphans = store.select(
        "SELECT COUNT(*) FROM search_state s LEFT JOIN articles a ON a.id = s.article_id "
        "WHERE a.id IS NULL"
    )[0][0]
    if orphans:
        problems.append(f"{orphans} index entries for articles no longer cached")
    return problems


# -- the query language --------------------------------------------------------------------------

FIELDS = {"title": "title", "author": "author", "feed": "feed", "ref": "refs", "refs": "refs"}
"""Field filters and the column each searches."""

SORTS = ("relevance", "newest")


@dataclass(slots=True)
class Term:
    """One searched thing: a word, a phrase or a prefix, perhaps limited to one column."""

    text: str
    """As the user typed it (without quotes or a leading '-')."""
    words: tuple[str, ...]
    column: str | None = None
    prefix: bool = False
    alternatives: list[str] = field(default_factory=list)
    """Other names it also matches (from the glossary or the articles' definitions)."""

    def phrase(self, words: Sequence[str] | None = None, prefix: bool | None = None) -> str:
        """This term (or other words in its place) as an FTS5 phrase, column included."""
        words = self.words if words is None else words
        prefix = self.prefix if prefix is None else prefix
        # Only tokens of letters and digits go in, so the quotes cannot be broken out of.
        text = '"' + " ".join(words).replace('"', '""') + '"' + (" *" if prefix else "")
        return f"{self.column} : {text}" if self.column else text

    def expression(self) -> str:
        """The term with its alternatives, as FTS5 syntax."""
        if not self.alternatives:
            return self.phrase()
        parts = [self.phrase()] + [self.phrase(tokens(a), False) for a in self.alternatives]
        return "(" + " OR ".join(parts) + ")"


@dataclass(slots=True)
class Query:
    """A parsed query: AND of OR-groups of terms, exclusions and filters."""

    text: str
    groups: list[list[Term]] = field(default_factory=list)
    """Every group must match; within a group, any term (terms joined by OR)."""
    excluded: list[Term] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    """Tag keys every result must carry."""
    without_tags: list[str] = field(default_factory=list)
    unread: bool | None = None
    starred: bool | None = None
    since: float | None = None
    until: float | None = None
    sort: str = "relevance"

    @property
    def has_text(self) -> bool:
        """True when the query searches words (not only filters)."""
        return bool(self.groups or self.excluded)

    def terms(self) -> list[Term]:
        """Every positive term."""
        return [t for group in self.groups for t in group]

    def match_expression(self, columns: Sequence[str] = ()) -> str | None:
        """The FTS5 MATCH expression for the words, or None when the query has none.

        With `columns`, the positive words must be found in those columns.
        """
        if not self.groups:
            return None
        positive = " AND ".join(
            g[0].expression() if len(g) == 1 else "(" + " OR ".join(t.expression() for t in g) + ")"
            for g in self.groups
        )
        if columns:
            positive = "{" + " ".join(columns) + "} : (" + positive + ")"
        if self.excluded:
            positive += " NOT (" + " OR ".join(t.expression() for t in self.excluded) + ")"
        return positive

    def exclusion_expression(self) -> str | None:
        """For a query of exclusions only: what the results must not match."""
        if self.groups or not self.excluded:
            return None
        return " OR ".join(t.expression() for t in self.excluded)


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_RELATIVE = re.compile(r"(\d{1,5})\s*(d|day|days|w|week|weeks|m|mo|month|months|y|year|years)$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "mo": 30, "y": 365}
_FIELD = re.compile(r"([A-Za-z]+):")


def _date_range(text: str) -> tuple[float, float]:
    """The start and end (epoch seconds) of '2025', '2025-03' or '2025-03-14'."""
    match = _DATE.match(text)
    if match is None:
        raise ValueError(text)
    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    if month is None:
        start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    elif day is None:
        start = datetime(year, int(month), 1, tzinfo=UTC)
        end = datetime(year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=UTC)
    else:
        start = datetime(year, int(month), int(day), tzinfo=UTC)
        end = start + timedelta(days=1)
    return start.timestamp(), end.timestamp()


def _parse_date(value: str, now: float) -> tuple[float | None, float | None]:
    """`@7d`, `@2025-01-01`, `@2025-01-01--2025-06-30`, `@--2025-06-30` → (since, until)."""
    problem = QueryError(
        f"'@{value}' is not a date: use @7d, @2w, @6m, @1y, @2025-01-01 or @2025-01-01--2025-06-30"
    )
    relative = _RELATIVE.match(value.lower())
    if relative is not None:
        unit = relative.group(2)
        days = int(relative.group(1)) * _UNIT_DAYS["mo" if unit.startswith("mo") else unit[0]]
        return now - days * 86400, None
    first, separator, last = value.partition("--")
    try:
        since = _date_range(first)[0] if first else None
        until = _date_range(last)[1] if separator and last else None
    except (ValueError, OverflowError):
        raise problem from None
    if since is None and until is None:
        raise problem
    if since is not None and until is not None and since >= until:
        raise QueryError(f"'@{value}': the range ends before it starts")
    return since, until


def _scan(text: str) -> list[tuple[str, str, bool]]:
    """Split a query into (kind, value, negated) pieces: 'word', 'phrase', 'field:…' or 'op'.

    Quotes group words into a phrase (an unclosed quote runs to the end); a leading '-'
    negates; 'field:' prefixes its word or phrase. Nothing here fails.
    """
    pieces: list[tuple[str, str, bool]] = []
    position, length = 0, len(text)
    while position < length:
        ch = text[position]
        if ch.isspace():
            position += 1
            continue
        negated = False
        if ch == "-" and position + 1 < length and not text[position + 1].isspace():
            negated = True
            position += 1
        kind = "word"
        field_match = _FIELD.match(text, position)
        if field_match is not None:
            kind = "field:" + field_match.group(1).lower()
            position = field_match.end()
            if position >= length or text[position].isspace():
                pieces.append((kind, "", negated))
                continue
        if text[position] == '"':
            close = text.find('"', position + 1)
            end = length if close < 0 else close
            value = text[position + 1 : end]
            position = end + 1
            # A '*' right after the closing quote makes the phrase's last word a prefix.
            if position < length and text[position] == "*":
                value += "*"
                position += 1
            pieces.append((kind if kind != "word" else "phrase", value, negated))
            if kind.startswith("field:"):
                pieces[-1] = (kind + '"', value, negated)
            continue
        end = position
        while end < length and not text[end].isspace() and text[end] != '"':
            end += 1
        value = text[position:end]
        position = end
        if kind == "word" and value in ("OR", "AND", "NOT") and not negated:
            pieces.append(("op", value, False))
        else:
            pieces.append((kind, value, negated))
    return pieces


def parse_query(text: str, now: float | None = None) -> Query:
    """Read the query language (see README, "Search") into a `Query`; QueryError if refused."""
    now = time.time() if now is None else now
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is too long (at most {MAX_QUERY_CHARS} characters)")
    from ketaread.core.clean import clean_line

    text = unicodedata.normalize("NFC", clean_line(text, limit=MAX_QUERY_CHARS))
    query = Query(text)
    pending_or = False
    pending_not = False
    for kind, value, negated in _scan(text):
        if kind == "op":
            if value == "OR":
                pending_or = bool(query.groups)  # a leading OR joins nothing: ignored
            elif value == "NOT":
                pending_not = True
            continue  # AND is what juxtaposition means already
        negated = negated or pending_not
        pending_not = False
        column: str | None = None
        if kind.startswith("field:"):
            name = kind[6:].rstrip('"')
            quoted = kind.endswith('"')
            if name == "is":
                flag = value.lower()
                if flag in ("unread", "read"):
                    query.unread = (flag == "unread") != negated
                elif flag in ("starred", "unstarred"):
                    query.starred = (flag == "starred") != negated
                else:
                    raise QueryError(
                        f"'is:{value}' is not a state: use is:unread, is:read or is:starred"
                    )
                continue
            if name == "sort":
                if value.lower() not in SORTS:
                    raise QueryError(f"'sort:{value}': use sort:relevance or sort:newest")
                query.sort = value.lower()
                continue
            if name == "tag":
                _add_tag(query, value, negated)
                continue
            if name in FIELDS:
                column = FIELDS[name]
                if not value:
                    raise QueryError(f"'{name}:' needs a word after it, as in {name}:ketamine")
            else:
                # Not a field we know ("5-HT:", "note:"): the whole thing is text.
                value = f"{name}:{value}" if not quoted else f"{name} {value}"
        elif kind == "word" and value.startswith("@") and len(value) > 1:
            since, until = _parse_date(value[1:], now)
            query.since = since if since is not None else query.since
            query.until = until if until is not None else query.until
            continue
        elif kind == "word" and value.startswith("+") and len(value) > 1:
            _add_tag(query, value[1:].strip('"'), negated)
            continue
        elif kind == "word" and value == "+":
            continue
        prefix = value.endswith("*")
        words = tuple(tokens(value))
        if not words:
            continue  # punctuation alone ("*", "(", "[/]"): nothing to search for
        if prefix and len(words[-1]) < 2:
            raise QueryError(f"'{value}': a prefix search needs at least two letters before *")
        term = Term(value.rstrip("*") if prefix else value, words, column, prefix)
        if negated:
            query.excluded.append(term)
        elif pending_or and query.groups:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        pending_or = False
        if len(query.groups) + len(query.excluded) > MAX_TERMS:
            raise QueryError(f"the query has too many words (at most {MAX_TERMS})")
    if query.since is not None and query.until is not None and query.since >= query.until:
        raise QueryError("the date range ends before it starts")
    return query


def _add_tag(query: Query, name: str, negated: bool) -> None:
    from ketaread.core.store import tag_key

    key = tag_key(name)
    if not key:
        raise QueryError("a tag search needs a tag name, as in +neuroscience or tag:neuroscience")
    (query.without_tags if negated else query.tags).append(key)


# -- expansion -----------------------------------------------------------------------------------


class Expander:
    """Other names for a term: the glossary's (term, aliases, expansion) and the articles' own."""

    def __init__(self, glossary: Glossary | None) -> None:
        self._names: dict[str, list[str]] = {}
        self._longest = 1
        if glossary is not None:
            for term in glossary.terms:
                self._add_family(term_names(term))

    def _add(self, name: str, others: Iterable[str]) -> None:
        key = fold(name)
        if not key:
            return
        known = self._names.setdefault(key, [])
        for other in others:
            if fold(other) != key and all(fold(o) != fold(other) for o in known):
                known.append(other)
        self._longest = max(self._longest, len(key.split()))

    def _add_family(self, names: Sequence[str]) -> None:
        for name in names:
            self._add(name, names)
        # An abbreviation and its long form sharing their last words ("NMDA receptor",
        # "N-methyl-D-aspartate receptor") pair up without them too: "N-methyl-D-aspartate"
        # ↔ "NMDA". Only then: "ketamine cystitis" must not make "ketamine" mean more.
        for short in names:
            short_words = _WORDS_AS_WRITTEN.findall(short)
            if len(short_words) < 2 or not _is_acronym(short_words[0]):
                continue
            for long in names:
                long_words = fold(long).split()
                tail = fold(" ".join(short_words[1:]))
                if len(long_words) > len(short_words) and " ".join(long_words).endswith(" " + tail):
                    stripped = " ".join(long_words[: len(long_words) - len(tail.split())])
                    self._add(short_words[0], [stripped])
                    self._add(stripped, [short_words[0]])

    @property
    def longest(self) -> int:
        """The most words any known name has."""
        return self._longest

    def glossary_names(self, key: str) -> list[str]:
        """Other names the glossary gives a folded name (plural forms looked up too)."""
        for candidate in (key, *_singulars(key)):
            found = self._names.get(candidate)
            if found:
                return found
        return []

    def expand(self, query: Query, store: Store | None = None) -> None:
        """Give the query's terms their alternatives, joining words that form one name.

        "brain-derived neurotrophic factor" typed as three words becomes one term whose
        alternatives include "BDNF". Only plain terms (no field, no prefix, alone in their
        group) are joined; any single term may be expanded.
        """
        groups = query.groups
        result: list[list[Term]] = []
        index = 0
        while index < len(groups):
            group = groups[index]
            if len(group) != 1 or group[0].column or group[0].prefix:
                for term in group:
                    if not term.prefix:
                        term.alternatives = self._alternatives(term.words, store)
                result.append(group)
                index += 1
                continue
            joined = None
            # The longest run of plain single terms that names something, from here.
            end = index + 1
            while (
                end < len(groups)
                and len(groups[end]) == 1
                and not groups[end][0].column
                and not groups[end][0].prefix
                and end - index < 8
            ):
                end += 1
            for stop in range(end, index + 1, -1):
                words = tuple(w for g in groups[index:stop] for w in g[0].words)
                if len(words) > max(self._longest, 8):
                    continue
                alternatives = self._alternatives(words, store)
                if alternatives:
                    text = " ".join(g[0].text for g in groups[index:stop])
                    joined = (Term(text, words, alternatives=alternatives), stop)
                    break
            if joined is not None:
                result.append([joined[0]])
                index = joined[1]
            else:
                group[0].alternatives = self._alternatives(group[0].words, store)
                result.append(group)
                index += 1
        query.groups = result

    def _alternatives(self, words: tuple[str, ...], store: Store | None) -> list[str]:
        key = " ".join(words)
        found = list(self.glossary_names(key))
        if store is not None:
            for other in article_names(store, key):
                if all(fold(other) != fold(o) for o in found):
                    found.append(other)
        return [name for name in found if fold(name) != key][:MAX_ALTERNATIVES]


def term_names(term: object) -> list[str]:
    """Every name of a glossary entry (its term, aliases and expansion)."""
    # Through getattr: the glossary's schema is growing (senses), this needs names only.
    names = getattr(term, "names", None)
    if callable(names):
        return list(names())
    found = [getattr(term, "term", "")]
    found += list(getattr(term, "aliases", ()))
    expansion = getattr(term, "expansion", "")
    if expansion:
        found.append(expansion)
    return [n for n in found if n]


def article_names(store: Store, key: str) -> list[str]:
    """Other names the cached articles define for a folded name: long forms of an
    abbreviation, or the abbreviations of a long form; the most common first."""
    words = key.split()
    found: list[str] = []
    if len(words) == 1:
        for candidate in (key, *_singulars(key)):
            found += [
                r[0]
                for r in store.select(
                    "SELECT MIN(long) FROM search_abbrevs WHERE short = ? COLLATE NOCASE "
                    "OR short = ? || 's' COLLATE NOCASE GROUP BY long_key "
                    "ORDER BY COUNT(*) DESC LIMIT 3",
                    (candidate, candidate),
                )
            ]
            if found:
                break
    for candidate in (key, *_singulars(key)):
        shorts = [
            r[0]
            for r in store.select(
                "SELECT MIN(short) FROM search_abbrevs WHERE long_key = ? "
                "GROUP BY short COLLATE NOCASE ORDER BY COUNT(*) DESC LIMIT 3",
                (candidate,),
            )
        ]
        if shorts:
            found += shorts
            break
    return found


# -- finding the hits again in an article -------------------------------------------------------

_SUFFIXES = ("ational", "ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s")


def _root(word: str) -> str:
    """A crude stem of a query word, so that "receptors" finds "receptor" as the index does."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def hit_pattern(query: Query) -> re.Pattern[str] | None:
    """A regex for the query's words, phrases and their other names in an article's text:
    what the reader highlights and jumps between. None for a query without words."""
    pieces: list[str] = []
    for term in query.terms():
        for words, prefix in (
            (term.words, term.prefix),
            *((tuple(tokens(a)), False) for a in term.alternatives),
        ):
            if not words:
                continue
            parts = [re.escape(w) for w in words[:-1]]
            last = words[-1]
            parts.append(re.escape(last if prefix else _root(last)) + r"[^\W_]*")
            pieces.append(r"[\W_]+".join(parts))
    if not pieces:
        return None
    # Longest first: "NMDA receptor" before "NMDA".
    pieces.sort(key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(pieces) + ")", re.IGNORECASE)


# -- running a query -----------------------------------------------------------------------------


@dataclass(slots=True)
class Match:
    """A query term as it matched one article."""

    term: str
    via: str | None = None
    """The other name the article used, when it matched through an expansion."""

    def to_json(self) -> dict[str, str]:
        """As `ketaread search --json` prints it."""
        return {"term": self.term, "via": self.via} if self.via else {"term": self.term}


@dataclass(slots=True)
class Hit:
    """One search result."""

    article_id: int
    score: float
    """Higher is better (bm25, sign flipped, with the column weights); 0 when sorted by date."""
    snippet: str
    """A short passage, hits between HIT_START and HIT_END."""
    matched: list[Match] = field(default_factory=list)


@dataclass(slots=True)
class Results:
    """What a query found."""

    query: Query
    hits: list[Hit]
    total: int
    """How many articles match in all (hits holds at most the limit); COUNT_CAP + 1 means
    more than COUNT_CAP."""
    index: IndexStatus | None = None
    """Set when the index does not cover every article yet."""


def snippet_spans(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """A snippet's plain text and the (start, end) offsets of its hits."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{HIT_START}{HIT_END}])", snippet):
        if piece == HIT_START:
            start = length
        elif piece == HIT_END:
            if start is not None and length > start:
                spans.append((start, length))
            start = None
        else:
            text.append(piece)
            length += len(piece)
    return "".join(text), spans


_SNIPPET_SPACE = re.compile(r"\s+")


def _filters(query: Query, per_match: bool = False) -> tuple[list[str], list[object]]:
    """SQL conditions on `articles a` for the query's filters. `per_match`: checked for
    each article a MATCH (or a walk by date) brings, by the tag's primary key, rather than
    as a list of every article the tag has (built first: 100-200 ms for a tag on 170,000
    of a 400,000-article cache, whatever the words matched)."""
    clauses, params = _state_filters(query)
    tagged = (
        "EXISTS (SELECT 1 FROM article_tags at WHERE at.article_id = a.id "
        "AND at.tag_id = (SELECT id FROM tags WHERE key = ?))"
        if per_match
        else "a.id IN (SELECT at.article_id FROM article_tags at JOIN tags t "
        "ON t.id = at.tag_id WHERE t.key = ?)"
    )
    for key in query.tags:
        clauses.append(tagged)
        params.append(key)
    for key in query.without_tags:
        clauses.append(f"NOT {tagged}")
        params.append(key)
    return clauses, params


def _state_filters(query: Query) -> tuple[list[str], list[object]]:
    """The conditions on an article's own columns (read, starred, date): indexed."""
    clauses: list[str] = []
    params: list[object] = []
    if query.unread is not None:
        clauses.append("a.read = ?")
        params.append(0 if query.unread else 1)
    if query.starred is not None:
        clauses.append("a.starred = ?")
        params.append(1 if query.starred else 0)
    if query.since is not None:
        clauses.append("a.sort_key >= ?")
        params.append(query.since)
    if query.until is not None:
        clauses.append("a.sort_key < ?")
        params.append(query.until)
    return clauses, params


def _nothing_passes(store: Store, query: Query) -> bool:
    """Whether no article can pass the query's filters: a tag no article has, or no article
    in that state or date range. Answered from the tags and the articles' indexes, where
    running the MATCH to find out reads every match (~100 ms for a common word at 400,000
    articles)."""
    for key in query.tags:
        if not store.select("SELECT 1 FROM tags WHERE key = ? LIMIT 1", [key]):
            return True
    clauses, params = _state_filters(query)
    return bool(clauses) and not store.select(
        f"SELECT 1 FROM articles a WHERE {' AND '.join(clauses)} LIMIT 1", params
    )


def _damaged(error: sqlite3.DatabaseError) -> SearchIndexError:
    return SearchIndexError(
        f"the search index cannot be read ({error}); run `ketaread search --rebuild` to rebuild it"
    )


def prepare(text: str, expander: Expander | None, store: Store | None = None) -> Query:
    """Parse and expand a query (QueryError when refused)."""
    query = parse_query(text)
    if not query.has_text and not (
        query.tags
        or query.without_tags
        or query.unread is not None
        or query.starred is not None
        or query.since is not None
        or query.until is not None
    ):
        raise QueryError('nothing to search for: type a word, a "phrase", +tag or is:unread')
    if expander is not None:
        expander.expand(query, store)
    return query


WALK_CHUNK = 1000
"""Articles taken at a time when walking them newest first (see `_newest_matches`)."""
WALK_SPAN = 64
"""A walk gives up on a chunk whose ids spread over more than this many times its size."""
WALK_ROWS = 16_000
"""A walk gives up after this many articles without finding enough matches."""


def _newest_matches(
    store: Store,
    match: str,
    where: str,
    params: list[object],
    wanted: int,
    skip: frozenset[int] = frozenset(),
) -> list[int] | None:
    """The newest `wanted` articles matching `match` and `where`, found by walking the
    articles newest first (their date index) a chunk at a time and asking the index which
    of each chunk match, through the chunk's id range: FTS5 seeks a rowid range, where
    `rowid IN (...)` runs the whole MATCH once per id.

    Sorting every match by date instead read all of them: 0.3-1 s for a word in every
    article of a 400,000-article cache. None when the walk would not pay: the chunk's ids
    are spread too far apart (ids that do not follow dates), or matches are too rare for
    WALK_ROWS articles to hold them (the caller sorts the matches instead).
    """
    found: list[int] = []
    after: tuple[float, int] | None = None
    walked = 0
    while len(found) < wanted:
        if walked >= WALK_ROWS:
            return None
        bound = "(a.sort_key < ? OR (a.sort_key = ? AND a.id < ?))" if after else "1"
        chunk = store.select(
            f"SELECT a.id, a.sort_key FROM articles a WHERE {where} AND {bound} "
            f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {WALK_CHUNK}",
            [*params, *((after[0], after[0], after[1]) if after else ())],
        )
        if not chunk:
            break
        walked += len(chunk)
        ids = [row[0] for row in chunk]
        low, high = min(ids), max(ids)
        if high - low > WALK_SPAN * WALK_CHUNK:
            return None
        matching = {
            row[0]
            for row in store.select(
                "SELECT rowid FROM search WHERE search MATCH ? AND rowid BETWEEN ? AND ?",
                [match, low, high],
            )
        }
        found += [i for i in ids if i in matching and i not in skip]
        if len(chunk) < WALK_CHUNK:
            break
        after = (chunk[-1][1], chunk[-1][0])
    return found[:wanted]


def run_query(store: Store, query: Query, limit: int = 50, count: bool = True) -> Results:
    """The best `limit` articles for a prepared query, with snippets and how they matched."""
    match = query.match_expression()
    clauses, params = _filters(query, per_match=match is not None)
    exclusion = query.exclusion_expression()
    if exclusion is not None:
        clauses.append("a.id NOT IN (SELECT rowid FROM search WHERE search MATCH ?)")
        params.append(exclusion)
    where = " AND ".join(clauses) or "1"
    limit = max(1, min(int(limit), 10_000))
    try:
        if match is None:
            rows = store.select(
                f"SELECT a.id, 0.0 FROM articles a WHERE {where} "
                f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {limit}",
                params,
            )
            total = (
                store.select(f"SELECT COUNT(*) FROM articles a WHERE {where}", params)[0][0]
                if count
                else len(rows)
            )
            hits = [Hit(r[0], 0.0, "") for r in rows]
            return Results(query, hits, int(total), _partial(store))
        # The weights in the SQL, not in FTS5's 'rank' setting: a setting stored in the file
        # would outlive an upgrade that changes them, and confuses open connections.
        bm25 = f"bm25(search, {', '.join(str(float(w)) for w in WEIGHTS)})"
        # CROSS JOIN: the index drives; a filter on articles must not make SQLite run the
        # MATCH once per unread (or dated) article.
        joined = "FROM search s CROSS JOIN articles a ON a.id = s.rowid WHERE search MATCH ?"
        total = 0 if _nothing_passes(store, query) else _count(store, joined, where, match, params)
        ranked = f"SELECT s.rowid, {bm25} {joined} AND {where} "
        rows = []
        newest = None
        if query.sort == "newest" and total > COUNT_CAP:
            # Thousands of matches: the newest are found along the date index.
            newest = _newest_matches(store, match, where, params, limit)
            if newest is not None:
                rows = [(i, 0.0) for i in newest]
        if newest is not None or total == 0:
            pass  # nothing to rank (a MATCH costs as much again as the count)
        elif query.sort == "relevance" and total > RANK_ALL_LIMIT:
            # A word in thousands of articles: bm25 costs 5-10 µs a match (hundreds of ms
            # for every article of a 40,000-article cache) and its IDF is near zero anyway.
            # Rank the articles that have it in the weighted parts (title, summary, tags,
            # author, feed), or in the title alone when those are thousands too; the rest
            # follow newest first.
            for columns in (("title", "summary", "tags", "author", "feed"), ("title",)):
                strong = query.match_expression(columns)
                found_there = _count(store, joined, where, strong, params)
                if found_there <= RANK_ALL_LIMIT:
                    if found_there:
                        rows = store.select(ranked + f"ORDER BY 2 LIMIT {limit}", [strong, *params])
                    break
            seen = {r[0] for r in rows}
            found = None
            if len(rows) < limit and total > COUNT_CAP:
                # The rest, newest first, along the date index (see _newest_matches).
                found = _newest_matches(
                    store, match, where, params, limit - len(rows), frozenset(seen)
                )
                if found is not None:
                    rows += [(i, 0.0) for i in found]
            if len(rows) < limit and found is None:
                more = store.select(
                    f"SELECT s.rowid, 0.0 {joined} AND {where} "
                    f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {limit + len(seen)}",
                    [match, *params],
                )
                rows += [r for r in more if r[0] not in seen][: limit - len(rows)]
        elif query.sort == "newest":
            # Scored 0, as the contract says: bm25 would read every match to weigh the words.
            rows = store.select(
                f"SELECT s.rowid, 0.0 {joined} AND {where} "
                f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {limit}",
                [match, *params],
            )
        else:
            rows = store.select(ranked + f"ORDER BY 2 LIMIT {limit}", [match, *params])
        # + 0.0: a zero score (sort:newest, unranked rows) is 0.0, never -0.0 in --json.
        hits = [Hit(r[0], float(f"{-float(r[1]):.6g}") + 0.0, "") for r in rows]
        if hits:
            prefix = any(term.prefix for term in query.terms())
            _add_snippets(store, match, hits, prefix)
            _add_matches(store, query, hits)
    except sqlite3.DatabaseError as error:
        raise _damaged(error) from error
    return Results(query, hits, int(total), _partial(store))


def _count(store: Store, joined: str, where: str, match: str | None, params: list[object]) -> int:
    """Matches, counted up to COUNT_CAP + 1 (an exact count of 40,000 costs 30 ms)."""
    if where == "1":  # no filter: the index alone counts
        sql = f"SELECT 1 FROM search WHERE search MATCH ? LIMIT {COUNT_CAP + 1}"
        args: list[object] = [match]
    else:
        sql = f"SELECT 1 {joined} AND {where} LIMIT {COUNT_CAP + 1}"
        args = [match, *params]
    return int(store.select(f"SELECT COUNT(*) FROM ({sql})", args)[0][0])


def _partial(store: Store) -> IndexStatus | None:
    if store in _complete:
        return None
    status = index_status(store)
    return None if status.complete else status


SNIPPET_SPAN = 2000
"""Hits whose ids lie within this many of each other get their snippets from one pass over
their id range (see _add_snippets)."""


def _add_snippets(store: Store, match: str, hits: list[Hit], prefix: bool = False) -> None:
    ids = [h.article_id for h in hits]
    marks = ",".join("?" * len(ids))
    found: dict[int, str] = {}
    low, high = min(ids), max(ids)
    if prefix or high - low <= SNIPPET_SPAN:
        # `rowid IN (...)` runs the MATCH once per id: a prefix query merges every word
        # it stands for each time (70 ms an id at 400,000 articles). One pass over the
        # hits' id range instead; `+rowid` keeps the list out of the index's hands.
        where, args = f"rowid BETWEEN ? AND ? AND +rowid IN ({marks})", [low, high, *ids]
    else:
        where, args = f"rowid IN ({marks})", ids
    for rowid, chosen in store.select(
        f"SELECT rowid, snippet(search, -1, char(2), char(3), '…', 14) FROM search "
        f"WHERE search MATCH ? AND {where}",
        [match, *args],
    ):
        found[rowid] = _SNIPPET_SPACE.sub(" ", chosen or "").strip()
    for hit in hits:
        hit.snippet = found.get(hit.article_id, "")


def _term_regex(words: Sequence[str], prefix: bool) -> re.Pattern[str] | None:
    if not words:
        return None
    parts = [re.escape(w) for w in words[:-1]]
    parts.append(re.escape(words[-1] if prefix else _root(words[-1])) + r"[^\W_]*")
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(parts), re.IGNORECASE)


def _add_matches(store: Store, query: Query, hits: list[Hit]) -> None:
    """Say for each hit which terms it matched, and through which other name.

    Checked on the indexed text of the hits alone (a regex per name over a few dozen
    articles): a MATCH per name, even limited to these rows, costs milliseconds each.
    """
    ids = [h.article_id for h in hits]
    marks = ",".join("?" * len(ids))
    texts: dict[int, dict[str, str]] = {}
    for row in store.select(
        f"SELECT rowid, {', '.join(COLUMNS)} FROM search WHERE rowid IN ({marks})", ids
    ):
        texts[row[0]] = {
            column: _strip_marks(value or "")
            for column, value in zip(COLUMNS, row[1:], strict=True)
        }
    for group in query.groups:
        for term in group:
            checked = len(group) > 1 or term.alternatives
            names = [(None, _term_regex(term.words, term.prefix))] + [
                (alternative, _term_regex(tokens(alternative), False))
                for alternative in term.alternatives
            ]
            for hit in hits:
                if not checked:
                    hit.matched.append(Match(term.text))
                    continue
                columns = texts.get(hit.article_id, {})
                wanted = [columns.get(term.column, "")] if term.column else list(columns.values())
                for via, pattern in names:
                    if pattern is not None and any(pattern.search(text) for text in wanted):
                        hit.matched.append(Match(term.text, via))
                        break


def search(
    store: Store,
    text: str,
    glossary: Glossary | None = None,
    limit: int = 50,
    *,
    expander: Expander | None = None,
    count: bool = True,
) -> Results:
    """Parse, expand and run a query in one call."""
    if expander is None:
        # Without a glossary, the articles' own definitions still expand.
        expander = expander_for(glossary) if glossary is not None else Expander(None)
    try:
        query = prepare(text, expander, store)
    except sqlite3.DatabaseError as error:
        raise _damaged(error) from error
    return run_query(store, query, limit, count)


def count_matches(store: Store, text: str, expander: Expander | None = None) -> int:
    """How many articles a query finds, exactly (a saved search's count in the sidebar)."""
    query = prepare(text, expander, store)
    clauses, params = _filters(query)
    match = query.match_expression()
    exclusion = query.exclusion_expression()
    if exclusion is not None:
        clauses.append("a.id NOT IN (SELECT rowid FROM search WHERE search MATCH ?)")
        params.append(exclusion)
    where = " AND ".join(clauses) or "1"
    try:
        if match is None:
            sql, args = f"SELECT COUNT(*) FROM articles a WHERE {where}", params
        else:
            sql = (
                "SELECT COUNT(*) FROM search s CROSS JOIN articles a ON a.id = s.rowid "
                f"WHERE search MATCH ? AND {where}"
            )
            args = [match, *params]
        return int(store.select(sql, args)[0][0])
    except sqlite3.DatabaseError as error:
        raise _damaged(error) from error


_expanders: dict[int, tuple[object, Expander]] = {}
_expanders_lock = threading.Lock()


def expander_for(glossary: Glossary) -> Expander:
    """The expander of a glossary, built once per glossary object."""
    with _expanders_lock:
        cached = _expanders.get(id(glossary))
        if cached is not None and cached[0] is glossary:
            return cached[1]
    made = Expander(glossary)
    with _expanders_lock:
        _expanders.clear()  # one glossary at a time in practice
        _expanders[id(glossary)] = (glossary, made)
    return made


__all__ = [
    "COLUMNS",
    "HIT_END",
    "HIT_START",
    "INDEX_VERSION",
    "WEIGHTS",
    "Document",
    "Expander",
    "Hit",
    "IndexStatus",
    "Match",
    "Query",
    "QueryError",
    "Results",
    "SearchIndexError",
    "Term",
    "build_index",
    "check_index",
    "count_matches",
    "document_for",
    "expander_for",
    "index_status",
    "parse_query",
    "prepare",
    "run_query",
    "search",
    "snippet_spans",
]
