"""Counted nouns in messages."""

from ketaread.core.wording import counted


def test_one_is_singular_and_the_rest_plural() -> None:
    assert counted(1, "feed") == "1 feed"
    assert counted(0, "feed") == "0 feeds"
    assert counted(2, "source") == "2 sources"
    assert counted(1_200, "article") == "1,200 articles"
    assert counted(2, "entry", "entries") == "2 entries"


def test_refresh_and_sync_lines_group_thousands() -> None:
    """A first sync of thousands of items read "4500 new"; every count in the refresh
    and sync lines is grouped like counted() (JSON keeps plain numbers)."""
    from ketaread.core.refresh import FeedReport, RefreshSummary
    from ketaread.core.sync.engine import AccountReport

    feed = FeedReport("f.xml", "Big feed", "updated", new=4_500, updated=1_200)
    assert feed.line() == "Big feed: 4,500 new, 1,200 updated"
    account = AccountReport(
        "home", "synced", new=4_500, updated=1_001, pushed=2_000, pulled=3_000, feeds=1_500
    )
    assert account.line() == (
        "home: synced 1,500 feeds, 4,500 new, 1,001 updated articles, 2,000 changes pushed, "
        "3,000 changed on the server"
    )
    summary = RefreshSummary(reports=[feed, FeedReport("g.xml", "Other", "updated", new=600)])
    assert summary.line() == "2 feeds checked: 5,100 new, 1,200 updated articles, 0 failed"
