"""Identifiers (DOI, PMID, PMCID, arXiv) and the kind of a reference."""

from __future__ import annotations

import re

from ketaread.core.references.domains import (
    CLINIC_DOMAINS,
    CLINIC_HOST_WORDS,
    ENCYCLOPEDIA_DOMAINS,
    GOVERNMENT_DOMAINS,
    JOURNAL_DOMAINS,
    NEWS_DOMAINS,
    host_matches,
    norm_name,
    url_host,
)
from ketaread.core.references.labels import VOLUME, Fields, text_kind
from ketaread.core.references.model import ID_KEYS

_DOI_IN_URL = re.compile(
    r"(?:doi\.org/|/doi/(?:abs/|full/|pdf/|epdf/|epub/|fulltext/)?|frontiersin\.org/articles?/)"
    r"(10\.\d{4,9}/[^\s?#\"<>]+?)(?:/(?:full|abstract|pdf|epdf|fulltext|meta))?/?(?:[?#]|$)",
    re.IGNORECASE,
)
DOI_IN_TEXT = re.compile(r"\b(?:doi:?\s*)?(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_NATURE_ARTICLE = re.compile(r"nature\.com/articles/([A-Za-z0-9.\-]+?)(?:\.pdf)?(?:[/?#]|$)")
_PMID_IN_URL = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})")
PMID_IN_TEXT = re.compile(r"\bPMID:?\s*(\d{1,9})\b")
PMCID = re.compile(r"\b(PMC\d{3,9})\b")
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


def find_ids(urls: list[str], text: str) -> dict[str, str | None]:
    """DOI, PMID, PMCID and arXiv id from the URLs first, then from the text."""
    ids: dict[str, str | None] = dict.fromkeys(ID_KEYS)
    for url in urls:
        if ids["doi"] is None:
            m = _DOI_IN_URL.search(url)
            if m:
                ids["doi"] = _tidy_doi(m.group(1))
            elif m := _NATURE_ARTICLE.search(url):
                ids["doi"] = "10.1038/" + m.group(1)
        if ids["pmid"] is None and (m := _PMID_IN_URL.search(url)):
            ids["pmid"] = m.group(1)
        if ids["pmcid"] is None and "/articles/" in url and (m := PMCID.search(url)):
            ids["pmcid"] = m.group(1)
        if ids["arxiv"] is None and (m := _ARXIV_IN_URL.search(url)):
            ids["arxiv"] = m.group(1)
    if ids["doi"] is None and (m := DOI_IN_TEXT.search(text)):
        ids["doi"] = _tidy_doi(m.group(1))
    if ids["pmid"] is None and (m := PMID_IN_TEXT.search(text)):
        ids["pmid"] = m.group(1)
    if ids["pmcid"] is None and (m := PMCID.search(text)):
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


def reference_kind(
    urls: list[str],
    ids: dict[str, str | None],
    source: str,
    fields: Fields | None = None,
    description: str = "",
) -> str:
    """Classify a reference; see the module docstring for the order of the rules."""
    base = _site_kind(urls, ids, source)
    if fields is None:
        return base
    words = fields.title or description
    has_journal = any(ids.values()) or base == "journal" or bool(VOLUME.search(description))
    found = text_kind(words, urls, fields.venue, has_journal)
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
        host = url_host(url)
        if not host:
            continue
        if host_matches(host, JOURNAL_DOMAINS) or host.startswith("journals."):
            return "journal"
        if _GOV_HOST.search(host) or host_matches(host, GOVERNMENT_DOMAINS):
            return "government"
        if host_matches(host, ENCYCLOPEDIA_DOMAINS):
            return "encyclopedia"
        if host_matches(host, NEWS_DOMAINS):
            return "news"
        if host_matches(host, CLINIC_DOMAINS) or CLINIC_HOST_WORDS.search(host):
            return "clinic"
        if host.endswith(".com"):
            return "clinic"
    name = norm_name(source)
    for pattern, kind in _NAME_KIND_RULES:
        if name and pattern.search(name):
            return kind
    return "other"
