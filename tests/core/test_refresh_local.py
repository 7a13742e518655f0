"""Refreshing local sources into the cache: reports, kept state, and failures that stay local."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ketaread.core.refresh import (
    FeedReport,
    RefreshSummary,
    SourceSpec,
    refresh,
    refresh_local,
)
from ketaread.core.sources import ScanStopped, scan_local
from ketaread.core.store import Store


def rss(title: str, items: list[tuple[str, str, str]]) -> str:
    """An RSS document; items are (guid, title, pubDate)."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{item_title}</title>"
        f"<link>https://example.org/{guid}</link><pubDate>{date}</pubDate>"
        f"<category>Depression</category><description>About {item_title}</description></item>"
        for guid, item_title, date in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{body}'
        "</channel></rss>"
    )


GOOD_ITEMS = [
    ("g1", "Glutamate basics", "Tue, 10 Jun 2025 10:00:00 +0000"),
    ("g2", "BDNF and spines", "Wed, 11 Jun 2025 10:00:00 +0000"),
]


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """An empty cache."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder for sources, apart from the cache that also lives in tmp_path."""
    path = tmp_path / "sources"
    path.mkdir()
    return path


def run(store: Store, *locations: str | Path, **spec: object) -> RefreshSummary:
    """Refresh the given local sources, collecting reports."""
    specs = [SourceSpec(str(loc), **spec) for loc in locations]  # type: ignore[arg-type]
    return refresh(store, specs)


def titles(store: Store) -> list[str]:
    """Stored article titles, in list order."""
    return [row.title for row, _ in store.list_articles()]


def test_a_feed_is_stored_with_one_report(folder: Path, store: Store) -> None:
    """One feed gives one 'updated' report and its articles in the cache."""
    path = folder / "feed.xml"
    path.write_text(rss("Good feed", GOOD_ITEMS))
    summary = run(store, path)
    [report] = summary.reports
    assert (report.status, report.new, report.title) == ("updated", 2, "Good feed")
    assert report.line() == "Good feed: 2 new, 0 updated"
    assert titles(store) == ["BDNF and spines", "Glutamate basics"]
    assert not summary.all_failed


def test_an_unchanged_file_is_not_stored_again(folder: Path, store: Store) -> None:
    """A second refresh of the same bytes reports 'unchanged'."""
    path = folder / "feed.xml"
    path.write_text(rss("Good feed", GOOD_ITEMS))
    run(store, path)
    [report] = run(store, path).reports
    assert report.status == "unchanged"


def test_read_and_starred_survive_a_refresh_of_a_changed_file(folder: Path, store: Store) -> None:
    """Edits to a feed file update articles but keep what the user marked."""
    path = folder / "feed.xml"
    path.write_text(rss("Good feed", GOOD_ITEMS))
    run(store, path)
    rows = {row.title: row for row, _ in store.list_articles()}
    store.set_read([rows["Glutamate basics"].id], True)
    store.set_starred(rows["BDNF and spines"].id, True)
    revised = [("g1", "Glutamate, revised", GOOD_ITEMS[0][2]), GOOD_ITEMS[1]]
    path.write_text(rss("Good feed", revised))
    [report] = run(store, path).reports
    assert (report.new, report.updated) == (0, 1)
    after = {row.id: row for row, _ in store.list_articles()}
    assert after[rows["Glutamate basics"].id].title == "Glutamate, revised"
    assert after[rows["Glutamate basics"].id].read
    assert after[rows["BDNF and spines"].id].starred


def test_garbage_dates_sort_the_same_on_every_refresh(folder: Path, store: Store) -> None:
    """Missing and nonsense dates never crash, and the order does not change between runs."""
    items = [
        ("d0", "Empty date", ""),
        ("d1", "Word date", "not a date"),
        ("d2", "Year zero", "Mon, 01 Jan 0000 00:00:00 +0000"),
        ("d3", "Year 9999", "Fri, 31 Dec 9999 23:59:59 +0000"),
        ("d4", "Real date", "Tue, 10 Jun 2025 10:00:00 +0000"),
        ("d5", "Older date", "Tue, 10 Jun 2014 10:00:00 +0000"),
    ]
    path = folder / "dates.xml"
    path.write_text(rss("Dates", items))
    run(store, path)
    first = titles(store)
    path.write_text(rss("Dates", list(reversed(items))))
    run(store, path)
    assert titles(store) == first
    assert first[:2] == ["Real date", "Older date"]  # undated after dated
    assert sorted(first) == sorted(t for _, t, _ in items)


def test_two_fresh_caches_give_the_same_order(tmp_path: Path, folder: Path) -> None:
    """The order comes from the data, not from chance: two new caches agree."""
    path = folder / "dates.xml"
    path.write_text(rss("Dates", [("a", "No date A", ""), ("b", "No date B", "junk"), *GOOD_ITEMS]))
    orders = []
    for name in ("one.db", "two.db"):
        opened = Store(tmp_path / name)
        run(opened, path)
        orders.append(titles(opened))
        opened.close()
    assert orders[0] == orders[1]


def test_malformed_second_feed_leaves_the_first_stored(folder: Path, store: Store) -> None:
    """One source failing never undoes or blocks another."""
    good = folder / "good.xml"
    good.write_text(rss("Good feed", GOOD_ITEMS))
    bad = folder / "bad.xml"
    bad.write_text("<rss><channel><<<<&&&")
    summary = run(store, good, bad)
    statuses = [(r.title, r.status) for r in summary.reports]
    assert statuses == [("Good feed", "updated"), ("bad.xml", "error")]
    assert titles(store) == ["BDNF and spines", "Glutamate basics"]
    assert not summary.all_failed


