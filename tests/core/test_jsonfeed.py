"""JSON Feed 1.0/1.1 and enclosures: files, URLs on 127.0.0.1, hostile JSON, cache, JSON out."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ketaread.core.models import Enclosure
from ketaread.core.parse import NotAFeed, parse_duration, parse_feed, sniff
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.sources import SourceError, scan_local
from ketaread.core.store import ALL_ARTICLES, Store

V11 = "https://jsonfeed.org/version/1.1"
V10 = "https://jsonfeed.org/version/1"


def json_feed(version: str = V11, items: int = 3, **extra: object) -> dict:
    """A JSON Feed with `items` items, each with a tag, an author and an attachment."""
    author = (
        {"authors": [{"name": "Dr. Ada Example"}]}
        if version == V11
        else {"author": {"name": "Dr. Ada Example"}}
    )
    return {
        "version": version,
        "title": "Ketamine clinic notes",
        "home_page_url": "https://clinic.example/",
        "feed_url": "https://clinic.example/feed.json",
        "items": [
            {
                "id": f"post-{n}",
                "url": f"/notes/{n}",
                "title": f"Note {n} on NMDA receptors",
                "content_html": f"<p>Body {n}</p><script>alert(1)</script>",
                "date_published": f"2026-03-0{n + 1}T09:00:00Z",
                "tags": ["glutamate", "glutamate", 7],
                "attachments": [
                    {
                        "url": f"https://cdn.example/episode-{n}.mp3",
                        "mime_type": "audio/mpeg",
                        "size_in_bytes": 48_200_000,
                        "duration_in_seconds": 2520,
                    }
                ],
                **author,
            }
            for n in range(items)
        ],
        **extra,
    }


def encode(document: object) -> bytes:
    """JSON bytes."""
    return json.dumps(document).encode()


@pytest.mark.parametrize("version", [V10, V11])
def test_json_feed_versions_parse_like_xml_feeds(version: str) -> None:
    data = encode(json_feed(version))
    assert sniff(data).kind == "feed"
    feed = parse_feed(data, "notes.json", base_url="https://clinic.example/feed.json")
    assert feed.title == "Ketamine clinic notes"
    assert feed.link == "https://clinic.example/"
    first = feed.articles[0]
    assert first.uid == "post-0"
    assert first.link == "https://clinic.example/notes/0"  # relative, resolved
    assert first.author == "Dr. Ada Example"
    assert first.tags == ["glutamate", "7"]  # deduplicated, a number read as text
    assert "<script>" not in first.html and "Body 0" in first.html  # same cleaning
    assert first.published == 1772355600.0  # 2026-03-01T09:00:00Z
    assert first.enclosures == [
        Enclosure("https://cdn.example/episode-0.mp3", "audio/mpeg", 48_200_000, 2520)
    ]


def test_content_text_becomes_paragraphs_and_feed_author_is_the_fallback() -> None:
    document = {
        "version": V11,
        "title": "T",
        "authors": [{"name": "Feed Author"}],
        "items": [{"id": 1, "content_text": "One line.\n\nhttps://doi.org/10.1/x"}],
    }
    article = parse_feed(encode(document), "x.json").articles[0]
    assert article.uid == "1"
    assert article.author == "Feed Author"
    assert article.title == "One line. https://doi.org/10.1/x"
    assert '<a href="https://doi.org/10.1/x">' in article.html


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("[" * 5000 + "]" * 5000, "JSON"),
        ('{"version": "' + V11 + '", "items": ' + "[" * 500 + "]" * 500 + "}", "deeper"),
        ('{"version": "' + V11 + '", "items": 3}', "no 'items' list"),
        ('{"version": "' + V11 + '", "items": [', "not valid JSON"),
        ('{"version": "https://example.org/v9", "items": []}', "not a feed"),
    ],
    ids=["deep-array", "deep-items", "items-not-list", "truncated", "other-version"],
)
def test_hostile_json_is_one_clear_reason(tmp_path: Path, document: str, reason: str) -> None:
    path = tmp_path / "feed.json"
    path.write_text(document)
    with pytest.raises(SourceError) as raised:
        scan_local(str(path))
    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)


def test_wrong_types_and_huge_strings_are_missing_fields_not_crashes() -> None:
    document = {
        "version": V11,
        "title": ["not", "a", "string"],
        "home_page_url": {"x": 1},
        "items": [
            "not an object",
            {
                "id": {"nested": True},
                "url": "https://clinic.example/a",
                "title": "x" * 5_000_000,
                "tags": "not a list",
                "authors": "nobody",
                "attachments": [
                    {"url": 5},
                    "junk",
                    {"url": "javascript:alert(1)"},
                    {"url": "https://cdn.example/a.mp4"},
                ],
                "date_published": 12345,
                "content_html": None,
            },
        ],
    }
    feed = parse_feed(encode(document), "odd.json")
    assert feed.title == "odd.json"
    (article,) = feed.articles
    assert article.uid == "https://clinic.example/a"
    assert len(article.title) <= 500
    assert article.tags == [] and article.author == "" and article.published is None
    assert [e.url for e in article.enclosures] == ["https://cdn.example/a.mp4"]
    assert "1 items were not objects" in feed.warnings[0]


def test_item_count_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ketaread.core.parse.MAX_ITEMS_PER_FEED", 10)
    feed = parse_feed(encode(json_feed(items=25)), "big.json")
    assert len(feed.articles) == 10
    assert "25 items; kept the first 10" in feed.warnings


def test_plain_json_is_still_refused_as_data() -> None:
    data = encode({"name": "config", "items": [1, 2]})
    assert sniff(data).kind == "json"
    with pytest.raises(NotAFeed):
        parse_feed(data, "data.json")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("3600", 3600), ("59:30", 3570), ("1:02:03", 3723), ("soon", None), ("", None)],
)
def test_itunes_durations(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


RSS_WITH_ENCLOSURE = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel>
<title>Podcast</title><link>https://pod.example/</link>
<item><guid>ep1</guid><title>Episode 1</title><link>https://pod.example/1</link>
<description>Talk about BDNF.</description>
<enclosure url="/media/ep1.mp3" type="audio/mpeg" length="31000000"/>
<itunes:duration>42:00</itunes:duration></item>
</channel></rss>"""


