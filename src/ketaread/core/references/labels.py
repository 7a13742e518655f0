"""Entry fields: first author, year, venue; the label; the links a reference offers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from ketaread.core.references.domains import (
    WHITESPACE,
    domain_source,
    looks_like_name,
    norm_name,
    url_host,
)
from ketaread.core.references.model import Reference

_YEAR_RE = r"(?:19|20)\d{2}"
# APA and Harvard: "Authors (2020a)." or "Authors. (2023, March 31)." then the rest.
AUTHOR_DATE_HEAD = re.compile(
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


# A year inside a DOI: "10.1176/ajp.2006.163.11.1905", "10.3389/fpsyt.2020.00123", and
# Springer Nature's article numbers "s41591-025-03800-w" (2025).
_DOI_YEAR = re.compile(r"\.(?P<year>" + _YEAR_RE + r")\.\d")
_SPRINGER_NATURE_YEAR = re.compile(r"/s\d{5}-0(?P<yy>[0-4]\d)-\d")
# Databases and resolvers: where an entry is found, never the journal it appeared in.
_DATABASE_HOSTS = re.compile(
    r"(?:^|\.)(?:ncbi\.nlm\.nih\.gov|europepmc\.org|doi\.org|semanticscholar\.org|"
    r"scholar\.google\.[a-z.]+|researchgate\.net)$"
)
# What names a journal rather than an organisation: "Archives of General Psychiatry",
# "Proceedings of the National Academy of Sciences", "Biological Psychiatry", "Science".
_JOURNAL_WORD = re.compile(
    r"\b(?:journal|archives|proceedings|annals|transactions|bulletin|letters)\b", re.IGNORECASE
)
_ORGANISATION_WORD = re.compile(
    r"\b(?:association|institutes?|organi[sz]ation|administration|agency|department|clinic|"
    r"hospital|university|cent(?:er|re)s?|foundation|college|council|society|library|"
    r"service|ministry|office|health\s+system|genetics|plus)\b",
    re.IGNORECASE,
)
_FIELD_WORD = re.compile(
    r"\b(?:psychiatry|neuroscience|neurosciences|medicine|pharmacology|psychopharmacology|"
    r"neurology|biology|neuropsychopharmacology|psychology|nature|science|cell|neuron|"
    r"lancet|bmj|jama|pnas|plos|elife|frontiers)\b",
    re.IGNORECASE,
)


_STUDY = r"(?:study|studies|trial|paper|report|review|meta-analysis|analysis|experiment|survey)"
# "In a 2006 trial …", "A 1994 study in healthy volunteers …", "a trial in 2006 …",
# "published in 2000": the year of the work the sentence cites.
STUDY_YEAR = re.compile(
    rf"\b(?P<a>{_YEAR_RE})\b(?=[\w\s,-]{{0,30}}?\b{_STUDY}\b)|"
    rf"\b{_STUDY}\b[^.;()]{{0,25}}?\bin\s+(?P<b>{_YEAR_RE})\b|"
    rf"\bpublished\b[^.;()]{{0,60}}?\bin\s+(?P<c>{_YEAR_RE})\b",
    re.IGNORECASE,
)


def study_year(text: str) -> str:
    """The one year a text gives the study it describes ("A 2016 mouse study"), or ''."""
    years = {m.group("a") or m.group("b") or m.group("c") for m in STUDY_YEAR.finditer(text)}
    return next(iter(years)) if len(years) == 1 else ""


def doi_year(doi: str | None) -> str:
    """The publication year a DOI spells out, or ''."""
    if not doi:
        return ""
    if m := _DOI_YEAR.search(doi):
        return m.group("year")
    if doi.startswith(("10.1038/", "10.1007/", "10.1186/")) and (
        m := _SPRINGER_NATURE_YEAR.search("/" + doi.split("/", 1)[1])
    ):
        return "20" + m.group("yy")
    return ""


def is_journal_name(name: str) -> bool:
    """Whether a source name is a journal's ('Archives of General Psychiatry'), not an
    organisation's ('National Institute of Mental Health')."""
    if _JOURNAL_WORD.search(name):
        return True
    return not _ORGANISATION_WORD.search(name) and bool(_FIELD_WORD.search(name))


def is_database_host(host: str) -> bool:
    """Whether a host is a database or resolver (PubMed, PMC, doi.org), not a venue."""
    return bool(_DATABASE_HOSTS.search(host))


@dataclass(slots=True)
class Fields:
    """What an entry's text says about itself."""

    author: str = ""
    year: str = ""
    venue: str = ""
    title: str = ""


def first_author(who: str) -> str:
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
    if "," not in who and looks_like_name(who.replace(".", "")):
        return who  # an organisation: "US Food and Drug Administration"
    if looks_like_name(first.replace(".", "")) and len(first.split()) <= 2:
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


def entry_fields(body: str) -> Fields:
    """Author, year, venue and title of an APA, Harvard, Vancouver, AMA or web entry."""
    text = _IDENTIFIER_TEXT.sub(" ", body)
    text = WHITESPACE.sub(" ", text).strip(" .;,")
    if not text:
        return Fields()
    # APA / Harvard: "Author, A. (2020). Title. Journal, 4(1), 1-9." or "Org. (2023, May)."
    m = AUTHOR_DATE_HEAD.match(text)
    if m and "(" not in m.group("who"):
        fields = Fields(
            author=first_author(m.group("who")),
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
    fields = Fields(author=first_author(segments[0]))
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


def is_host(name: str) -> bool:
    """Whether a source name is only a host name ('doi.org', 'example.com')."""
    return bool(re.fullmatch(r"[\w\-]+(?:\.[\w\-]+)+", name))


def reference_label(ref: Reference) -> str:
    """The label 'First author Year · Journal' (or organisation, or site) of an entry."""
    who = ref.author or ("" if is_host(ref.source) else ref.source)
    venue = ref.venue
    site = url_host(ref.urls[0]) if ref.urls else ""
    if not venue and ref.ids.get("doi"):
        venue = _DOI_PUBLISHERS.get(str(ref.ids["doi"]).split("/", 1)[0], "")
    if (
        not venue
        and site
        and not is_database_host(site)
        and (not who or norm_name(domain_source(ref.urls[:1])) != norm_name(who))
    ):
        venue = site
    if venue and who and norm_name(venue).startswith(norm_name(who)):
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
VOLUME = re.compile(
    r"(?:19|20)\d{2}\s*;\s*\d|,\s*\d+\s*(?:\(\d+\))?,\s*(?:pp?\.\s*)?\d+[–\-]\d+|"
    r",\s*\d+\s*\(\d+\)|\bpp\.\s*\d",
    re.IGNORECASE,
)
_LABEL_URL = re.compile(
    r"/drugsatfda_docs/label/|dailymed\.nlm\.nih\.gov|/EPAR/|medicines\.org\.uk"
)
_GUIDELINE_URL = re.compile(r"nice\.org\.uk/guidance|/guidelines?/|/guidance/")


def text_kind(text: str, urls: list[str], venue: str, has_journal: bool) -> str:
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
