"""What an analysis holds: references, citations, links, and their JSON form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ketaread.core.links import CITE_LINK_PREFIX

# A numeric citation's marker ("4", "2,3", "4-6"): it cites every number it names.
_NUMBERED = re.compile(r"\d{1,3}(?:\s*[,–—\-]\s*\d{1,3})*")

CITE_SCHEME = CITE_LINK_PREFIX
"""Prefix of the Markdown link targets `link_citations` writes (kept for callers)."""

ID_KEYS = ("doi", "pmid", "pmcid", "arxiv")


@dataclass(slots=True)
class Reference:
    """One entry of an article's reference list."""

    number: int
    source: str
    text: str
    urls: list[str] = field(default_factory=list)
    ids: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(ID_KEYS))
    kind: str = "other"
    label: str = ""
    """'First author Year · Journal' (or organisation, or site): what the entry is, short."""
    author: str = ""
    """First author's surname, or the organisation that wrote it; '' when unknown."""
    year: str = ""
    """Year of publication as written, with any letter ("2020a"); '' when unknown."""
    venue: str = ""
    """Journal, publisher or site the entry names; '' when unknown."""


@dataclass(slots=True)
class Citation:
    """One inline citation: what was cited, where, and the references it may point to."""

    index: int
    marker: str
    sentence: str
    references: list[int] = field(default_factory=list)
    """Candidate reference numbers, best first; empty when nothing matched."""


@dataclass(slots=True)
class Link:
    """A hyperlink of the article body, its URL resolved."""

    text: str
    url: str


@dataclass(slots=True)
class ReferenceAnalysis:
    """Everything `analyse` finds in one article."""

    references: list[Reference] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def unmatched(self) -> list[Citation]:
        """Citations that point to no reference."""
        return [c for c in self.citations if not c.references]

    def style_recognised(self) -> bool:
        """Whether the article's way of citing was read: some citation points into the list.

        Without that, a reference list whose citations could not be read would be
        reported as never cited from top to bottom.
        """
        return any(c.references for c in self.citations)

    def uncited(self) -> list[int]:
        """Reference numbers that are no citation's best candidate ([] when the style was not
        recognised)."""
        if not self.style_recognised():
            return []
        cited: set[int] = set()
        for c in self.citations:
            if _NUMBERED.fullmatch(c.marker):
                # "3-5", "2,3": every number is cited, not a guess among candidates.
                cited.update(c.references)
            elif c.references:
                cited.add(c.references[0])
        return [r.number for r in self.references if r.number not in cited]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_json` restores an equal analysis from it."""
        return {
            "references": [
                {
                    "number": r.number,
                    "source": r.source,
                    "text": r.text,
                    "urls": list(r.urls),
                    "ids": {k: r.ids.get(k) for k in ID_KEYS},
                    "kind": r.kind,
                    "label": r.label,
                    "author": r.author,
                    "year": r.year,
                    "venue": r.venue,
                }
                for r in self.references
            ],
            "citations": [
                {"marker": c.marker, "sentence": c.sentence, "references": list(c.references)}
                for c in self.citations
            ],
            "links": [{"text": link.text, "url": link.url} for link in self.links],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferenceAnalysis:
        """Restore an analysis from `to_json` output (citation indexes follow list order)."""
        references = [
            Reference(
                number=int(r["number"]),
                source=str(r.get("source", "")),
                text=str(r.get("text", "")),
                urls=[str(u) for u in r.get("urls", [])],
                ids={k: (r.get("ids") or {}).get(k) for k in ID_KEYS},
                kind=str(r.get("kind", "other")),
                label=str(r.get("label", "")),
                author=str(r.get("author", "")),
                year=str(r.get("year", "")),
                venue=str(r.get("venue", "")),
            )
            for r in data.get("references", [])
        ]
        citations = [
            Citation(
                index=i,
                marker=str(c.get("marker", "")),
                sentence=str(c.get("sentence", "")),
                references=[int(n) for n in c.get("references", [])],
            )
            for i, c in enumerate(data.get("citations", []))
        ]
        links = [Link(str(x.get("text", "")), str(x.get("url", ""))) for x in data.get("links", [])]
        return cls(references, citations, links)
