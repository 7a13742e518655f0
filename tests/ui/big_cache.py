"""A realistic cache for the UI tests: several feeds, hundreds of articles, long titles.

The 16 bundled samples just fit at 80x24, which hides every scrolling bug; these feeds
are written as RSS files and refreshed through the real refresher, as a user's would be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

FEEDS = (
    ("Synapse Weekly", ("glutamate", "plasticity")),
    ("Clinical Ketamine Notes", ("clinical", "safety")),
    ("The Default Mode Digest", ("networks", "plasticity")),
    ("Receptor Reading Group", ("receptors", "glutamate")),
)
SUBJECTS = (
    "NMDA receptor blockade",
    "the glutamate surge",
    "BDNF and synaptogenesis",
    "esketamine nasal spray",
    "the default mode network",
    "AMPA throughput",
    "hydroxynorketamine metabolites",
    "dissociation scores",
    "relapse after infusion series",
    "mTORC1 signalling",
)
ANGLES = (
    "what a trial of 312 patients with treatment-resistant depression says about dose and timing",
    "a reading of the evidence for people starting ketamine-assisted therapy next month",
    "why the rapid antidepressant effect outlasts the drug by days, explained step by step",
    "seven questions clinicians ask, and the answers the current literature can give",
)
START = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
"""The newest article's date (a week before the snapshots' fixed 'now')."""


def article_title(feed: int, item: int) -> str:
    """The long title of item `item` of feed `feed`."""
    subject = SUBJECTS[(feed * 3 + item) % len(SUBJECTS)]
    angle = ANGLES[(feed + item) % len(ANGLES)]
    number = f"part {item + 1}" if item >= 0 else f"update {-item}"
    return f"{subject[0].upper()}{subject[1:]}: {angle} ({number})"


def feed_xml(feed: int, items: int, first: int = 0) -> str:
    """An RSS document for feed `feed` with `items` items, numbered from `first`.

    Items are an hour apart per feed, interleaved between feeds, item 0 the newest; a
    negative `first` adds newer items (a refresh bringing new articles).
    """
    title, tags = FEEDS[feed]
    entries = []
    for item in range(first, first + items):
        moment = START - timedelta(hours=item * len(FEEDS) + feed)
        categories = "".join(f"<category>{tag}</category>" for tag in tags[: 1 + item % 2])
        entries.append(
            "<item>"
            f"<title>{escape(article_title(feed, item))}</title>"
            f"<link>https://example.org/feed{feed}/item{item}</link>"
            f"<guid>feed{feed}-item{item}</guid>"
            f"<pubDate>{format_datetime(moment)}</pubDate>"
            f"<author>editor{feed}@example.org (Editor {feed})</author>"
            f"{categories}"
            f"<description>{escape(f'<p>Item {item} of {title}. The NMDA receptor and BDNF.</p>')}"
            "</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.org/feed{feed}</link>"
        f"<description>Test feed</description>{''.join(entries)}</channel></rss>"
    )


def write_feeds(folder: Path, per_feed: int = 80) -> list[Path]:
    """Write one RSS file per feed (320 articles by default); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for feed in range(len(FEEDS)):
        path = folder / f"feed{feed}.xml"
        path.write_text(feed_xml(feed, per_feed), encoding="utf-8")
        paths.append(path)
    return paths
