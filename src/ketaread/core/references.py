"""Reference lists, inline citations linked to them, links, and an audit of both.

Pure functions over sanitised HTML (the output of `clean.clean_html`); no I/O, no Textual.
The HTML is parsed once with the standard library's `html.parser` into flat text blocks
(headings, paragraphs, list items), and everything else works on those blocks.

Rules
=====

Reference section
    A heading (h1-h6), or a paragraph whose first line stands alone, named References,
    Reference, Reference list, Literature cited, Sources, Source, Citations, Bibliography,
    Works cited, Notes, Footnotes or Endnotes (any case, optional colon). The section runs
    to the next heading or the end. Its entries are the list items of the section (a
    paragraph after the list ends the section), else its paragraphs and `<br>` lines.
    A line that starts with a number ("1." "1)" "[1]") starts a new entry; in a numbered
    list an unnumbered line of the same paragraph (a wrapped line or a URL alone) continues
    the previous entry, and a URL alone on a line continues an entry that has no URL yet.
    Paragraph lines count only when they look like a reference (they carry a link, a URL,
    an identifier, a number, or start with a source name); a line like "Medical Disclaimer",
    "Reviewed by", "The post ... appeared first on", "About the author" ends the section.
    When several sections qualify the one with most entries wins. Without any section,
    footnote items (`<li id="fn1">`, `fn:1`, `footnote-1`, `cite_note-1`...) are the list.
    An entry's number is its explicit number, else `<li value>`, else its position in the
    `<ol start>` list, else its footnote id, else one more than the previous entry.

Reference fields
    `source` is the text before the first ". " when that prefix looks like a name
    (capitalised words joined by of/and/for/the..., no digits or commas); otherwise it is
    derived from the first URL's domain (nih.gov -> National Institutes of Health,
    nature.com -> Nature, mayoclinic.org -> Mayo Clinic, ...), else an author surname
    ("Smith, J. ..."), else the bare host name. `text` is the rest, without bare URLs.
    `ids` holds doi, pmid, pmcid ("PMC..."), arxiv (without version) found in URLs
    (doi.org/..., .../doi/10...., nature.com/articles/X -> 10.1038/X, pubmed.ncbi.nlm.nih.gov/N,
    .../articles/PMCN, arxiv.org/abs/...) or in the text ("doi:10....", "PMID: N", "PMCN",
    "arXiv:..."). `author` (first author's surname or the organisation), `year` and `venue`
    (journal, publisher) come from the entry's shape: APA/Harvard "Author, A. (2020[a]).
    Title. Journal, 4(1)" or "'Title', Journal, 4(1), pp.", Vancouver/AMA "Author AB, ...
    Title. Journal. 2020;4:1-9", books "Publisher; 2022", web entries with a date alone
    ("2019.", "Published June 29, 2022."; never an "Accessed" date). `label` is "author
    year · venue", the venue falling back to a DOI prefix's publisher, then the site.
    `kind` is first what the title (or description) says: a regulatory label (prescribing
    information, REMS, medication guide...), a guideline, then for a news site "news" and
    for a clinic "clinic", then a book (edition, Press, Publishing, no journal volume), a
    review or meta-analysis, a trial, an animal study, an observational study; else the
    site decides, in this order: any identifier or a journal domain ->
    "journal"; .gov, .gov.xx, nih, who.int, nhs.uk, europa.eu -> "government"; wikipedia,
    britannica -> "encyclopedia"; known news domains -> "news"; known clinics and
    health systems, domains naming a clinic/hospital/health/wellness/ketamine, and any other
    .com -> "clinic"; without a URL the source name decides the same way; else "other".

Inline citations
    Outside the reference sections, code and link texts: parentheticals, split on ";", each
    part a citation when (after dropping a trailing year, "et al." and a comma) it equals a
    reference's source or alias in this article (aliases: the source, its acronym, the name
    its domain gives, well-known short names such as NIH, an author surname), or partly
    matches one through a distinctive word ("Nature Neuroscience" -> Nature), or, with no
    match, looks like an institution or journal (capitalised words with a publisher word
    such as Institute, Journal, University, Clinic, Association, Review, or a well-known
    source name) or like "Author et al., 2020". Never a citation: a part that defines or
    expands the adjacent word ("National Institutes of Health (NIH)", "BDNF (brain-derived
    neurotrophic factor)"), a year alone, numbers, lowercase asides, "e.g."/"see" asides.
    A trailing year keeps only the candidates of that year (2020 takes 2020a/b), else those
    without a year, else none; "A & B", "A and colleagues" match by the first surname; an
    abbreviated journal ("N Engl J Med") matches the full name word by word.
    Narrative citations: "(Year)" right after a name that matches a reference (the longest
    exact name, else the longest partial one: "The Lancet (2019)"), or after "X et al." /
    "X and colleagues" (then a citation even without a match); the marker is the whole
    "Zarate et al. (2006)".
    Numbers in parentheses ("(1)", "(2, 3)", "(8–10)") when the list is numbered and every
    number is a reference, unless an enumeration ("steps: (1) check"), a named part
    ("step (2)", "Table (3)") or arithmetic.
    Numeric markers: "[1]", "[2, 3]", "[1-3]" (not glued to a word unless every number is a
    reference), Unicode superscripts ("¹", "²,³", "⁴⁻⁶", marker "4-6"; not after a unit or
    a number, "m²", "10⁵", nor charges "²⁺") kept out of the sentence text so "adherence.⁸
    An" still ends a sentence, `<sup>1</sup>` (only when every number is a reference and
    it is no unit power such as "cm<sup>2</sup>"), and footnote links `<a href="#fn1">1</a>`.

Ranking
    Candidates of a name citation are all references of that source. Each is scored by
    the TF-IDF-weighted overlap of lightly stemmed content words between its description
    and the citing sentence (IDF over this article's reference descriptions, normalised by
    the description's own weight), plus 0.3 x the same score against the previous sentence
    and 0.15 x against the next one when those carry no citation of their own (context
    sentences often carry the claim; a cited neighbour belongs to its own citation). Ties go to a
    reference not yet ranked first by an earlier citation, then to the lower number (lists
    are usually numbered in order of first citation).

Audit
    `unmatched()`: citations with no candidate reference. `style_recognised()`: some
    citation points to a reference; without that `uncited()` is empty. `uncited()`:
    reference numbers that are the first (best) candidate of no citation; lower-ranked
    candidates do not count, since every reference of a shared source is a candidate of
    each of its citations.

Markdown linking
    `link_citations` lists the places in the html2text Markdown that can hold a citation
    (parenthetical parts, "[n]" markers, bare superscript numbers, numeric links), leaving out
    code, links, URLs and reference sections, then walks the citations in order: each takes
    the next place whose visible text equals its marker and whose preceding words on that
    line belong to its sentence; a citation without such a place is skipped.

JSON
    `to_json` also stores the links (key "links") so that `from_json` restores everything.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from ketaread.core.links import CITE_LINK_PREFIX, cite_link
from ketaread.core.markdown_regions import code_regions

__all__ = [
    "Citation",
    "Link",
    "Reference",
    "ReferenceAnalysis",
    "analyse",
    "link_citations",
    "reference_links",
]

CITE_SCHEME = CITE_LINK_PREFIX
"""Prefix of the Markdown link targets `link_citations` writes (kept for callers)."""

_ID_KEYS = ("doi", "pmid", "pmcid", "arxiv")


@dataclass(slots=True)
class Reference:
    """One entry of an article's reference list."""

    number: int
    source: str
    text: str
    urls: list[str] = field(default_factory=list)
    ids: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(_ID_KEYS))
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
        best = {c.references[0] for c in self.citations if c.references}
        return [r.number for r in self.references if r.number not in best]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; `from_json` restores an equal analysis from it."""
        return {
            "references": [
                {
                    "number": r.number,
                    "source": r.source,
                    "text": r.text,
                    "urls": list(r.urls),
                    "ids": {k: r.ids.get(k) for k in _ID_KEYS},
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
                ids={k: (r.get("ids") or {}).get(k) for k in _ID_KEYS},
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


# ---------------------------------------------------------------------------------------
# Knowledge about sources and domains
# ---------------------------------------------------------------------------------------


def _word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of a literal, as a set."""
    return frozenset(text.split())


_NIH = "National Institutes of Health"

