"""HTML to flat text blocks (headings, paragraphs, list items), with their links and marks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ketaread.core.references.domains import WHITESPACE, word_set


@dataclass(slots=True)
class Block:
    """A run of text between block boundaries, with its inline items."""

    kind: str  # "h", "p", "li" or "hr"
    level: int = 0
    parts: list[str] = field(default_factory=list)
    length: int = 0
    text: str = ""
    links: list[tuple[int, int, str]] = field(default_factory=list)
    """(start, end, href) of external links, offsets into `text`."""
    markers: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(offset, marker, href, original text) of superscript or footnote-link markers kept out
    of `text`."""
    code: list[tuple[int, int]] = field(default_factory=list)
    number: int | None = None
    explicit_number: bool = False
    elem_id: str = ""
    depth: int = 0


_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BOUNDARY_TAGS = word_set(
    """p div blockquote td th dt dd pre figcaption caption section article aside header
    footer main nav table tr ul ol"""
)
NUMERIC_MARK = re.compile(r"\[?\s*(\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*)\s*\]?")
# A superscript right after a digit or a one- or two-letter token is a power ("10<sup>4</sup>",
# "cm<sup>2</sup>", "x<sup>2</sup>"), not a citation.
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_DIGIT = re.compile(f"[{_SUPERSCRIPTS}]")
# A run of superscript numbers: "¹", "¹⁰", "²,³", "⁴⁻⁶", "³–⁵"; not a charge ("²⁺", "²⁻")
# or part of a superscript formula.
SUPER_RUN = re.compile(
    f"(?<![⁺⁻⁼⁽⁾ⁿⁱ{_SUPERSCRIPTS}])[{_SUPERSCRIPTS}]+"
    f"(?:(?:, ?|[⁻–—\\-])[{_SUPERSCRIPTS}]+)*(?![⁺⁻⁼⁽⁾ⁿⁱ{_SUPERSCRIPTS}])"
)
_FROM_SUPER = str.maketrans(_SUPERSCRIPTS + "⁻", "0123456789-")


def from_superscript(text: str) -> str:
    """'⁴⁻⁶' -> '4-6', '²,³' -> '2,3': a superscript marker as plain digits."""
    return text.translate(_FROM_SUPER)


_UNIT_BEFORE = re.compile(r"(?:\d|\d\s*[A-Za-zµ°]{1,3}|(?<![\w.])[A-Za-zµ°]{1,2})$")


