"""Knowledge about sources and domains: names, aliases and the kinds of sites."""

from __future__ import annotations

import re
from urllib.parse import urlsplit


def word_set(text: str) -> frozenset[str]:
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

JOURNAL_DOMAINS = (
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
GOVERNMENT_DOMAINS = ("nih.gov", "who.int", "nhs.uk", "europa.eu", "nice.org.uk", "gc.ca")
ENCYCLOPEDIA_DOMAINS = (
    "wikipedia.org",
    "britannica.com",
    "scholarpedia.org",
    "encyclopedia.com",
    "plato.stanford.edu",
)
NEWS_DOMAINS = (
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
CLINIC_DOMAINS = (
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
CLINIC_HOST_WORDS = re.compile(
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

PUBLISHER_WORDS = word_set(
    """institute institutes institution university clinic clinics association society
    college academy foundation organization organisation centre center centers centres
    hospital department administration agency council journal journals review reviews
    nature lancet science sciences cell bulletin proceedings press news times post
    magazine encyclopedia encyclopaedia psychiatry medicine neuroscience library
    reports report annals archives letters frontiers communications"""
)
# Words too common among source names to make a partial match on their own.
GENERIC_NAME_WORDS = word_set(
    """journal journals university institute institutes national american international
    clinic health review reviews association society college center centre medical
    medicine science sciences research of and the for in on at news"""
)
CONNECTORS = word_set("of and for the on in at de la du und to &")


def norm_name(name: str) -> str:
    """Lowercase, '&' as 'and', no punctuation or leading 'the': how names are compared."""
    name = name.lower().replace("&", " and ").replace(".", "")
    name = _NON_WORD.sub(" ", name)
    name = WHITESPACE.sub(" ", name).strip()
    if name.startswith("the "):
        name = name[4:]
    return name


_NON_WORD = re.compile(r"[^\w\s]")
WHITESPACE = re.compile(r"\s+")
ALIAS_INDEX: dict[str, frozenset[str]] = {}
for _group in _ALIAS_GROUPS:
    _normed = frozenset(norm_name(n) for n in _group)
    for _n in _normed:
        ALIAS_INDEX[_n] = ALIAS_INDEX.get(_n, frozenset()) | _normed
KNOWN_SOURCE_NAMES = frozenset(norm_name(n) for n in _DOMAIN_SOURCES.values()) | frozenset(
    ALIAS_INDEX
)


def url_host(url: str) -> str:
    """The lowercase host of a URL without 'www.', or '' when it has none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def host_matches(host: str, suffixes: tuple[str, ...] | dict[str, str]) -> str:
    """The longest suffix in `suffixes` that `host` equals or is a subdomain of, else ''."""
    best = ""
    for suffix in suffixes:
        if (host == suffix or host.endswith("." + suffix)) and len(suffix) > len(best):
            best = suffix
    return best


def domain_source(urls: list[str]) -> str:
    """The source name the first recognised URL domain gives, or ''."""
    for url in urls:
        suffix = host_matches(url_host(url), _DOMAIN_SOURCES)
        if suffix:
            return _DOMAIN_SOURCES[suffix]
    return ""


def acronym_of(name: str) -> str:
    """Initials of the significant words of a multi-word name ('' for one word)."""
    words = [w for w in re.split(r"[\s\-]+", name) if w and w.lower() not in CONNECTORS]
    if len(words) < 2:
        return ""
    return "".join(w[0] for w in words if w[0].isalpha()).lower()


def looks_like_name(prefix: str) -> bool:
    """A short run of capitalised words with connectors: 'American Journal of Psychiatry'."""
    if not prefix or len(prefix) > 100 or not prefix[0].isupper():
        return False
    if any(ch.isdigit() or ch in ',;:()[]"“”?!' for ch in prefix):
        return False
    words = prefix.split()
    if not 1 <= len(words) <= 10:
        return False
    for word in words:
        if word.lower() in CONNECTORS:
            continue
        if not (word[0].isupper() or word[0] == "&"):
            return False
    return words[-1].lower() not in CONNECTORS