# Host suffix -> source name. Longest suffix wins, so subdomains inherit.
_DOMAIN_SOURCES: dict[str, str] = {
    "nih.gov": _NIH,
    "nature.com": "Nature",
    "mayoclinic.org": "Mayo Clinic",
    "clevelandclinic.org": "Cleveland Clinic",
    "hopkinsmedicine.org": "Johns Hopkins Medicine",
    "health.harvard.edu": "Harvard Health Publishing",
    "mountsinai.org": "Mount Sinai",
    "psychiatryonline.org": "American Journal of Psychiatry",
    "jamanetwork.com": "JAMA",
    "thelancet.com": "The Lancet",
    "nejm.org": "New England Journal of Medicine",
    "bmj.com": "The BMJ",
    "science.org": "Science",
    "sciencemag.org": "Science",
    "cell.com": "Cell",
    "frontiersin.org": "Frontiers",
    "sciencedirect.com": "ScienceDirect",
    "springer.com": "Springer",
    "wiley.com": "Wiley",
    "tandfonline.com": "Taylor & Francis",
    "sagepub.com": "SAGE",
    "plos.org": "PLOS",
    "mdpi.com": "MDPI",
    "biorxiv.org": "bioRxiv",
    "medrxiv.org": "medRxiv",
    "arxiv.org": "arXiv",
    "academic.oup.com": "Oxford Academic",
    "cochranelibrary.com": "Cochrane Library",
    "who.int": "World Health Organization",
    "cdc.gov": "Centers for Disease Control and Prevention",
    "fda.gov": "U.S. Food and Drug Administration",
    "samhsa.gov": "SAMHSA",
    "va.gov": "U.S. Department of Veterans Affairs",
    "nhs.uk": "NHS",
    "nice.org.uk": "NICE",
    "wikipedia.org": "Wikipedia",
    "britannica.com": "Britannica",
    "nytimes.com": "The New York Times",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "reuters.com": "Reuters",
    "statnews.com": "STAT",
    "theguardian.com": "The Guardian",
    "washingtonpost.com": "The Washington Post",
    "npr.org": "NPR",
    "apnews.com": "AP News",
    "cnn.com": "CNN",
    "scientificamerican.com": "Scientific American",
    "newscientist.com": "New Scientist",
    "psychologytoday.com": "Psychology Today",
    "webmd.com": "WebMD",
    "healthline.com": "Healthline",
    "verywellmind.com": "Verywell Mind",
    "apa.org": "American Psychological Association",
    "psychiatry.org": "American Psychiatric Association",
    "nami.org": "NAMI",
}

_JOURNAL_DOMAINS = (
    "nature.com",
    "science.org",
    "sciencemag.org",
    "thelancet.com",
    "jamanetwork.com",
    "nejm.org",
    "bmj.com",
    "cell.com",
    "frontiersin.org",
    "springer.com",
    "wiley.com",
    "tandfonline.com",
    "sagepub.com",
    "sciencedirect.com",
    "psychiatryonline.org",
    "plos.org",
    "mdpi.com",
    "biorxiv.org",
    "medrxiv.org",
    "arxiv.org",
    "academic.oup.com",
    "cochranelibrary.com",
    "doi.org",
    "europepmc.org",
    "karger.com",
    "elifesciences.org",
    "pnas.org",
    "biologicalpsychiatryjournal.com",
    "journals.lww.com",
    "ahajournals.org",
)
_GOVERNMENT_DOMAINS = ("nih.gov", "who.int", "nhs.uk", "europa.eu", "nice.org.uk", "gc.ca")
_ENCYCLOPEDIA_DOMAINS = (
    "wikipedia.org",
    "britannica.com",
    "scholarpedia.org",
    "encyclopedia.com",
    "plato.stanford.edu",
)
_NEWS_DOMAINS = (
    "nytimes.com",
    "bbc.co.uk",
    "bbc.com",
    "reuters.com",
    "statnews.com",
    "theguardian.com",
    "washingtonpost.com",
    "npr.org",
    "apnews.com",
    "cnn.com",
    "wsj.com",
    "theatlantic.com",
    "scientificamerican.com",
    "newscientist.com",
    "time.com",
    "vox.com",
    "nbcnews.com",
    "cbsnews.com",
    "abcnews.go.com",
    "axios.com",
    "bloomberg.com",
    "latimes.com",
    "usatoday.com",
    "forbes.com",
    "sciencedaily.com",
    "medicalnewstoday.com",
)
_CLINIC_DOMAINS = (
    "mayoclinic.org",
    "clevelandclinic.org",
    "hopkinsmedicine.org",
    "mountsinai.org",
    "health.harvard.edu",
    "massgeneral.org",
    "mgh.harvard.edu",
    "kp.org",
    "uclahealth.org",
    "stanfordhealthcare.org",
    "nyulangone.org",
    "webmd.com",
    "healthline.com",
    "verywellmind.com",
    "psychologytoday.com",
)
_CLINIC_HOST_WORDS = re.compile(
    r"clinic|hospital|health|medical|medicine|wellness|ketamine|therap|psychiatr|infusion"
)

# Known alternative names; every name in a group matches every other.
_ALIAS_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        _NIH,
        "NIH",
        "National Institute of Health",
        "NCBI",
        "PubMed",
        "PubMed Central",
        "PMC",
        "National Library of Medicine",
        "NLM",
    ),
    ("National Institute of Mental Health", "NIMH"),
    ("American Journal of Psychiatry", "AJP", "Am J Psychiatry"),
    ("JAMA", "Journal of the American Medical Association"),
    ("The Lancet", "Lancet"),
    ("New England Journal of Medicine", "NEJM"),
    ("The BMJ", "BMJ", "British Medical Journal"),
    ("World Health Organization", "WHO"),
    ("Centers for Disease Control and Prevention", "CDC"),
    ("U.S. Food and Drug Administration", "FDA", "Food and Drug Administration"),
    ("SAMHSA", "Substance Abuse and Mental Health Services Administration"),
    ("NHS", "National Health Service"),
    ("The New York Times", "New York Times", "NYT"),
    ("STAT", "STAT News"),
    ("BBC", "BBC News"),
    ("AP News", "Associated Press", "AP"),
    ("Johns Hopkins Medicine", "Johns Hopkins"),
    ("Harvard Health Publishing", "Harvard Health"),
    ("American Psychiatric Association", "APA"),
)

_PUBLISHER_WORDS = _word_set(
    """institute institutes institution university clinic clinics association society
    college academy foundation organization organisation centre center centers centres
    hospital department administration agency council journal journals review reviews
    nature lancet science sciences cell bulletin proceedings press news times post
    magazine encyclopedia encyclopaedia psychiatry medicine neuroscience library
    reports report annals archives letters frontiers communications"""
)
# Words too common among source names to make a partial match on their own.
_GENERIC_NAME_WORDS = _word_set(
    """journal journals university institute institutes national american international
    clinic health review reviews association society college center centre medical
    medicine science sciences research of and the for in on at news"""
)
_CONNECTORS = _word_set("of and for the on in at de la du und to &")


def _norm_name(name: str) -> str:
    """Lowercase, '&' as 'and', no punctuation or leading 'the': how names are compared."""
    name = name.lower().replace("&", " and ").replace(".", "")
    name = _NON_WORD.sub(" ", name)
    name = _WHITESPACE.sub(" ", name).strip()
    if name.startswith("the "):
        name = name[4:]
    return name


_NON_WORD = re.compile(r"[^\w\s]")
_WHITESPACE = re.compile(r"\s+")
_ALIAS_INDEX: dict[str, frozenset[str]] = {}
for _group in _ALIAS_GROUPS:
    _normed = frozenset(_norm_name(n) for n in _group)
    for _n in _normed:
        _ALIAS_INDEX[_n] = _ALIAS_INDEX.get(_n, frozenset()) | _normed
_KNOWN_SOURCE_NAMES = frozenset(_norm_name(n) for n in _DOMAIN_SOURCES.values()) | frozenset(
    _ALIAS_INDEX
)


def _host(url: str) -> str:
    """The lowercase host of a URL without 'www.', or '' when it has none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def _host_matches(host: str, suffixes: tuple[str, ...] | dict[str, str]) -> str:
    """The longest suffix in `suffixes` that `host` equals or is a subdomain of, else ''."""
    best = ""
    for suffix in suffixes:
        if (host == suffix or host.endswith("." + suffix)) and len(suffix) > len(best):
            best = suffix
    return best


def _domain_source(urls: list[str]) -> str:
    """The source name the first recognised URL domain gives, or ''."""
    for url in urls:
        suffix = _host_matches(_host(url), _DOMAIN_SOURCES)
        if suffix:
            return _DOMAIN_SOURCES[suffix]
    return ""


def _acronym(name: str) -> str:
    """Initials of the significant words of a multi-word name ('' for one word)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower() not in _CONNECTORS]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words if w[0].isalpha()).lower()


