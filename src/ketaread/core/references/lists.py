"""Finding an article's reference list and reading its entries."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from urllib.parse import urljoin

from ketaread.core.references.blocks import Block
from ketaread.core.references.domains import (
    WHITESPACE,
    domain_source,
    looks_like_name,
    url_host,
    word_set,
)
from ketaread.core.references.identifiers import (
    DOI_IN_TEXT,
    PMCID,
    PMID_IN_TEXT,
    find_ids,
    reference_kind,
)
from ketaread.core.references.labels import (
    AUTHOR_DATE_HEAD,
    VOLUME,
    doi_year,
    entry_fields,
    first_author,
    is_host,
    is_journal_name,
    reference_label,
    study_year,
)
from ketaread.core.references.model import Reference

_REF_HEADING = re.compile(
    r"(?:references?(?:\s+list)?|literature\s+cited|sources?|citations?|bibliography|works\s+cited|notes|footnotes|endnotes)"
    r"\s*:?",
    re.IGNORECASE,
)
_STOP_LINE = re.compile(
    r"(?:(?:medical\s+|important\s+)?disclaimer\b|(?:medically\s+)?reviewed\s+by\b|"
    r"written\s+by\b|about\s+the\s+author\b|the\s+post\b.*\bappeared\s+first\s+on\b|"
    r"share\s+this\b|related\s+(?:posts|articles|reading)\b|copyright\b|©|"
    r"this\s+(?:article|post|blog|content)\s+is\s+(?:for|not|intended)\b)",
    re.IGNORECASE,
)
_FOOTNOTE_ID = re.compile(
    r"(?:fn|footnote|note|endnote|cite_note|ref)[-_:]?(?:note-)?(\d{1,3})", re.IGNORECASE
)
_NUM_PREFIX = re.compile(r"\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)])\s+")
_URL = re.compile(r"https?://[^\s<>\"]+")
_URL_TRAIL = ".,;:!?)]'’”"
_BACKLINK = re.compile(r"[↩↑⤴]\ufe0e?|\s\^(?=\s|$)")
_LEFTOVER = re.compile(
    r"\((?:\s|[,;:])*\)|\[(?:\s|[,;:])*\]|<\s*>|\b(?:available\s+(?:at|from)|retrieved\s+from|"
    r"url)\s*:?\s*(?=$|[.;,])",
    re.IGNORECASE,
)
_COLLEAGUES = re.compile(
    r"(?P<surname>[A-Z][\w'’\-]+(?:-[A-Z][\w'’\-]+)?)\s+(?:and\s+colleagues|et\s+al\b)"
)
ABBREVIATIONS = word_set(
    "dr mr mrs ms st inc co ltd jr sr vs al us uk eg ie no vol fig approx etc cf ph"
)


@dataclass(slots=True)
class _Entry:
    """Raw text of one reference entry and the links inside it."""

    text: str
    hrefs: list[str]
    number: int | None
    block: int  # index of the block it started in


def _bare_urls(text: str) -> list[str]:
    """http(s) URLs written out in the text, trailing punctuation removed."""
    urls = []
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(_URL_TRAIL)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        urls.append(url)
    return urls


def _first_period(text: str) -> int:
    """Offset of the first '.' that ends a phrase (not an abbreviation), or -1."""
    for m in re.finditer(r"\.(?=\s|$)", text):
        # A bounded look back: an entry of thousands of initials must stay linear.
        word = re.search(r"([\w.]+)$", text[max(0, m.start() - 40) : m.start()])
        token = word.group(1).replace(".", "").lower() if word else ""
        if token and (len(token) == 1 or token in ABBREVIATIONS):
            continue
        return m.start()
    return -1


def _split_source(body: str, urls: list[str]) -> tuple[str, str]:
    """(source, description) of an entry; see the module docstring."""
    cut = _first_period(body)
    if cut > 0:
        prefix = body[:cut].strip()
        if looks_like_name(prefix):
            return prefix, body[cut + 1 :].strip()
    if looks_like_name(body.rstrip(".").strip()) and len(body.split()) <= 8:
        return body.rstrip(".").strip(), ""
    source = domain_source(urls)
    if not source:
        m = re.match(r"([A-Z][\w'’\-]+),", body)
        if m:
            source = m.group(1)
        elif urls:
            source = url_host(urls[0])
    return source, body


def resolve(href: str, base_url: str) -> str:
    """An href made absolute against base_url (unchanged when there is no base)."""
    if not base_url:
        return href
    try:
        return urljoin(base_url, href)
    except ValueError:
        return href


def _make_reference(entry: _Entry, number: int, base_url: str) -> Reference | None:
    """Build a Reference from a raw entry, or None when nothing is left of it."""
    text = WHITESPACE.sub(" ", _BACKLINK.sub(" ", entry.text)).strip()
    m = _NUM_PREFIX.match(text)
    if m:
        text = text[m.end() :]
    urls: list[str] = []
    for href in entry.hrefs:
        url = resolve(href, base_url)
        if url and url not in urls:
            urls.append(url)
    for url in _bare_urls(text):
        url = resolve(url, base_url)
        if url not in urls:
            urls.append(url)
    body = _URL.sub(" ", text)
    body = _LEFTOVER.sub(" ", body)
    body = WHITESPACE.sub(" ", body).strip(" ,;:-–—")
    if not body and not urls:
        return None
    source, description = _split_source(body, urls)
    ids = find_ids(urls, text)
    fields = entry_fields(body)
    if not source or (is_host(source) and fields.author):
        source = fields.author or source
    kind = reference_kind(urls, ids, source, fields, body)
    if fields.author == source and not fields.venue and is_journal_name(source):
        # "Archives of General Psychiatry. A crossover trial…": the name is where the work
        # appeared, not who wrote it.
        fields.venue, fields.author = source, ""
        # "… Yang and colleagues' 2018 rodent study …", "Li et al. showed …": the author.
        if m := _COLLEAGUES.match(description):
            fields.author = m.group("surname")
    ref = Reference(
        number=number,
        source=source,
        text=description,
        urls=urls,
        ids=ids,
        kind=kind,
        author=fields.author,
        year=fields.year or doi_year(ids.get("doi")) or study_year(description),
        venue=fields.venue,
    )
    ref.label = reference_label(ref)
    return ref


def _block_lines(block: Block) -> list[tuple[str, list[str]]]:
    """Split a block at `<br>` line breaks: (line text, external hrefs inside it)."""
    lines = []
    pos = 0
    for line in block.text.split("\n"):
        end = pos + len(line)
        hrefs = [h for s, e, h in block.links if (s < end and e > pos) or s == e == pos]
        lines.append((line, hrefs))
        pos = end + 1
    return lines


def _looks_like_entry(line: str, hrefs: list[str]) -> bool:
    """Whether a paragraph line plausibly is a reference rather than prose."""
    if hrefs or _URL.search(line) or _NUM_PREFIX.match(line):
        return True
    if DOI_IN_TEXT.search(line) or PMID_IN_TEXT.search(line) or PMCID.search(line):
        return True
    cut = _first_period(line)
    if cut > 0 and looks_like_name(line[:cut].strip()):
        return True
    # "Author, A. (2020). Title..." or "Author AB, ... Journal. 2020;4:1-9."
    head = AUTHOR_DATE_HEAD.match(line)
    if head and "(" not in head.group("who") and first_author(head.group("who")):
        return True
    return bool(VOLUME.search(line)) and bool(first_author(line.split(". ", 1)[0]))


def _section_entries(blocks: list[Block], start: int, end: int, first_lines: bool) -> list[_Entry]:
    """Collect the entries of the section whose heading is blocks[start]."""
    entries: list[_Entry] = []
    numbered = False
    base_depth: int | None = None
    for i in range(start, end):
        block = blocks[i]
        if block.kind == "hr":
            if entries:
                break
            continue
        if block.kind == "li":
            if base_depth is None:
                base_depth = block.depth
            hrefs = [h for _s, _e, h in block.links]
            if block.depth > base_depth and entries:
                entries[-1].text += " " + block.text
                entries[-1].hrefs.extend(hrefs)
                continue
            m = _NUM_PREFIX.match(block.text)
            number = int(m.group(1) or m.group(2)) if m else block.number
            if number is None and (fid := _FOOTNOTE_ID.fullmatch(block.elem_id)):
                number = int(fid.group(1))
            entries.append(_Entry(block.text, hrefs, number, i))
            continue
        if base_depth is not None:
            # A paragraph after the list (a disclaimer, a call to action) ends the section.
            break
        lines = _block_lines(block)
        if i == start:
            if not first_lines:
                continue
            lines = lines[1:]
        for line, hrefs in lines:
            stripped = line.strip()
            if not stripped:
                continue
            if _STOP_LINE.match(stripped):
                return entries
            m = _NUM_PREFIX.match(stripped + " ")
            last = entries[-1] if entries else None
            url_only = not _URL.sub("", stripped).strip(" .,;:<>()[]")
            if m:
                numbered = True
                entries.append(_Entry(stripped, hrefs, int(m.group(1) or m.group(2)), i))
            elif last is not None and (
                (numbered and last.block == i)
                or (url_only and not (last.hrefs or _URL.search(last.text)))
            ):
                # A wrapped line of a numbered entry, or the URL of an entry without one.
                last.text += " " + stripped
                last.hrefs.extend(hrefs)
            elif _looks_like_entry(stripped, hrefs):
                entries.append(_Entry(stripped, hrefs, None, i))
            elif (
                last is not None and last.block == i and not (last.hrefs or _URL.search(last.text))
            ):
                last.text += " " + stripped
    return entries


def _find_sections(blocks: list[Block]) -> list[tuple[int, int, bool]]:
    """(heading block, end block, heading shares its block with entries) of each section."""
    sections = []
    heading_indexes = [i for i, b in enumerate(blocks) if b.kind == "h"]
    for i, block in enumerate(blocks):
        if block.kind == "h":
            if not _REF_HEADING.fullmatch(block.text.strip()):
                continue
            first_lines = False
        elif block.kind == "p":
            first = block.text.split("\n", 1)[0].strip()
            if not _REF_HEADING.fullmatch(first.strip("*_ ")):
                continue
            first_lines = True
        else:
            continue
        nxt = bisect_right(heading_indexes, i)
        end = heading_indexes[nxt] if nxt < len(heading_indexes) else len(blocks)
        sections.append((i, end, first_lines))
    return sections


# "… of its own. Source: American Journal of Psychiatry, https://doi.org/…" ending a
# paragraph (digests and news items name their source so, without a heading).
_INLINE_SOURCE = re.compile(
    r"(?:^|(?<=[.!?)”\"])\s+)(?:sources?|references?)\s*:\s+(?P<rest>[^\n]{1,2000})$",
    re.IGNORECASE,
)
MAX_INLINE_SOURCES = 20


def _inline_sources(blocks: list[Block]) -> list[_Entry]:
    """Entries of "Source: Name, URL" lines that end paragraphs, when there is no list: each
    part (split at ';') that carries a link, a URL or an identifier."""
    entries: list[_Entry] = []
    for i, block in enumerate(blocks):
        if block.kind != "p" or len(entries) >= MAX_INLINE_SOURCES:
            continue
        # Only the paragraph's last line, and only its end: bounded on a huge paragraph.
        offset = max(block.text.rfind("\n") + 1, len(block.text) - 2000)
        tail = block.text[offset:]
        m = _INLINE_SOURCE.search(tail)
        if m is None:
            continue
        start = offset + m.start("rest")
        for part in m.group("rest").split(";"):
            end = start + len(part)
            hrefs = [h for s, e, h in block.links if s < end and e > start]
            text = part.strip()
            start = end + 1
            if text and (
                hrefs or _URL.search(text) or DOI_IN_TEXT.search(text) or PMID_IN_TEXT.search(text)
            ):
                entries.append(_Entry(text, hrefs, None, i))
    return entries


def extract_references(
    blocks: list[Block], base_url: str
) -> tuple[list[Reference], set[int], bool]:
    """The article's references, the block indexes of reference sections, and whether the
    list is numbered (an ordered list, numbered lines or footnotes)."""
    sections = _find_sections(blocks)
    excluded: set[int] = set()
    best: list[_Entry] = []
    for start, end, first_lines in sections:
        excluded.update(range(start, end))
        entries = _section_entries(blocks, start, end, first_lines)
        if len(entries) >= len(best):
            best = entries
    footnotes = [
        i
        for i, b in enumerate(blocks)
        if b.kind in ("li", "p")
        and b.elem_id
        and _FOOTNOTE_ID.fullmatch(b.elem_id)
        and not b.elem_id.lower().startswith(("fnref", "ref-"))
    ]
    excluded.update(footnotes)
    if not best and footnotes:
        for i in footnotes:
            block = blocks[i]
            fid = _FOOTNOTE_ID.fullmatch(block.elem_id)
            assert fid is not None
            hrefs = [h for _s, _e, h in block.links]
            best.append(_Entry(block.text, hrefs, int(fid.group(1)), i))
    if not best:
        best = _inline_sources(blocks)
    references: list[Reference] = []
    numbered = any(entry.number is not None for entry in best)
    previous = 0
    for entry in best:
        number = entry.number if entry.number is not None else previous + 1
        ref = _make_reference(entry, number, base_url)
        if ref is not None:
            references.append(ref)
            previous = number
    return references, excluded, numbered