def test_garbage_replacing_a_good_feed_keeps_its_cached_articles(
    folder: Path, store: Store
) -> None:
    """A feed that turns to garbage reports an error and loses nothing already cached."""
    path = folder / "feed.xml"
    path.write_text(rss("Good feed", GOOD_ITEMS))
    run(store, path)
    path.write_bytes(bytes(range(256)) * 16)
    summary = run(store, path)
    [report] = summary.reports
    assert report.status == "error"
    assert "binary" in report.message
    assert titles(store) == ["BDNF and spines", "Glutamate basics"]
    [info] = store.feeds()
    assert info.total == 2 and info.error and "binary" in info.error


def test_every_source_failing_is_all_failed(folder: Path, store: Store) -> None:
    """all_failed is true only when nothing could be read."""
    summary = run(store, folder / "missing.xml", folder / "also-missing")
    assert [r.status for r in summary.reports] == ["error", "error"]
    assert all("no such file or folder" in r.message for r in summary.reports)
    assert summary.all_failed


def test_user_title_and_tags_apply_to_the_source(folder: Path, store: Store) -> None:
    """A configured title replaces the feed's; configured tags join its categories."""
    path = folder / "feed.xml"
    path.write_text(rss("Original", GOOD_ITEMS))
    refresh(store, [SourceSpec(str(path), "My title", ("clinic", "Depression"))])
    [info] = store.feeds()
    assert info.title == "My title"
    assert {t.name: t.total for t in store.tags()} == {"clinic": 2, "Depression": 2}


def test_tags_merge_across_feeds_and_case(folder: Path, store: Store) -> None:
    """'Depression' from one source and 'depression' from another are one tag."""
    (folder / "a.xml").write_text(rss("A", GOOD_ITEMS))
    lower = rss("B", [("b1", "Lower", "Tue, 10 Jun 2025 10:00:00 +0000")])
    (folder / "b.xml").write_text(lower.replace("Depression", "depression"))
    run(store, folder / "a.xml", folder / "b.xml")
    assert [(t.name, t.total) for t in store.tags()] == [("Depression", 3)]


def test_skipped_files_in_a_folder_are_reported_but_are_not_failures(
    folder: Path, store: Store
) -> None:
    """Binary and empty files inside a folder are 'skipped' lines, not errors."""
    (folder / "feed.xml").write_text(rss("Good feed", GOOD_ITEMS))
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 4)
    summary = run(store, folder)
    assert sorted(r.status for r in summary.reports) == ["skipped", "updated"]
    assert not summary.all_failed


def test_report_lines_never_carry_control_characters(folder: Path, store: Store) -> None:
    """A file named with escape sequences cannot write to the terminal through a report."""
    (folder / "\x1b]0;pwned\x07evil\u202e.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "\x1b[2Jnote.txt").write_text("Plain title\nbody")
    summary = run(store, folder)
    lines = [r.line() for r in summary.reports] + [summary.line()]
    for line in lines:
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" for c in line), (
            repr(line)
        )
    assert any("evil" in line for line in lines)


def test_a_failing_file_is_recorded_under_a_cleaned_name(folder: Path, store: Store) -> None:
    """The feed row kept for an error never stores escape sequences from the file name."""
    run(store, folder / "\x1b]0;pwned\x07gone\u202e.xml")
    [info] = store.feeds()
    assert info.title == "gone.xml"
    assert info.error == "no such file or folder"


def test_feed_report_line_shapes() -> None:
    """Each status reads as one plain line."""
    assert FeedReport("/x", "X", "error", message="empty file").line() == "X: error — empty file"
    assert FeedReport("/x", "", "skipped", message="why").line() == "/x: skipped — why"


def test_stop_after_the_first_feed_keeps_it_and_leaves_the_rest_for_next_time(
    folder: Path, store: Store
) -> None:
    for name in ("a", "b", "c"):
        (folder / f"{name}.xml").write_text(rss(f"Feed {name}", [(f"{name}1", name, "")]))
    stop = threading.Event()
    reports: list[FeedReport] = []

    def report(feed_report: FeedReport) -> None:
        reports.append(feed_report)
        stop.set()  # the reader quits once the first feed is stored

    summary = refresh(store, [SourceSpec(str(folder))], report=report, stop=stop)
    assert summary.stopped
    assert [r.status for r in reports] == ["updated"]
    assert len(store.article_ids()) == 1
    # The next refresh stores the rest and leaves the first as it was.
    again = run(store, folder)
    assert sorted(r.status for r in again.reports) == ["unchanged", "updated", "updated"]
    assert len(store.article_ids()) == 3


def test_a_folder_scan_stops_when_asked_and_stores_nothing(folder: Path, store: Store) -> None:
    (folder / "a.xml").write_text(rss("Feed a", GOOD_ITEMS))
    stop = threading.Event()
    stop.set()
    with pytest.raises(ScanStopped):
        scan_local(str(folder), stop)
    reports: list[FeedReport] = []
    refresh_local(store, SourceSpec(str(folder)), reports.append, stop)
    assert reports == []
    assert store.article_ids() == []
    assert store.feeds() == []  # and no error recorded against the folder


def test_the_summary_of_server_accounts_alone_counts_no_feeds() -> None:
    """With only a server account configured the line read "0 feeds checked: 0 new, 0
    updated articles, 0 failed; 1 of 1 server account synced"."""
    from ketaread.core.refresh import RefreshSummary
    from ketaread.core.sync.engine import AccountReport

    accounts = [AccountReport("FreshRSS", "synced", new=3)]
    assert RefreshSummary([], accounts=accounts).line() == "1 of 1 server account synced"
    assert RefreshSummary([], []).line().startswith("0 feeds checked: 0 new")