# ---------------------------------------------------------------------------------------
# Identifiers and kinds
# ---------------------------------------------------------------------------------------

_DOI_IN_URL = re.compile(
    r"(?:doi\.org/|/doi/(?:abs/|full/|pdf/|epdf/|epub/|fulltext/)?|frontiersin\.org/articles?/)"
    r"(10\.\d{4,9}/[^\s?#\"<>]+?)(?:/(?:full|abstract|pdf|epdf|fulltext|meta))?/?(?:[?#]|$)",
    re.IGNORECASE,
)
_DOI_IN_TEXT = re.compile(r"\b(?:doi:?\s*)?(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_NATURE_ARTICLE = re.compile(r"nature\.com/articles/([A-Za-z0-9.\-]+?)(?:\.pdf)?(?:[/?#]|$)")
_PMID_IN_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})")
_PMID_IN_TEXT = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
_PMCID = re.compile(r"\b(PMC\d{3,9})\b")
_ARXIV_IN_URL = re.compile(
    r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE
)
_ARXIV_IN_TEXT = re.compile(
    r"\barXiv:\s*(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})", re.IGNORECASE
)


def _tidy_doi(doi: str) -> str:
    """Drop punctuation that ends the sentence around a DOI, and unbalanced brackets."""
    doi = doi.rstrip(".,;:")
    while doi.endswith((")", "]")) and doi.count("(") + doi.count("[") < doi.count(")") + doi.count(
        "]"
    ):
        doi = doi[:-1].rstrip(".,;:")
    return doi


def _find_ids(urls: list[str], text: str) -> dict[str, str | None]:
    """DOI, PMID, PMCID and arXiv id from the URLs first, then from the text."""
    ids: dict[str, str | None] = dict.fromkeys(_ID_KEYS)
    for url in urls:
        if ids["doi"] is None:
            m = _DOI_IN_URL.search(url)
            if m:
                ids["doi"] = _tidy_doi(m.group(1))
            elif m := _NATURE_ARTICLE.search(url):
                ids["doi"] = "10.1038/" + m.group(1)
        if ids["pmid"] is None and (m := _PMID_IN_URL.search(url)):
            ids["pmid"] = m.group(1)
        if ids["pmcid"] is None and "/articles/" in url and (m := _PMCID.search(url)):
            ids["pmcid"] = m.group(1)
        if ids["arxiv"] is None and (m := _ARXIV_IN_URL.search(url)):
            ids["arxiv"] = m.group(1)
    if ids["doi"] is None and (m := _DOI_IN_TEXT.search(text)):
        ids["doi"] = _tidy_doi(m.group(1))
    if ids["pmid"] is None and (m := _PMID_IN_TEXT.search(text)):
        ids["pmid"] = m.group(1)
    if ids["pmcid"] is None and (m := _PMCID.search(text)):
        ids["pmcid"] = m.group(1)
    if ids["arxiv"] is None and (m := _ARXIV_IN_TEXT.search(text)):
        ids["arxiv"] = m.group(1)
    return ids


_GOV_HOST = re.compile(r"(?:^|\.)(?:gov|mil)(?:\.[a-z]{2})?$")
_NAME_KIND_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"wikipedia|britannica|encyclop"), "encyclopedia"),
    (
        re.compile(
            r"\b(?:journal|nature|lancet|science|cell|review|proceedings|annals|archives|"
            r"frontiers|jama|bmj|nejm|psychiatry|neuroscience)\b"
        ),
        "journal",
    ),
    (
        re.compile(
            r"\b(?:national institutes?|nih|nimh|administration|department|centers for|"
            r"world health organization|nhs|cdc|fda|samhsa|government)\b"
        ),
        "government",
    ),
    (re.compile(r"\b(?:times|post|news|reuters|stat|bbc|npr|guardian|associated press)\b"), "news"),
    (re.compile(r"\b(?:clinic|hospital|health system|medical center|medicine)\b"), "clinic"),
)


def _kind(
    urls: list[str],
    ids: dict[str, str | None],
    source: str,
    fields: _Fields | None = None,
    description: str = "",
) -> str:
    """Classify a reference; see the module docstring for the order of the rules."""
    base = _site_kind(urls, ids, source)
    if fields is None:
        return base
    words = fields.title or description
    has_journal = any(ids.values()) or base == "journal" or bool(_VOLUME.search(description))
    found = _text_kind(words, urls, fields.venue, has_journal)
    if found in ("label", "guideline"):
        return found
    if base == "other" and has_journal:
        base = "journal"
    if base in ("news", "clinic") and not (fields.venue and found):
        return base
    return found or base


def _site_kind(urls: list[str], ids: dict[str, str | None], source: str) -> str:
    """The kind identifiers, domains and the source name give."""
    if any(ids.values()):
        return "journal"
    for url in urls:
        host = _host(url)
        if not host:
            continue
        if _host_matches(host, _JOURNAL_DOMAINS) or host.startswith("journals."):
            return "journal"
        if _GOV_HOST.search(host) or _host_matches(host, _GOVERNMENT_DOMAINS):
            return "government"
        if _host_matches(host, _ENCYCLOPEDIA_DOMAINS):
            return "encyclopedia"
        if _host_matches(host, _NEWS_DOMAINS):
            return "news"
        if _host_matches(host, _CLINIC_DOMAINS) or _CLINIC_HOST_WORDS.search(host):
            return "clinic"
        if host.endswith(".com"):
            return "clinic"
    name = _norm_name(source)
    for pattern, kind in _NAME_KIND_RULES:
        if name and pattern.search(name):
            return kind
    return "other"


# ---------------------------------------------------------------------------------------
# Entry fields: first author, year, venue; label and kind
# ---------------------------------------------------------------------------------------

_YEAR_RE = r"(?:19|20)\d{2}"
# APA and Harvard: "Authors (2020a)." or "Authors. (2023, March 31)." then the rest.
_AUTHOR_DATE_HEAD = re.compile(
    r"(?P<who>[^()]{1,400}?)[.,]?\s*\((?P<year>" + _YEAR_RE + r")(?P<letter>[a-z])?"
    r"(?:,[^()]{0,40})?\)[.,:]?\s*"
)
# A segment of a Vancouver/AMA entry that starts with the year: "2021;279:410-8".
_YEAR_SEGMENT = re.compile(
    r"(?P<year>" + _YEAR_RE + r")(?P<letter>[a-z])?(?=\s*[;:(]|\s+[A-Z][a-z]{2}\b[^.]{0,20}[;:])"
)
# A segment that is only a date: "2019.", "Updated 2023.", "14 March 2024.", "June 29, 2022."
_DATE_SEGMENT = re.compile(
    r"(?:(?:published|posted|updated|last\s+(?:updated|reviewed)|revised)\s*:?\s*)?"
    r"(?:(?:\d{1,2}\s+)?[A-Z][a-z]+\.?\s+(?:\d{1,2},?\s+)?)?"
    r"(?P<year>" + _YEAR_RE + r")(?P<letter>[a-z])?\.?",
    re.IGNORECASE,
)
_PUBLISHER_YEAR = re.compile(r"^(?P<venue>[^;]{2,120});\s*(?P<year>" + _YEAR_RE + r")\b")
_ANY_YEAR = re.compile(r"(?<![\d/.\-])(?P<year>" + _YEAR_RE + r")(?P<letter>[a-z])?(?![\d/])")
# Not after an initial ("U.S. Food", "J. H."), which is no end of a field.
_SEGMENT_BREAK = re.compile(r"(?<=[.?!])(?<!\b[A-Z]\.)\s+(?=[A-Z0-9‘'\"“(\[])")
# A Vancouver name: surname words then 1-3 capital initials ("Zarate CA Jr").
_VANCOUVER_NAME = re.compile(
    r"(?P<surname>[A-Z][\w'’\-]+(?:\s+(?:[a-z]{1,3}\s+)?[A-Z][\w'’\-]+)*?)\s+[A-Z]{1,3}"
    r"(?:\s+(?:Jr|Sr|II|III|IV))?\.?$"
)
_APA_NAME = re.compile(r"(?P<surname>[A-Z][\w'’\-]+(?:[\s\-][A-Z][\w'’\-]+)*),\s*[A-Z]\.")
_QUOTED_TITLE = re.compile(r"^[‘'\"“](?P<title>.+?)[’'\"”],?\s+(?P<rest>.*)$")
_VENUE_AFTER_TITLE = re.compile(
    r"^(?:In:?\s+)?(?P<venue>[A-Z][^,;()]{1,120}?)(?:,|\.)?\s*(?:\d|pp?\.|vol\b|e\d|\[|$)"
)
_PLACE_PUBLISHER = re.compile(r"^(?:[A-Z][\w .]{1,40}:\s*)(?P<venue>[A-Z][^.;]{1,80}?)\.?$")
_IDENTIFIER_TEXT = re.compile(
    r"\b(?:doi:?\s*10\.\S+|10\.\d{4,9}/\S+|PMID:?\s*\d+|PMCID:?\s*PMC\d+|PMC\d+|"
    r"arXiv:\s*\S+|ISBN[:\s][\d\-Xx ]+)",
    re.IGNORECASE,
)
_TRAILING_NOTE = re.compile(
    r"(?:\s*(?:\[[^\]]{1,40}\]|(?:published|accessed|retrieved|updated|available)\b.*))$",
    re.IGNORECASE,
)
# Journals known by a DOI prefix, for entries that are a bare DOI.
_DOI_PUBLISHERS = {
    "10.1038": "Nature",
    "10.1126": "Science",
    "10.1016": "Elsevier",
    "10.1001": "JAMA",
    "10.1176": "American Journal of Psychiatry",
    "10.1056": "New England Journal of Medicine",
    "10.1136": "The BMJ",
    "10.3389": "Frontiers",
    "10.1371": "PLOS",
    "10.1007": "Springer",
    "10.1002": "Wiley",
    "10.1111": "Wiley",
    "10.1093": "Oxford Academic",
    "10.1017": "Cambridge University Press",
    "10.1177": "SAGE",
    "10.1080": "Taylor & Francis",
    "10.3390": "MDPI",
    "10.1101": "bioRxiv",
    "10.1073": "PNAS",
    "10.7554": "eLife",
}


