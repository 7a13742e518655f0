"""Study data out to the tools readers already use: Markdown for Obsidian (YAML front matter,
highlights, notes, cards in the spaced-repetition plugin's `Q::A` and `==cloze==` syntax),
Anki's TSV import (with its header lines), Readwise's CSV, and ketaread's own JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ketaread.core.study.store import Card, Highlight, StudyStore

_UNSAFE_NAME = re.compile(r"[^\w\- ]+")


def _one_line(text: str) -> str:
    """A field for a line-based format: tabs and line breaks become spaces."""
    return " ".join(text.split())


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escaping is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _date(stamp: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(stamp))


@dataclass(slots=True)
class ArticleStudy:
    """Everything studied in one article."""

    key: str
    title: str = ""
    link: str = ""
    feed: str = ""
    highlights: list[Highlight] = field(default_factory=list)
    note: str = ""
    cards: list[Card] = field(default_factory=list)


def by_article(store: StudyStore) -> list[ArticleStudy]:
    """Highlights, notes and cards grouped by article, in the order first studied."""
    articles: dict[str, ArticleStudy] = {}
    for highlight in store.highlights():
        entry = articles.setdefault(
            highlight.article,
            ArticleStudy(highlight.article, highlight.title, highlight.link, highlight.feed),
        )
        entry.highlights.append(highlight)
    for note in store.article_notes():
        key = str(note["article"])
        entry = articles.setdefault(
            key, ArticleStudy(key, str(note["title"]), str(note["link"]), str(note["feed"]))
        )
        entry.note = str(note["note"])
    cards_by_article: dict[str, list[Card]] = defaultdict(list)
    for card in store.cards():
        cards_by_article[card.article].append(card)
    for key, cards in cards_by_article.items():
        if key in articles:
            articles[key].cards = cards
    return list(articles.values())


def file_name(article: ArticleStudy) -> str:
    """A file name for an article's note: its title, made safe, and its key."""
    title = _UNSAFE_NAME.sub("", article.title).strip()[:60].strip() or "article"
    return f"{title} ({article.key}).md"


def to_markdown(
    article: ArticleStudy, tags: list[str] | None = None, published: float | None = None
) -> str:
    """One article's study note for Obsidian; `date` is the article's, else the first
    highlight's."""
    lines = ["---", f"title: {_yaml_string(article.title)}"]
    if article.link:
        lines.append(f"source: {_yaml_string(article.link)}")
    if article.feed:
        lines.append(f"feed: {_yaml_string(article.feed)}")
    if tags:
        lines.append("tags: [" + ", ".join(_yaml_string(t) for t in tags) + "]")
    first = published or min((h.created for h in article.highlights), default=None)
    if first is not None:
        lines.append(f"date: {_date(first)}")
    lines += ["ketaread: " + _yaml_string(article.key), "---", "", f"# {article.title}", ""]
    if article.note:
        lines += ["## Notes", "", article.note.strip(), ""]
    if article.highlights:
        lines += ["## Highlights", ""]
        for highlight in article.highlights:
            lines.append(f"> {_one_line(highlight.quote)}")
            lines.append(f"> — *{highlight.color}*")
            if highlight.note:
                lines += ["", highlight.note.strip()]
            lines.append("")
    if article.cards:
        lines += ["## Cards", "", "#flashcards", ""]
        for card in article.cards:
            if card.kind == "cloze":
                lines.append(_one_line(card.front.replace("[…]", f"=={card.back}==", 1)))
            else:
                lines.append(f"{_one_line(card.front)}::{_one_line(card.back)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def term_cards_markdown(cards: list[Card]) -> str:
    """The cards not tied to an article (glossary terms, abbreviations), for Obsidian."""
    lines = ["---", 'title: "ketaread glossary cards"', "---", "", "#flashcards", ""]
    for card in cards:
        lines.append(f"{_one_line(card.front)}::{_one_line(card.back)}")
    return "\n".join(lines) + "\n"


def to_anki_tsv(cards: list[Card], deck: str = "ketaread") -> str:
    """Anki's text import with its header lines: front, back, tags."""
    out = [
        "#separator:tab",
        "#html:false",
        "#notetype:Basic",
        f"#deck:{_one_line(deck)}",
        "#tags column:3",
    ]
    buffer = io.StringIO()
    # Anki reads its text files as CSV: a field with a quote or the separator is quoted,
    # and one starting with '#' too (unquoted, Anki would take the line for a comment).
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    for card in cards:
        front = card.front.replace("[…]", "_____") if card.kind == "cloze" else card.front
        fields = [_one_line(front), _one_line(card.back), f"ketaread ketaread::{card.kind}"]
        line = buffer.tell()
        writer.writerow(fields)
        if fields[0].startswith("#"):
            buffer.seek(line)
            buffer.truncate()
            quoted = '"' + fields[0].replace('"', '""') + '"'
            buffer.write("\t".join([quoted, *fields[1:]]).rstrip() + "\n")
    return "\n".join(out) + "\n" + buffer.getvalue()


READWISE_COLUMNS = ("Highlight", "Title", "Author", "URL", "Note", "Location", "Date")


def to_readwise_csv(highlights: list[Highlight]) -> str:
    """Readwise's CSV import."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(READWISE_COLUMNS)
    for highlight in highlights:
        writer.writerow(
            (
                highlight.quote,
                highlight.title,
                highlight.author or highlight.feed,
                highlight.link,
                highlight.note,
                highlight.start,
                time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(highlight.created)),
            )
        )
    return buffer.getvalue()
