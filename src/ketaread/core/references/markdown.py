"""Linking citations in the html2text Markdown to the references they point to."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from ketaread.core.links import cite_link
from ketaread.core.markdown_regions import code_regions
from ketaread.core.references.blocks import NUMERIC_MARK, SUPER_RUN, from_superscript
from ketaread.core.references.citations import WORD_BEFORE
from ketaread.core.references.domains import WHITESPACE
from ketaread.core.references.model import ReferenceAnalysis

# Never from an escaped "\[" (article text, escaped by the renderer): a match begun there
# would scan to the end of the text.
_MD_LINK = re.compile(
    r"(?<!\\)!?\[((?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*)\]"
    r"\(((?:\\.|[^()\\\s]|\((?:\\.|[^()\\\s])*\))*)(?:\s+\"[^\"]*\")?\)"
)
_MD_AUTOLINK = re.compile(r"<[a-zA-Z][a-zA-Z0-9+.\-]*:[^\s<>]*>")
_MD_BARE_URL = re.compile(r"https?://[^\s<>()\[\]]+")
_MD_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
_MD_REF_HEADING = re.compile(
    r"^[ \t]*(?:#{1,6}[ \t]+)?(?:\*\*|__)?[ \t]*(?:references?(?:[ \t]+list)?|"
    r"literature[ \t]+cited|sources?|citations?|"
    r"bibliography|works[ \t]+cited|notes|footnotes|endnotes)[ \t]*:?[ \t]*(?:\*\*|__)?"
    r"[ \t]*:?[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
_MD_PAREN = re.compile(r"\(((?:[^()]|\]\((?:\\.|[^()\\\s])*\))*)\)")
# The renderer escapes brackets in article text ("\[1\]"), so that feed text cannot make
# links; a marker is found with or without those escapes.
_MD_BRACKET = re.compile(r"\\?\[(\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*)\\?\]")
# A superscript number as html2text leaves it: glued to the word or punctuation before it,
# or after one space when a clause ends right after it ("effects 2.").
_MD_GLUED = re.compile(
    r"(?:(?<=[A-Za-z.,;:)”’\"'*_])|(?<=[A-Za-z.,;:)”’\"'*_] )(?=\d[\d,–-]*(?:[.,;:)]|$)))"
    r"(\d{1,3}(?:[,–-]\d{1,3})*)(?![\w+%])",
    re.MULTILINE,
)
_MD_UNESCAPE = re.compile(r"\\(.)")
_MD_LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_NUMERIC = re.compile(r"\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*")


def _escaped(text: str, pos: int) -> bool:
    """Whether the character at pos is backslash-escaped (an odd run of backslashes before)."""
    run = 0
    while pos - run - 1 >= 0 and text[pos - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _md_norm(text: str) -> str:
    """Visible text of a Markdown fragment, for comparing with a citation marker."""
    if "](" in text:
        text = _MD_LINK_TEXT.sub(r"\1", text)
    text = _MD_UNESCAPE.sub(r"\1", text).replace("*", "").replace("_", "")
    return WHITESPACE.sub(" ", text).strip()


def _num_norm(text: str) -> str:
    """A numeric marker without spaces and with one kind of dash."""
    return "".join(text.split()).replace("–", "-").replace("—", "-").strip("[]")


@dataclass(slots=True)
class _MdCandidate:
    """A place in the Markdown where a citation may be: its span, key and kind."""

    start: int
    end: int
    key: str
    kind: str  # "name", "number", "glued", "fnlink" or "blocked"
    replacement: str = ""


class _Spans:
    """Sorted, merged character ranges with a fast overlap test."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _e in merged]
        self.ends = [e for _s, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        """Whether [start, end) shares a character with any range."""
        i = bisect_right(self.starts, max(start, end - 1)) - 1
        return i >= 0 and self.ends[i] > start


def _md_candidates(markdown: str) -> list[_MdCandidate]:
    """All places that could hold a citation, in order, with protected regions left out."""
    spans: list[tuple[int, int]] = code_regions(markdown)
    for m in _MD_REF_HEADING.finditer(markdown):
        nxt = _MD_HEADING.search(markdown, m.end())
        spans.append((m.start(), nxt.start() if nxt else len(markdown)))
    code = _Spans(spans)

    candidates: list[_MdCandidate] = []
    for m in _MD_LINK.finditer(markdown):
        if code.overlaps(m.start(), m.end()):
            continue
        label = _md_norm(m.group(1))
        if not m.group(0).startswith("!") and NUMERIC_MARK.fullmatch(label):
            kind = "fnlink" if m.group(2).startswith("#") else "blocked"
            candidates.append(
                _MdCandidate(m.start(), m.end(), _num_norm(label), kind, f"[{m.group(1)}]")
            )
        spans.append(m.span())
    spans.extend(m.span() for m in _MD_AUTOLINK.finditer(markdown))
    spans.extend(m.span() for m in _MD_BARE_URL.finditer(markdown))
    protected = _Spans(spans)

    for m in _MD_PAREN.finditer(markdown):
        if _escaped(markdown, m.start()):
            continue
        inner = m.group(1)
        if "](" in inner:
            # A link inside the parentheses: the citation is there but cannot be linked.
            if not protected.overlaps(m.start(), m.start() + 1):
                candidates.append(_MdCandidate(m.start(1), m.end(1), _md_norm(inner), "blocked"))
            continue
        if protected.overlaps(m.start(), m.end()):
            continue
        offset = m.start(1)
        for part in inner.split(";"):
            start = offset + len(part) - len(part.lstrip())
            offset += len(part) + 1
            text = part.strip()
            if not text:
                continue
            key = _md_norm(text)
            if _MD_NUMERIC.fullmatch(key):
                # Vancouver numbers in parentheses: "(2, 3)".
                candidates.append(_MdCandidate(start, start + len(text), _num_norm(key), "number"))
            else:
                candidates.append(_MdCandidate(start, start + len(text), key, "name"))
    for m in _MD_BRACKET.finditer(markdown):
        start = m.start()
        if markdown[start] == "\\" and _escaped(markdown, start):
            start += 1  # a literal backslash ("\\") before a plain bracket
        elif _escaped(markdown, start):
            continue
        if not protected.overlaps(start, m.end()):
            candidates.append(_MdCandidate(start, m.end(), _num_norm(m.group(1)), "number"))
    for m in _MD_GLUED.finditer(markdown):
        if not protected.overlaps(m.start(), m.end()):
            candidates.append(_MdCandidate(m.start(), m.end(), _num_norm(m.group(1)), "glued"))
    for m in SUPER_RUN.finditer(markdown):
        if not protected.overlaps(m.start(), m.end()):
            key = _num_norm(from_superscript(m.group(0)))
            candidates.append(_MdCandidate(m.start(), m.end(), key, "glued"))
    candidates.sort(key=lambda c: (c.start, c.end))
    return candidates


def _glued_fits(markdown: str, cand: _MdCandidate, sentence: str) -> bool:
    """Whether the word a bare superscript number follows ends a word of the sentence."""
    m = WORD_BEFORE.search(markdown[max(0, cand.start - 60) : cand.start].rstrip(".,;:)”’\"'*_"))
    if not m:
        return True
    return re.search(r"(?<![\w])" + re.escape(m.group(1)) + r"(?![\w])", sentence) is not None


# Words, not superscript digits ("¹" is a word character that is not a decimal digit).
_LETTERS = re.compile(r"[^\W\d_⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_MD_SENTENCE_END = re.compile(r"[.!?][\"”’')\]*_⁰¹²³⁴⁵⁶⁷⁸⁹,⁻]*\s+")
_MAX_TRIES = 64
"""Places with a citation's marker tried before giving it up: hostile bodies repeat one
marker thousands of times, and each try costs a look at the words before it."""
_MD_LINK_TARGET = re.compile(r"\]\((?:\\.|[^()\\\s]|\([^()\s]*\))*\)")


def _context_fits(markdown: str, cand: _MdCandidate, sentence_words: set[str]) -> bool:
    """Whether the last words before a place on its line all occur in the citing sentence.

    This keeps a citation that html2text rendered differently from claiming the next
    citation's place further down, which would shift every later link by one.
    """
    line_start = markdown.rfind("\n", max(0, cand.start - 200), cand.start) + 1
    window = _MD_LINK_TARGET.sub("]", markdown[max(line_start, cand.start - 200) : cand.start])
    # Only the words of the sentence the place is in (a citation after "." has none).
    window = _MD_SENTENCE_END.split(window)[-1]
    words = _LETTERS.findall(window.lower())[-3:]
    return all(w in sentence_words for w in words)


_MD_NARRATIVE = re.compile(r"(?P<name>[^()]+?)\s*\((?P<inner>[^()]+)\)")


def _narrative_start(markdown: str, cand: _MdCandidate, name: str) -> int | None:
    """Where the name of a narrative citation starts, right before its "(", if written plainly."""
    paren = cand.start - 1
    while paren >= 0 and markdown[paren] != "(":
        paren -= 1
    if paren < 0 or cand.start - paren > 3:
        return None
    before = markdown[max(0, paren - len(name) - 4) : paren].rstrip(" ")
    if not before.endswith(name) or "\n" in before[len(before) - len(name) :]:
        return None
    start = paren - (len(markdown[:paren]) - len(markdown[:paren].rstrip(" "))) - len(name)
    if start > 0 and (markdown[start - 1].isalnum() or markdown[start - 1] in "[\\"):
        return None
    return start


def link_citations(markdown: str, analysis: ReferenceAnalysis) -> str:
    """Link each citation in html2text Markdown to `ketaread://cite/<index>`.

    The k-th citation is matched to the next place after the (k-1)-th's whose visible text
    equals its marker. Names become `([Name](ketaread://cite/N))`, bracket markers
    `[[1]](ketaread://cite/N)`, bare superscript numbers `word[1](ketaread://cite/N)`, and
    footnote links `[1](#fn1)` are retargeted. Code, links, URLs and reference sections are
    never touched, and every other character is kept.
    """
    if not analysis.citations or not markdown:
        return markdown
    candidates = _md_candidates(markdown)
    edits: list[tuple[int, int, str]] = []
    words_of: dict[str, set[str]] = {}
    j = 0
    for citation in sorted(analysis.citations, key=lambda c: c.index):
        numeric = _MD_NUMERIC.fullmatch(citation.marker.strip("[] ")) is not None
        key = _num_norm(citation.marker) if numeric else _md_norm(citation.marker)
        narrative = None if numeric else _MD_NARRATIVE.fullmatch(citation.marker)
        if narrative:
            key = _md_norm(narrative.group("inner"))
        sentence_words = words_of.get(citation.sentence)
        if sentence_words is None:
            sentence_words = set(_LETTERS.findall(citation.sentence.lower()))
            words_of[citation.sentence] = sentence_words
        tries = 0
        for k in range(j, len(candidates)):
            cand = candidates[k]
            if cand.key != key:
                continue
            tries += 1
            if tries > _MAX_TRIES:
                break
            if numeric != (cand.kind != "name") and cand.kind != "blocked":
                continue
            if cand.kind == "glued" and not _glued_fits(markdown, cand, citation.sentence):
                continue
            if not _context_fits(markdown, cand, sentence_words):
                continue
            if edits and cand.start < edits[-1][1]:
                continue
            j = k + 1
            target = cite_link(citation.index)
            original = markdown[cand.start : cand.end]
            if narrative and cand.kind == "name":
                start = _narrative_start(markdown, cand, narrative.group("name"))
                if start is not None and (not edits or start >= edits[-1][1]):
                    # The whole "Zarate et al. (2006)" becomes the link.
                    whole = markdown[start : cand.end + 1]
                    edits.append((start, cand.end + 1, f"[{whole}]({target})"))
                    break
            if cand.kind == "fnlink":
                edits.append((cand.start, cand.end, f"{cand.replacement}({target})"))
            elif cand.kind != "blocked":
                edits.append((cand.start, cand.end, f"[{original}]({target})"))
            break
    if not edits:
        return markdown
    out = []
    prev = 0
    for start, end, replacement in edits:
        out.append(markdown[prev:start])
        out.append(replacement)
        prev = end
    out.append(markdown[prev:])
    return "".join(out)