class BlockParser(HTMLParser):
    """Turn sanitised HTML into `Block`s and a list of anchors, in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.anchors: list[tuple[str, str]] = []
        self.cur: Block | None = None
        self.lists: list[list[int]] = []  # [ordered, next number] per open list
        self.li_open = False
        self.open_anchors: list[tuple[str, list[str]]] = []
        self.link_starts: list[tuple[int, str] | None] = []
        self.capture: tuple[str, list[str]] | None = None  # (tag, buffer)
        self.capture_href = ""
        self.code_starts: list[int] = []

    # -- block management ---------------------------------------------------------------
    def _flush(self) -> None:
        """Close the current block; keep it when it holds text or markers."""
        block = self.cur
        self.cur = None
        if block is None:
            return
        if self.code_starts:
            # Close open code ranges at the boundary; they reopen in the next block.
            block.code.extend((s, block.length) for s in self.code_starts)
            self.code_starts = [0] * len(self.code_starts)
        block.text = "".join(block.parts)
        if block.text.strip() or block.markers:
            self.blocks.append(block)

    def _ensure(self) -> Block:
        """The current block, opening a paragraph for loose text."""
        if self.cur is None:
            self.cur = Block("p", depth=len(self.lists))
        return self.cur

    def _append(self, text: str) -> None:
        """Add text to the current block without doubled or leading spaces."""
        block = self._ensure()
        if not block.length or block.parts[-1][-1] in " \n":
            text = text.lstrip(" ")
            if not text:
                return
        block.parts.append(text)
        block.length += len(text)

    # -- parser callbacks ---------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open blocks, lists, links, code and superscript captures."""
        attr = {k: v or "" for k, v in attrs}
        if tag in _HEADINGS:
            self._flush()
            self.cur = Block("h", level=_HEADINGS[tag], elem_id=attr.get("id", ""))
        elif tag == "li":
            self._flush()
            number = None
            explicit = False
            if self.lists:
                ordered, nxt = self.lists[-1]
                value = attr.get("value", "").strip()
                if value.isdigit():
                    nxt = int(value)
                    explicit = True
                number = nxt if ordered or explicit else None
                self.lists[-1][1] = nxt + 1
            self.cur = Block(
                "li",
                number=number,
                explicit_number=explicit,
                elem_id=attr.get("id", ""),
                depth=len(self.lists),
            )
            self.li_open = True
        elif tag in ("ol", "ul"):
            self._flush()
            start = attr.get("start", "").strip()
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "br":
            block = self._ensure()
            block.parts.append("\n")
            block.length += 1
        elif tag == "hr":
            self._flush()
            self.blocks.append(Block("hr"))
        elif tag in _BOUNDARY_TAGS:
            if self.cur is not None and self.cur.kind == "li" and tag in ("p", "div"):
                if self.cur.length:
                    self._append("\n")
            else:
                self._flush()
            if tag == "pre":
                self.code_starts.append(self._ensure().length)
        if tag == "code":
            self.code_starts.append(self._ensure().length if self.cur else 0)
        elif tag == "a":
            href = attr.get("href", "").strip()
            self.open_anchors.append((href, []))
            if self.capture is not None:
                self.capture_href = self.capture_href or href
                self.link_starts.append(None)
            elif href.startswith("#"):
                self.capture = ("a", [])
                self.capture_href = href
                self.link_starts.append(None)
            else:
                self.link_starts.append((self._ensure().length, href) if href else None)
        elif tag == "sup" and self.capture is None:
            self.capture = ("sup", [])
            self.capture_href = ""

    def handle_endtag(self, tag: str) -> None:
        """Close what handle_starttag opened."""
        if tag == "a":
            if self.open_anchors:
                href, buf = self.open_anchors.pop()
                if href:
                    self.anchors.append((href, "".join(buf)))
            start = self.link_starts.pop() if self.link_starts else None
            if self.capture is not None and self.capture[0] == "a":
                self._end_capture()
            elif start is not None and self.cur is not None:
                self.cur.links.append((start[0], self.cur.length, start[1]))
        elif tag == "sup":
            if self.capture is not None and self.capture[0] == "sup":
                self._end_capture()
        elif tag in ("code", "pre"):
            if self.code_starts:
                s = self.code_starts.pop()
                if self.cur is not None:
                    self.cur.code.append((s, self.cur.length))
            if tag == "pre":
                self._flush()
        elif tag in _HEADINGS or tag == "li":
            self._flush()
            if tag == "li":
                self.li_open = False
        elif tag in ("ol", "ul"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag in _BOUNDARY_TAGS:
            if self.cur is not None and self.cur.kind == "li" and tag in ("p", "div"):
                return
            self._flush()

    def handle_data(self, data: str) -> None:
        """Add text (whitespace folded) to open anchors and to the capture or the block."""
        text = WHITESPACE.sub(" ", data)
        for _href, buf in self.open_anchors:
            buf.append(text)
        if self.capture is not None:
            self.capture[1].append(text)
        elif self.code_starts or not _SUPER_DIGIT.search(text):
            self._append(text)
        else:
            self._append_superscripts(text)

    def _append_superscripts(self, text: str) -> None:
        """Add text whose Unicode superscript numbers ("¹", "²,³", "⁴⁻⁶") become markers."""
        prev = 0
        for m in SUPER_RUN.finditer(text):
            if m.start() > prev:
                self._append(text[prev : m.start()])
            prev = m.end()
            block = self._ensure()
            before = "".join(block.parts[-3:]).rstrip()
            if before and not _UNIT_BEFORE.search(before):
                block.markers.append((block.length, from_superscript(m.group(0)), "", m.group(0)))
            else:
                self._append(m.group(0))  # a power ("m²", "10⁵") stays text
        if prev < len(text):
            self._append(text[prev:])

    def _end_capture(self) -> None:
        """Finish a `<sup>` or `#` link: a numeric marker, else ordinary text."""
        assert self.capture is not None
        text = "".join(self.capture[1]).strip()
        href = self.capture_href
        self.capture = None
        self.capture_href = ""
        if not text:
            return
        block = self._ensure()
        before = "".join(block.parts[-3:]).rstrip()
        if NUMERIC_MARK.fullmatch(text) and not _UNIT_BEFORE.search(before):
            block.markers.append((block.length, text, href, text))
        else:
            self._append(text)

    def close(self) -> None:
        """Finish parsing and flush the last block."""
        super().close()
        while self.capture is not None:
            self._end_capture()
        self._flush()