def test_rss_enclosures_are_stored_and_read_back(tmp_path: Path) -> None:
    feed = parse_feed(RSS_WITH_ENCLOSURE, "pod.xml", base_url="https://pod.example/feed")
    assert feed.articles[0].enclosures == [
        Enclosure("https://pod.example/media/ep1.mp3", "audio/mpeg", 31_000_000, 2520)
    ]
    store = Store(tmp_path / "c.db")
    store.store_feed("pod.xml", feed)
    ((row, _tags),) = store.list_articles(ALL_ARTICLES)
    assert store.article(row.id).enclosures == feed.articles[0].enclosures
    # A changed enclosure alone updates the article and replaces the stored list.
    feed.articles[0].enclosures = [Enclosure("https://pod.example/media/ep1b.mp3")]
    assert store.store_feed("pod.xml", feed).updated == 1
    assert [e.url for e in store.article(row.id).enclosures] == [
        "https://pod.example/media/ep1b.mp3"
    ]
    store.close()


def test_json_feed_url_on_loopback_refreshes_and_shows_enclosures(
    server: HTTPServer, tmp_db: Path, run_cli, tmp_config: Path
) -> None:
    server.expect_request("/feed.json").respond_with_response(
        Response(encode(json_feed()), content_type="application/feed+json")
    )
    url = server.url_for("/feed.json")
    store = Store(tmp_db)
    summary = refresh(store, [SourceSpec(url)])
    assert [r.status for r in summary.reports] == ["updated"]
    assert summary.reports[0].new == 3
    store.close()
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(f'[[source]]\nlocation = "{url}"\n')
    code, out, err = run_cli("list", "--json")
    assert code == 0, err
    first = json.loads(out)[-1]
    code, out, err = run_cli("show", first["id"], "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["enclosures"] == [
        {"url": "https://cdn.example/episode-0.mp3", "type": "audio/mpeg", "length": 48_200_000}
    ]
    code, out, err = run_cli("show", first["id"])
    assert "Attachment: episode-0.mp3 (audio/mpeg, 48.2 MB, 42 min)" in out


def test_json_feed_file_is_read_by_the_cli(run_cli, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(encode(json_feed(V10, items=2)))
    assert run_cli("add", str(path))[0] == 0
    code, out, err = run_cli("refresh")
    assert code == 0, err
    assert "2 new" in out
    code, out, _ = run_cli("list")
    assert "Note 1 on NMDA receptors" in out


def test_hostile_json_url_is_one_error_line_and_keeps_the_cache(
    server: HTTPServer, tmp_db: Path
) -> None:
    good = encode(json_feed(items=2))
    bodies = [good, b'{"version": "' + V11.encode() + b'", "items": ' + b"[" * 100_000]
    server.expect_request("/f.json").respond_with_handler(
        lambda _request: Response(bodies.pop(0), content_type="application/feed+json")
    )
    url = server.url_for("/f.json")
    store = Store(tmp_db)
    refresh(store, [SourceSpec(url)])
    started = time.monotonic()
    (report,) = refresh(store, [SourceSpec(url)]).reports
    assert time.monotonic() - started < 10
    assert report.status == "error"
    assert "deeper than 64 levels" in report.message
    assert len(store.list_articles(ALL_ARTICLES)) == 2  # nothing cached was lost
    store.close()