@dataclass(slots=True)
class _Fields:
    """What an entry's text says about itself."""

    author: str = ""
    year: str = ""
    venue: str = ""
    title: str = ""


def _first_author(who: str) -> str:
    """A surname from an author list ('Harlow DM, Osei K' / 'Berman, R. M., ...'), or the
    organisation's name when the list is one."""
    who = who.strip(" .,;")
    if not who or len(who) > 400 or not who[0].isupper():
        return ""
    if m := _APA_NAME.match(who):
        return m.group("surname")
    first = re.split(r",|\s+(?:and|&)\s+|\s+et\s+al\b", who, maxsplit=1)[0].strip(" .")
    if m := _VANCOUVER_NAME.fullmatch(first):
        return m.group("surname")
    if "," not in who and _looks_like_name(who.replace(".", "")):
        return who  # an organisation: "US Food and Drug Administration"
    if _looks_like_name(first.replace(".", "")) and len(first.split()) <= 2:
        return first
    return ""


def _clean_venue(venue: str) -> str:
    """A journal or publisher name without trailing punctuation, place or note."""
    venue = _TRAILING_NOTE.sub("", venue).strip(" .,;:")
    if m := _PLACE_PUBLISHER.match(venue + "."):
        venue = m.group("venue")
    if not venue or len(venue) > 100 or not venue[0].isupper() or _ANY_YEAR.search(venue):
        return ""
    return venue


def _entry_fields(body: str) -> _Fields:
    """Author, year, venue and title of an APA, Harvard, Vancouver, AMA or web entry."""
    text = _IDENTIFIER_TEXT.sub(" ", body)
    text = _WHITESPACE.sub(" ", text).strip(" .;,")
    if not text:
        return _Fields()
    # APA / Harvard: "Author, A. (2020). Title. Journal, 4(1), 1-9." or "Org. (2023, May)."
    m = _AUTHOR_DATE_HEAD.match(text)
    if m and "(" not in m.group("who"):
        fields = _Fields(
            author=_first_author(m.group("who")),
            year=m.group("year") + (m.group("letter") or ""),
        )
        rest = text[m.end() :].strip()
        quoted = _QUOTED_TITLE.match(rest)
        if quoted:
            fields.title, after = quoted.group("title"), quoted.group("rest")
        else:
            pieces = _SEGMENT_BREAK.split(rest, maxsplit=1)
            fields.title = pieces[0].rstrip(".")
            after = pieces[1] if len(pieces) > 1 else ""
        if after and (v := _VENUE_AFTER_TITLE.match(after)):
            fields.venue = _clean_venue(v.group("venue"))
        elif after:
            fields.venue = _clean_venue(after.split(". ")[0])
        return fields
    # Vancouver / AMA: "Authors. Title. Journal. 2021;279:410-8." and books "Publisher; 2022."
    segments = [s.strip() for s in _SEGMENT_BREAK.split(text) if s.strip()]
    fields = _Fields(author=_first_author(segments[0]))
    for i, segment in enumerate(segments[1:], start=1):
        if (y := _YEAR_SEGMENT.match(segment)) and i >= 2:
            fields.year = y.group("year") + (y.group("letter") or "")
            fields.venue = _clean_venue(segments[i - 1])
            fields.title = " ".join(segments[1 : i - 1]).rstrip(".")
            break
        if (p := _PUBLISHER_YEAR.match(segment)) and i >= 2:
            fields.year = p.group("year")
            fields.venue = _clean_venue(p.group("venue"))
            fields.title = " ".join(segments[1:i]).rstrip(".")
            break
    else:
        fields.title = " ".join(segments[1:2]).rstrip(".") if len(segments) > 1 else ""
        for segment in segments[1:]:
            if d := _DATE_SEGMENT.fullmatch(segment):
                fields.year = d.group("year") + (d.group("letter") or "")
                break
    return fields


def _is_host(name: str) -> bool:
    """Whether a source name is only a host name ('doi.org', 'example.com')."""
    return bool(re.fullmatch(r"[\w\-]+(?:\.[\w\-]+)+", name))


def _label(ref: Reference) -> str:
    """The label 'First author Year · Journal' (or organisation, or site) of an entry."""
    who = ref.author or ("" if _is_host(ref.source) else ref.source)
    venue = ref.venue
    site = _host(ref.urls[0]) if ref.urls else ""
    if not venue and ref.ids.get("doi"):
        venue = _DOI_PUBLISHERS.get(str(ref.ids["doi"]).split("/", 1)[0], "")
    if (
        not venue
        and site
        and site not in ("doi.org", "dx.doi.org")
        and (not who or _norm_name(_domain_source(ref.urls[:1])) != _norm_name(who))
    ):
        venue = site
    if venue and who and _norm_name(venue).startswith(_norm_name(who)):
        venue = ""  # "American Psychiatric Association 2022 · American Psychiatric Association…"
    head = " ".join(p for p in (who, ref.year) if p)
    label = " · ".join(p for p in (head, venue) if p)
    if label:
        return label
    for key, name in (("doi", "DOI"), ("pmid", "PMID"), ("pmcid", "PMCID"), ("arxiv", "arXiv")):
        if ref.ids.get(key):
            return f"{name} {ref.ids[key]}"
    return site or "Unknown source"


# What the title or description says the work is, in the order the rules are tried.
_TEXT_KIND_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"prescribing information|product characteristics|medication guide|package insert|"
            r"\bREMS\b|risk evaluation and mitigation|drug label|product monograph|"
            r"patient information leaflet",
            re.IGNORECASE,
        ),
        "label",
    ),
    (
        re.compile(
            r"\bguidelines?\b|\bguidance\b|consensus statement|position statement|"
            r"practice parameter|clinical practice recommendation",
            re.IGNORECASE,
        ),
        "guideline",
    ),
    (
        re.compile(
            r"meta-?analys[ie]s|systematic review|\breview\b|pooled analysis|umbrella review|"
            r"scoping review",
            re.IGNORECASE,
        ),
        "review",
    ),
    (
        re.compile(
            r"randomi[sz]ed|controlled trial|clinical trial|double-blind|placebo-controlled|"
            r"crossover trial|withdrawal trial|\btrial\b",
            re.IGNORECASE,
        ),
        "trial",
    ),
    (
        re.compile(
            r"\b(?:mice|mouse|rats?|rodents?|murine|primates|monkeys|zebrafish|in vitro|"
            r"animal models?)\b",
            re.IGNORECASE,
        ),
        "animal",
    ),
    (
        re.compile(
            r"\bcohort\b|case-control|cross-sectional|\bregistry\b|retrospective|observational|"
            r"\bsurvey\b|case series|population-based|longitudinal study|pharmacovigilance",
            re.IGNORECASE,
        ),
        "observational",
    ),
)
_BOOK_SIGNS = re.compile(
    r"\b\d+(?:st|nd|rd|th) ed\b|\bedition\b|\bhandbook\b|\bmanual\b|\btextbook\b|\bISBN\b|"
    r"\b(?:University )?Press\b|\bPublishing\b|\bPublishers?\b",
    re.IGNORECASE,
)
# A journal's volume and pages: "2021;279:410-8", "47(4), 351", "pp. 12".
_VOLUME = re.compile(
    r"(?:19|20)\d{2}\s*;\s*\d|,\s*\d+\s*(?:\(\d+\))?,\s*(?:pp?\.\s*)?\d+[–\-]\d+|"
    r",\s*\d+\s*\(\d+\)|\bpp\.\s*\d",
    re.IGNORECASE,
)
_LABEL_URL = re.compile(
    r"/drugsatfda_docs/label/|dailymed\.nlm\.nih\.gov|/EPAR/|medicines\.org\.uk"
)
_GUIDELINE_URL = re.compile(r"nice\.org\.uk/guidance|/guidelines?/|/guidance/")


