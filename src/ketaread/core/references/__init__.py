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
    Without a section or footnotes, a "Source: Name, URL" (or "Sources: A, URL; B, URL")
    line ending a paragraph gives one entry per part that carries a link or an identifier.

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
    ("2019.", "Published June 29, 2022."; never an "Accessed" date). An entry that opens
    with a journal's name ("Archives of General Psychiatry. A crossover trial... URL": a
    journal word, or a field such as Psychiatry or Nature and no organisation word) names its
    venue, not its author; its author is a "Surname and colleagues" / "Surname et al." the
    description opens with. Without a year in those places: the year inside its DOI
    ("ajp.2006.163", Springer Nature's "s41591-025-"), else the one study year its
    description gives ("A 2016 mouse study"), else, for a study, the one year the sentences
    citing it give ("In a 2006 trial ... (Archives of General Psychiatry)"; none when they
    disagree). `label` is "author year · venue", the venue falling back to a DOI prefix's
    publisher, then the site (never a database or resolver: PubMed, PMC, doi.org).
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

Modules
    `model` (the dataclasses and their JSON), `domains` (source names and sites), `identifiers`
    (ids and kinds), `labels` (entry fields, label, links), `blocks` (HTML to text blocks),
    `lists` (reference lists), `citations` (inline citations, ranking, `analyse`) and
    `markdown` (`link_citations`). Callers import from `ketaread.core.references` only.
"""

from __future__ import annotations

from ketaread.core.references.citations import (
    MAX_CITATIONS as MAX_CITATIONS,
)
from ketaread.core.references.citations import (
    MAX_REFERENCES as MAX_REFERENCES,
)
from ketaread.core.references.citations import (
    MAX_SENTENCE as MAX_SENTENCE,
)
from ketaread.core.references.citations import analyse
from ketaread.core.references.labels import reference_links
from ketaread.core.references.markdown import link_citations
from ketaread.core.references.model import CITE_SCHEME as CITE_SCHEME
from ketaread.core.references.model import Citation, Link, Reference, ReferenceAnalysis

__all__ = [
    "Citation",
    "Link",
    "Reference",
    "ReferenceAnalysis",
    "analyse",
    "link_citations",
    "reference_links",
]