def _text_kind(text: str, urls: list[str], venue: str, has_journal: bool) -> str:
    """The kind the entry's own words or link give (label, guideline, book, review...)."""
    if any(_LABEL_URL.search(u) for u in urls) or _TEXT_KIND_RULES[0][0].search(text):
        return "label"
    if any(_GUIDELINE_URL.search(u) for u in urls) or _TEXT_KIND_RULES[1][0].search(text):
        return "guideline"
    if not has_journal and _BOOK_SIGNS.search(text + " " + venue):
        return "book"
    for pattern, kind in _TEXT_KIND_RULES[2:]:
        if pattern.search(text):
            return kind
    return ""


_SAFE_DOI = re.compile(r"10\.\d{4,9}/[\x21-\x7e]{1,200}")
_SAFE_NUMBER = re.compile(r"\d{1,9}")
_SAFE_PMCID = re.compile(r"PMC\d{3,9}")


def reference_links(reference: Reference) -> list[str]:
    """The entry's own URLs, then doi.org, PubMed and PMC links built from its identifiers
    (each only when no URL of the entry already leads there)."""
    links = list(reference.urls)
    ids = reference.ids
    have = " ".join(links).lower()
    doi = ids.get("doi") or ""
    if _SAFE_DOI.fullmatch(doi) and doi.lower() not in have:
        links.append("https://doi.org/" + quote(doi, safe="/:;()._-"))
    pmid = ids.get("pmid") or ""
    if _SAFE_NUMBER.fullmatch(pmid) and f"pubmed.ncbi.nlm.nih.gov/{pmid}" not in have:
        links.append(f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/")
    pmcid = ids.get("pmcid") or ""
    if _SAFE_PMCID.fullmatch(pmcid) and pmcid.lower() not in have:
        links.append(f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/")
    return links


# ---------------------------------------------------------------------------------------
# HTML to blocks
# ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
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
_BOUNDARY_TAGS = _word_set(
    """p div blockquote td th dt dd pre figcaption caption section article aside header
    footer main nav table tr ul ol"""
)
_NUMERIC_MARK = re.compile(r"\[?\s*(\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*)\s*\]?")
# A superscript right after a digit or a one- or two-letter token is a power ("10<sup>4</sup>",
# "cm<sup>2</sup>", "x<sup>2</sup>"), not a citation.
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPER_DIGIT = re.compile(f"[{_SUPERSCRIPTS}]")
# A run of superscript numbers: "¹", "¹⁰", "²,³", "⁴⁻⁶", "³–⁵"; not a charge ("²⁺", "²⁻")
# or part of a superscript formula.
_SUPER_RUN = re.compile(
    f"(?<![⁺⁻⁼⁽⁾ⁿⁱ{_SUPERSCRIPTS}])[{_SUPERSCRIPTS}]+"
    f"(?:(?:, ?|[⁻–—\\-])[{_SUPERSCRIPTS}]+)*(?![⁺⁻⁼⁽⁾ⁿⁱ{_SUPERSCRIPTS}])"
)
_FROM_SUPER = str.maketrans(_SUPERSCRIPTS + "⁻", "0123456789-")


def _from_superscript(text: str) -> str:
    """'⁴⁻⁶' -> '4-6', '²,³' -> '2,3': a superscript marker as plain digits."""
    return text.translate(_FROM_SUPER)


_UNIT_BEFORE = re.compile(r"(?:\d|\d\s*[A-Za-zµ°]{1,3}|(?<![\w.])[A-Za-zµ°]{1,2})$")


class _BlockParser(HTMLParser):
    """Turn sanitised HTML into `_Block`s and a list of anchors, in one pass."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self.anchors: list[tuple[str, str]] = []
        self.cur: _Block | None = None
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

    def _ensure(self) -> _Block:
        """The current block, opening a paragraph for loose text."""
        if self.cur is None:
            self.cur = _Block("p", depth=len(self.lists))
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
            self.cur = _Block("h", level=_HEADINGS[tag], elem_id=attr.get("id", ""))
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
            self.cur = _Block(
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
            self.blocks.append(_Block("hr"))
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
        text = _WHITESPACE.sub(" ", data)
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
        for m in _SUPER_RUN.finditer(text):
            if m.start() > prev:
                self._append(text[prev : m.start()])
            prev = m.end()
            block = self._ensure()
            before = "".join(block.parts[-3:]).rstrip()
            if before and not _UNIT_BEFORE.search(before):
                block.markers.append((block.length, _from_superscript(m.group(0)), "", m.group(0)))
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
        if _NUMERIC_MARK.fullmatch(text) and not _UNIT_BEFORE.search(before):
            block.markers.append((block.length, text, href, text))
        else:
            self._append(text)

    def close(self) -> None:
        """Finish parsing and flush the last block."""
        super().close()
        while self.capture is not None:
            self._end_capture()
        self._flush()


# ---------------------------------------------------------------------------------------
# Reference lists
# ---------------------------------------------------------------------------------------

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
_ABBREVIATIONS = _word_set(
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
        if token and (len(token) == 1 or token in _ABBREVIATIONS):
            continue
        return m.start()
    return -1


def _looks_like_name(prefix: str) -> bool:
    """A short run of capitalised words with connectors: 'American Journal of Psychiatry'."""
    if not prefix or len(prefix) > 100 or not prefix[0].isupper():
        return False
    if any(ch.isdigit() or ch in ',;:()[]"“”?!' for ch in prefix):
        return False
    words = prefix.split()
    if not 1 <= len(words) <= 10:
        return False
    for word in words:
        if word.lower() in _CONNECTORS:
            continue
        if not (word[0].isupper() or word[0] == "&"):
            return False
    return words[-1].lower() not in _CONNECTORS


def _split_source(body: str, urls: list[str]) -> tuple[str, str]:
    """(source, description) of an entry; see the module docstring."""
    cut = _first_period(body)
    if cut > 0:
        prefix = body[:cut].strip()
        if _looks_like_name(prefix):
            return prefix, body[cut + 1 :].strip()
    if _looks_like_name(body.rstrip(".").strip()) and len(body.split()) <= 8:
        return body.rstrip(".").strip(), ""
    source = _domain_source(urls)
    if not source:
        m = re.match(r"([A-Z][\w'’\-]+),", body)
        if m:
            source = m.group(1)
        elif urls:
            source = _host(urls[0])
    return source, body


def _resolve(href: str, base_url: str) -> str:
    """An href made absolute against base_url (unchanged when there is no base)."""
    if not base_url:
        return href
    try:
        return urljoin(base_url, href)
    except ValueError:
        return href


def _make_reference(entry: _Entry, number: int, base_url: str) -> Reference | None:
    """Build a Reference from a raw entry, or None when nothing is left of it."""
    text = _WHITESPACE.sub(" ", _BACKLINK.sub(" ", entry.text)).strip()
    m = _NUM_PREFIX.match(text)
    if m:
        text = text[m.end() :]
    urls: list[str] = []
    for href in entry.hrefs:
        url = _resolve(href, base_url)
        if url and url not in urls:
            urls.append(url)
    for url in _bare_urls(text):
        url = _resolve(url, base_url)
        if url not in urls:
            urls.append(url)
    body = _URL.sub(" ", text)
    body = _LEFTOVER.sub(" ", body)
    body = _WHITESPACE.sub(" ", body).strip(" ,;:-–—")
    if not body and not urls:
        return None
    source, description = _split_source(body, urls)
    ids = _find_ids(urls, text)
    fields = _entry_fields(body)
    if not source or (_is_host(source) and fields.author):
        source = fields.author or source
    ref = Reference(
        number=number,
        source=source,
        text=description,
        urls=urls,
        ids=ids,
        kind=_kind(urls, ids, source, fields, body),
        author=fields.author,
        year=fields.year,
        venue=fields.venue,
    )
    ref.label = _label(ref)
    return ref


def _block_lines(block: _Block) -> list[tuple[str, list[str]]]:
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
    if _DOI_IN_TEXT.search(line) or _PMID_IN_TEXT.search(line) or _PMCID.search(line):
        return True
    cut = _first_period(line)
    if cut > 0 and _looks_like_name(line[:cut].strip()):
        return True
    # "Author, A. (2020). Title..." or "Author AB, ... Journal. 2020;4:1-9."
    head = _AUTHOR_DATE_HEAD.match(line)
    if head and "(" not in head.group("who") and _first_author(head.group("who")):
        return True
    return bool(_VOLUME.search(line)) and bool(_first_author(line.split(". ", 1)[0]))


def _section_entries(blocks: list[_Block], start: int, end: int, first_lines: bool) -> list[_Entry]:
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


def _find_sections(blocks: list[_Block]) -> list[tuple[int, int, bool]]:
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


def _extract_references(
    blocks: list[_Block], base_url: str
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


# ---------------------------------------------------------------------------------------
# Inline citations
# ---------------------------------------------------------------------------------------

_PAREN = re.compile(r"\(([^()]{1,300})\)")
_BRACKET = re.compile(r"\[(\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*)\]")
_YEAR_TAIL = re.compile(
    r"(?:,\s*|\s+)(?:(?P<year>(?:19|20)\d{2}[a-z]?)|n\.d\.)(?:\s*,\s*p+\.\s*\d+(?:[–\-]\d+)?)?$"
)
# The parenthesis of a narrative citation: "Zarate et al. (2006)", "Smith (2019, p. 14)".
_NARRATIVE_YEAR = re.compile(
    r"\s*(?P<year>(?:19|20)\d{2}[a-z]?)(?:\s*,\s*p+\.\s*\d+(?:[–\-]\d+)?)?\s*"
)
# The capitalised words before it, with connectors, and an author tail ("et al.", "and
# colleagues", "and Jones").
_NARRATIVE_NAME = re.compile(
    r"(?P<name>(?:[A-Z][\w'’\-]*\.?\s+(?:(?:of|and|for|the|on|in|&|de|van|von|der|la)\s+)*)"
    r"{0,7}[A-Z][\w'’\-]*)(?P<tail>\s+et\s+al\.?|\s+and\s+(?:colleagues|co-?workers|others)|"
    r"\s+(?:and|&)\s+[A-Z][\w'’\-]+)?\s*$"
)
# Author forms inside a citation: "Okafor & Lindqvist", "Smith and Jones", "Li, Lee and Duman".
_AUTHOR_FORM = re.compile(
    r"(?P<first>[A-Z][\w'’\-]+)(?:\s*,\s*[A-Z][\w'’\-]+)*(?:,?\s+(?:&|and)\s+"
    r"(?:[A-Z][\w'’\-]+|colleagues|co-?workers|others))?"
)
# Numbers in parentheses, Vancouver style: "(1)", "(2, 3)", "(8–10)".
_NUMERIC_PAREN = re.compile(r"\s*\d{1,3}(?:\s*[,–—\-]\s*\d{1,3})*\s*")
_ET_AL = re.compile(r"\s+et\s+al\.?,?$", re.IGNORECASE)
_ASIDE_START = re.compile(
    r"(?:e\.g|i\.e|see|cf|for example|for instance|also|compare)\b", re.IGNORECASE
)
_ACRONYM = re.compile(r"[A-Z][A-Za-z0-9&\-]{0,9}")
_WORD_BEFORE = re.compile(r"([A-Za-z][\w\-]*)\s*$")


def _split_numbers(marker: str) -> list[int]:
    """'2, 3' -> [2, 3]; '1–3' -> [1, 2, 3] (ranges capped at 50 numbers)."""
    numbers: list[int] = []
    for piece in re.split(r"\s*,\s*", marker.strip("[] ")):
        bounds = re.split(r"\s*[–—-]\s*", piece)
        try:
            if len(bounds) == 2:
                lo, hi = int(bounds[0]), int(bounds[1])
                if lo <= hi <= lo + 50:
                    numbers.extend(range(lo, hi + 1))
                    continue
            numbers.extend(int(b) for b in bounds if b)
        except ValueError:
            continue
    return numbers


def _initials(words: list[str], skip_connectors: bool) -> str:
    """First letters of words and of their hyphenated parts."""
    letters = []
    for word in words:
        for part in word.split("-"):
            if not part or (skip_connectors and part.lower() in _CONNECTORS):
                continue
            if part[0].isalpha():
                letters.append(part[0].lower())
    return "".join(letters)


def _is_definition(name: str, before: str) -> bool:
    """Whether '(name)' defines or expands the word(s) just before it.

    'National Institutes of Health (NIH)', 'BDNF (brain-derived neurotrophic factor)'.
    """
    words_before = re.findall(r"[A-Za-z][\w\-’']*", before[-120:])
    if not words_before:
        return False
    compact = re.sub(r"[^A-Za-z]", "", name).lower()
    if _ACRONYM.fullmatch(name) and sum(ch.isupper() for ch in name) >= 2 and len(compact) >= 2:
        for k in range(1, min(len(words_before), len(compact) + 3) + 1):
            tail = words_before[-k:]
            for skip in (True, False):
                if _initials(tail, skip) == compact:
                    return True
    last = words_before[-1]
    if sum(ch.isupper() for ch in last) >= 2 and len(last) <= 10:
        acronym = re.sub(r"[^A-Za-z]", "", last).lower()
        words = name.split()
        for skip in (True, False):
            if len(acronym) >= 2 and _initials(words, skip) == acronym:
                return True
    return False


def _looks_like_institution(name: str) -> bool:
    """Capitalised words naming a publisher or institution, or a well-known source."""
    norm = _norm_name(name)
    if norm in _KNOWN_SOURCE_NAMES and (len(norm) > 3 or norm in ("bbc", "stat", "npr")):
        return True
    if not _looks_like_name(name):
        return False
    return any(w in _PUBLISHER_WORDS for w in norm.split())


@dataclass(slots=True)
class _Matcher:
    """Name -> reference numbers, built once per article."""

    exact: dict[str, list[int]]
    names: list[tuple[frozenset[str], int]]
    years: dict[int, str] = field(default_factory=dict)
    venues: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    """Significant words of each reference's venue, for abbreviated journal names."""

    @classmethod
    def build(cls, references: list[Reference]) -> _Matcher:
        """Index every alias of every reference."""
        exact: dict[str, list[int]] = {}
        names: list[tuple[frozenset[str], int]] = []
        years: dict[int, str] = {}
        venues: list[tuple[tuple[str, ...], int]] = []
        for ref in references:
            if ref.year:
                years[ref.number] = ref.year
            aliases: set[str] = set()
            if ref.venue:
                aliases.add(_norm_name(ref.venue))
                aliases |= _ALIAS_INDEX.get(_norm_name(ref.venue), frozenset())
                words = tuple(w for w in _norm_name(ref.venue).split() if w not in _CONNECTORS)
                if words:
                    venues.append((words, ref.number))
            if ref.author:
                aliases.add(_norm_name(ref.author))
            for name in (ref.source, _domain_source(ref.urls)):
                norm = _norm_name(name)
                if not norm:
                    continue
                aliases.add(norm)
                aliases |= _ALIAS_INDEX.get(norm, frozenset())
                if acronym := _acronym(name):
                    aliases.add(acronym)
            m = re.match(r"([A-Z][\w'’\-]+),", ref.text) or re.match(
                r"([A-Z][\w'’\-]+),", ref.source + ","
            )
            if m:
                aliases.add(_norm_name(m.group(1)))
            for alias in aliases:
                numbers = exact.setdefault(alias, [])
                if ref.number not in numbers:
                    numbers.append(ref.number)
                tokens = frozenset(alias.split()) - _CONNECTORS
                if tokens:
                    names.append((tokens, ref.number))
        return cls(exact, names, years, venues)

    def match(self, name: str, partial: bool = True) -> list[int]:
        """Reference numbers whose source is this name, else that share a distinctive word."""
        norm = _norm_name(name)
        if not norm:
            return []
        if norm in self.exact:
            return list(self.exact[norm])
        if not partial:
            return []
        tokens = frozenset(norm.split()) - _CONNECTORS
        found: list[int] = []
        for alias_tokens, number in self.names:
            shared = tokens & alias_tokens
            if (
                shared - _GENERIC_NAME_WORDS
                and (alias_tokens <= tokens or tokens <= alias_tokens)
                and number not in found
            ):
                found.append(number)
        if not found:
            words = tuple(w for w in norm.split() if w not in _CONNECTORS)
            for venue, number in self.venues:
                if number not in found and (
                    _abbreviates(words, venue) or _abbreviates(venue, words)
                ):
                    found.append(number)
        return found

    def match_author_form(self, name: str, partial: bool = True) -> list[int]:
        """Like `match`, and for 'A & B', 'A and colleagues', 'A, B and C' by the first name."""
        found = self.match(name, partial)
        if not found and (form := _AUTHOR_FORM.fullmatch(name)) and form.group("first") != name:
            found = self.match(form.group("first"), partial)
        return found

    def by_year(self, candidates: list[int], year: str) -> list[int]:
        """The candidates of that year ('2020' also takes 2020a/b); else those of no known
        year; else none, since every candidate is a different work."""
        if not year or not candidates:
            return candidates
        same = [n for n in candidates if self.years.get(n, "").startswith(year)]
        if same:
            return same
        return [n for n in candidates if n not in self.years]


def _abbreviates(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Whether each word of `short` begins the matching word of `full` ('n engl j med' for
    'new england journal medicine'), with at least one word actually shortened."""
    if len(short) != len(full) or len(short) < 2 or short == full:
        return False
    return all(f.startswith(w) for w, f in zip(short, full, strict=True))


def _classify_part(part: str, before: str, matcher: _Matcher) -> tuple[bool, list[int]]:
    """Whether a parenthetical part is a citation, and its candidate references."""
    name = part.strip()
    had_year = False
    year = ""
    m = _YEAR_TAIL.search(name)
    if m:
        name = name[: m.start()].strip()
        had_year = True
        year = m.group("year") or ""
    et_al = _ET_AL.search(name)
    if et_al:
        name = name[: et_al.start()].strip()
    name = name.strip(" ,")
    if not name or not any(ch.isalpha() for ch in name) or not name[0].isupper():
        return False, []
    if _ASIDE_START.match(name):
        return False, []
    if _is_definition(name, before):
        return False, []
    candidates = matcher.match_author_form(name) if had_year or et_al else matcher.match(name)
    if candidates:
        return True, matcher.by_year(candidates, year)
    if _looks_like_institution(name):
        return True, []
    if (et_al or had_year) and re.fullmatch(
        r"[A-Z][\w'’\-]+(?:\s+(?:&|and)\s+[A-Z][\w'’\-]+)?", name
    ):
        return True, []
    return False, []


# ---------------------------------------------------------------------------------------
# Sentences and ranking
# ---------------------------------------------------------------------------------------

_WORD_AT_END = re.compile(r"([\w.]+)[.!?]$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_TOKEN = re.compile(r"[a-z][a-z0-9]+|\d{2,}")
_COMPOUND_PREFIX = re.compile(r"neuro|psycho")
_STOPWORDS = _word_set(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just may me might more most much must my no nor not now of off on once
    only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what
    when where which while who whom why will with within would you your yet one two many
    often shown show shows showed suggest suggests suggested research researchers study
    studies evidence found finding findings according published report reports reported
    people patient patients"""
)


@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals, -ing/-ed/-ion/-ity variants."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in (
        "ational",
        "ation",
        "ition",
        "ments",
        "ment",
        "ness",
        "ity",
        "ive",
        "ing",
        "ion",
        "ate",
        "ed",
        "ly",
        "al",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _stems(text: str) -> set[str]:
    """Stemmed content words of a text; 'neuroplasticity' also counts as 'plasticity'."""
    stems = set()
    for token in _TOKEN.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        stems.add(_stem(token))
        prefix = _COMPOUND_PREFIX.match(token)
        if prefix and len(token) - prefix.end() >= 5:
            stems.add(_stem(token[prefix.end() :]))
    return stems


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a block's text."""
    spans = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(text):
        word = _WORD_AT_END.search(text, max(0, m.start() - 30), m.start() + 1)
        token = word.group(1).replace(".", "").lower() if word else ""
        if text[m.start()] == "." and token and (len(token) == 1 or token in _ABBREVIATIONS):
            continue
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


@dataclass(slots=True)
class _Found:
    """A citation found in a block, before ranking."""

    block: int
    start: int
    end: int
    marker: str
    candidates: list[int]
    numeric: bool
    sentence: int = 0
    narrative: bool = False


# An enumeration, not a citation: "(1)" after a colon, a comma or "and", before a word.
_ENUMERATION_BEFORE = re.compile(r"(?:^|[:;,(]|\b(?:and|or|then))\s*$")
# Arithmetic around the parenthesis: "x = (2)", "(3) - (1)".
_MATHS_AROUND = re.compile(r"[=+\-−×*/<>^]\s*\(\)|\(\)\s*[=+\-−×*/<>^]")
# A number that names a part of something: "step (2)", "Table (3)", "group (1)".
_PART_BEFORE = re.compile(
    r"\b(?:steps?|stages?|phases?|parts?|items?|points?|options?|types?|grades?|levels?|"
    r"class(?:es)?|groups?|arms?|figures?|fig|tables?|equations?|eq|sections?|chapters?|"
    r"questions?|rows?|columns?|lines?|no|number|version|visit|day|week|dose)\.?\s*$",
    re.IGNORECASE,
)


def _numeric_paren(text: str, m: re.Match[str], ref_numbers: set[int], bi: int) -> _Found | None:
    """A Vancouver citation in parentheses, "(2, 3)", when every number is a reference."""
    numbers = _split_numbers(m.group(1))
    if not numbers or not all(n in ref_numbers for n in numbers):
        return None
    after = text[m.end() : m.end() + 2].lstrip()
    before = text[max(0, m.start() - 20) : m.start()]
    if _PART_BEFORE.search(before) or _MATHS_AROUND.search(before + "()" + after):
        return None
    if after[:1].isalpha() and _ENUMERATION_BEFORE.search(before):
        return None
    inner = m.group(1)
    start = m.start(1) + len(inner) - len(inner.lstrip())
    marker = _WHITESPACE.sub(" ", inner.strip())
    return _Found(bi, start, start + len(inner.strip()), marker, numbers, True)


def _narrative(text: str, m: re.Match[str], year: str, matcher: _Matcher, bi: int) -> _Found | None:
    """A narrative citation: a name or author form right before "(Year)"."""
    window_start = max(0, m.start() - 160)
    named = _NARRATIVE_NAME.search(text, window_start, m.start())
    if named is None:
        return None
    tail = named.group("tail") or ""
    words = list(re.finditer(r"\S+", named.group("name")))
    base = named.start("name")
    # Longest name first, an exact name before a partial one: "As Harlow (2021)" is Harlow's,
    # "The Lancet (2019)" may be The Lancet Psychiatry's.
    for partial in (False, True):
        for word in words:
            if word.group(0).lower() in _CONNECTORS or not word.group(0)[0].isupper():
                continue
            start = base + word.start()
            name = text[start : named.end("name")] + tail
            name = _WHITESPACE.sub(" ", name).strip()
            candidates = matcher.match_author_form(_ET_AL.sub("", name).strip(), partial)
            if candidates:
                marker = _WHITESPACE.sub(" ", text[start : m.end()])
                candidates = matcher.by_year(candidates, year)
                return _Found(bi, start, m.end(), marker, candidates, False, narrative=True)
    if re.search(r"et\s+al|colleagues|co-?workers|others", tail):
        start = base + words[-1].start()
        marker = _WHITESPACE.sub(" ", text[start : m.end()])
        return _Found(bi, start, m.end(), marker, [], False, narrative=True)
    return None


def _block_citations(
    block: _Block, matcher: _Matcher, ref_numbers: set[int], bi: int, numbered: bool = True
) -> tuple[str, list[_Found]]:
    """The block's text (rejected markers put back) and the citations in it."""
    accepted: list[tuple[int, str]] = []
    text = block.text
    code = list(block.code)
    linked = [(s, e) for s, e, _h in block.links]
    if block.markers:
        pieces = []
        prev = 0
        shift = 0
        for pos, mark, href, original in block.markers:
            numbers = _split_numbers(mark)
            pieces.append(block.text[prev:pos])
            prev = pos
            at = pos + shift
            if numbers and (all(n in ref_numbers for n in numbers) or href.startswith("#")):
                accepted.append((at, mark))
            else:
                # Not a citation after all (a power, a stray number): put its text back.
                pieces.append(original)
                size = len(original)
                code = [(a + size if a >= at else a, b + size if b > at else b) for a, b in code]
                linked = [
                    (a + size if a >= at else a, b + size if b > at else b) for a, b in linked
                ]
                shift += size
        pieces.append(block.text[prev:])
        text = "".join(pieces)

    def in_code(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in code)

    def in_link_text(start: int, end: int) -> bool:
        # Link texts are left alone, as link_citations cannot link inside them.
        return any(s <= start and end <= e for s, e in linked)

    found: list[_Found] = []
    for m in _PAREN.finditer(text):
        if in_code(m.start(), m.end()) or in_link_text(m.start(), m.end()):
            continue
        if _NUMERIC_PAREN.fullmatch(m.group(1)):
            if numbered and (cite := _numeric_paren(text, m, ref_numbers, bi)):
                found.append(cite)
            continue
        if year := _NARRATIVE_YEAR.fullmatch(m.group(1)):
            if cite := _narrative(text, m, year.group("year"), matcher, bi):
                found.append(cite)
            continue
        inner_start = m.start(1)
        offset = 0
        for part in m.group(1).split(";"):
            p_start = inner_start + offset + (len(part) - len(part.lstrip()))
            offset += len(part) + 1
            stripped = part.strip()
            if not stripped:
                continue
            is_cite, candidates = _classify_part(
                stripped, text[max(0, m.start() - 120) : m.start()], matcher
            )
            if is_cite:
                found.append(
                    _Found(
                        bi,
                        p_start,
                        p_start + len(stripped),
                        _WHITESPACE.sub(" ", stripped),
                        candidates,
                        False,
                    )
                )
    for m in _BRACKET.finditer(text):
        if in_code(m.start(), m.end()):
            continue
        numbers = _split_numbers(m.group(1))
        glued = m.start() > 0 and text[m.start() - 1].isalnum()
        if glued and not (numbers and all(n in ref_numbers for n in numbers)):
            continue
        found.append(
            _Found(
                bi,
                m.start(),
                m.end(),
                _WHITESPACE.sub(" ", m.group(1)),
                [n for n in numbers if n in ref_numbers],
                True,
            )
        )
    for pos, mark in accepted:
        if in_code(pos, pos):
            continue
        numbers = _split_numbers(mark)
        found.append(
            _Found(bi, pos, pos, mark.strip("[] "), [n for n in numbers if n in ref_numbers], True)
        )
    found.sort(key=lambda f: (f.start, f.end))
    return text, found


def _rank(
    found: list[_Found],
    sentences: list[list[str]],
    sentence_of: list[int],
    references: list[Reference],
) -> list[list[int]]:
    """Order each name citation's candidates by description/sentence similarity."""
    ref_stems = {r.number: _stems(r.text) for r in references}
    df: dict[str, int] = {}
    for stems in ref_stems.values():
        for s in stems:
            df[s] = df.get(s, 0) + 1
    n_refs = max(len(references), 1)
    idf = {s: math.log(1 + n_refs / d) for s, d in df.items()}
    ref_norm = {n: math.sqrt(sum(idf[s] for s in stems)) or 1.0 for n, stems in ref_stems.items()}
    stem_cache: dict[tuple[int, int], set[str]] = {}

    def sentence_stems(block: int, idx: int) -> set[str]:
        key = (block, idx)
        if key not in stem_cache:
            stem_cache[key] = _stems(sentences[block][idx])
        return stem_cache[key]

    def score(number: int, stems: set[str]) -> float:
        own = ref_stems.get(number, set())
        return sum(idf[s] for s in stems & own) / ref_norm.get(number, 1.0)

    # A neighbouring sentence with a citation of its own supports that citation, not this one.
    cited = set(zip((f.block for f in found), sentence_of, strict=True))
    used: set[int] = set()
    ranked: list[list[int]] = []
    for f, sidx in zip(found, sentence_of, strict=True):
        candidates = f.candidates
        if f.numeric or len(candidates) <= 1:
            ranked.append(list(candidates))
            if candidates:
                used.add(candidates[0])
            continue
        here = sentence_stems(f.block, sidx)
        prev = (
            sentence_stems(f.block, sidx - 1)
            if sidx > 0 and (f.block, sidx - 1) not in cited
            else set()
        )
        nxt = (
            sentence_stems(f.block, sidx + 1)
            if sidx + 1 < len(sentences[f.block]) and (f.block, sidx + 1) not in cited
            else set()
        )
        scored = []
        for number in candidates:
            total = score(number, here) + 0.3 * score(number, prev) + 0.15 * score(number, nxt)
            scored.append((-round(total, 9), number in used, number))
        scored.sort()
        order = [number for _s, _u, number in scored]
        used.add(order[0])
        ranked.append(order)
    return ranked


MAX_REFERENCES = 300
"""References kept per article; real reference lists are far shorter."""
MAX_SENTENCE = 1_000
"""Characters of a citing sentence kept; a real sentence is far shorter."""
MAX_CITATIONS = 2_000
"""Inline citations linked per article; a hostile body may repeat one millions of times."""


def analyse(html: str, base_url: str = "") -> ReferenceAnalysis:
    """Find the references, inline citations and links of a sanitised HTML article body."""
    parser = _BlockParser()
    parser.feed(html or "")
    parser.close()
    blocks = parser.blocks

    references, excluded, numbered = _extract_references(blocks, base_url)
    # Bounds for hostile bodies: ranking costs citations × same-source references.
    references = references[:MAX_REFERENCES]
    matcher = _Matcher.build(references)
    ref_numbers = {r.number for r in references}

    found: list[_Found] = []
    sentences: list[list[str]] = [[] for _ in blocks]
    sentence_of: list[int] = []
    sentence_text: list[str] = []
    for bi, block in enumerate(blocks):
        if bi in excluded or block.kind == "hr":
            continue
        text, in_block = _block_citations(block, matcher, ref_numbers, bi, numbered)
        if not in_block:
            continue
        spans = _sentence_spans(text)
        starts = [s for s, _e in spans]
        sentences[bi] = [_WHITESPACE.sub(" ", text[s:e]).strip() for s, e in spans]
        for f in in_block[: max(MAX_CITATIONS - len(found), 0)]:
            idx = max(bisect_right(starts, f.start) - 1, 0)
            # A citation opening a sentence ("... connections. (NIH) Next") closes the
            # previous one.
            if idx > 0 and not f.narrative and not text[spans[idx][0] : f.start].strip(' (["“'):
                idx -= 1
                combined = _WHITESPACE.sub(" ", text[spans[idx][0] : f.end + 1]).strip()
                sentence_text.append(combined)
            elif spans[idx][1] - spans[idx][0] > MAX_SENTENCE:
                # A "sentence" without breaks (a hostile or broken body): the words that
                # lead up to the citation.
                lo = max(spans[idx][0], f.end - MAX_SENTENCE)
                sentence_text.append(_WHITESPACE.sub(" ", text[lo : f.end]).strip())
            else:
                sentence_text.append(sentences[bi][idx])
            sentence_of.append(idx)
            found.append(f)

    ranked = _rank(found, sentences, sentence_of, references)
    citations = [
        Citation(index=i, marker=f.marker, sentence=sentence_text[i], references=ranked[i])
        for i, f in enumerate(found)
    ]

    links: list[Link] = []
    seen: set[str] = set()
    for href, text in parser.anchors:
        if href.startswith("#"):
            continue
        url = _resolve(href, base_url)
        if url in seen:
            continue
        seen.add(url)
        links.append(Link(_WHITESPACE.sub(" ", text).strip() or url, url))
    return ReferenceAnalysis(references, citations, links)


# ---------------------------------------------------------------------------------------
# Markdown linking
# ---------------------------------------------------------------------------------------

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
    return _WHITESPACE.sub(" ", text).strip()


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
        if not m.group(0).startswith("!") and _NUMERIC_MARK.fullmatch(label):
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
    for m in _SUPER_RUN.finditer(markdown):
        if not protected.overlaps(m.start(), m.end()):
            key = _num_norm(_from_superscript(m.group(0)))
            candidates.append(_MdCandidate(m.start(), m.end(), key, "glued"))
    candidates.sort(key=lambda c: (c.start, c.end))
    return candidates


def _glued_fits(markdown: str, cand: _MdCandidate, sentence: str) -> bool:
    """Whether the word a bare superscript number follows ends a word of the sentence."""
    m = _WORD_BEFORE.search(markdown[max(0, cand.start - 60) : cand.start].rstrip(".,;:)”’\"'*_"))
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
