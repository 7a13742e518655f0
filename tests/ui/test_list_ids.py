"""ListIds: the list's ids a window at a time behave as the list they stand for."""

from __future__ import annotations

import pytest

from ketaread.widgets import article_list
from ketaread.widgets.article_list import ListIds


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows of 10 ids, three held: every operation crosses windows and drops some."""
    monkeypatch.setattr(article_list, "ID_WINDOW", 10)
    monkeypatch.setattr(article_list, "MAX_ID_WINDOWS", 3)


def test_a_windowed_list_reads_as_the_whole_list(small_windows: None) -> None:
    whole = [1000 - 3 * n for n in range(95)]
    fetched: list[tuple[int, int]] = []
    found: list[int] = []

    def fetch(offset: int, limit: int) -> list[int]:
        fetched.append((offset, limit))
        return whole[offset : offset + limit]

    def find(article_id: int) -> int | None:
        found.append(article_id)
        return whole.index(article_id) if article_id in whole else None

    ids = ListIds(len(whole), fetch, find)
    assert len(ids) == 95 and fetched == []  # nothing read until asked
    assert ids[0] == whole[0] and ids[94] == whole[94] and ids[-1] == whole[-1]
    assert ids[5:37] == whole[5:37]
    assert ids[::7] == whole[::7]
    assert list(ids) == whole and ids == whole and ids != whole[:-1]
    assert ids.get(95) is None and ids.get(-1) is None
    with pytest.raises(IndexError):
        ids[95]
    # Positions: from a window held, else asked of the cache once and remembered.
    fetched.clear()
    ids.window(9)
    assert ids.index(whole[92]) == 92 and found == []
    assert ids.index(whole[3]) == 3 and found == [whole[3]]
    assert whole[3] in ids and found == [whole[3]]
    assert 1 not in ids and 1 not in ids and found == [whole[3], 1]
    with pytest.raises(ValueError):
        ids.index(1)
    # At most MAX_ID_WINDOWS windows are held, whatever is read.
    assert len(ids._windows) <= 3
    assert {offset for offset, _ in fetched} <= set(range(0, 100, 10))


def test_a_window_cut_short_by_the_cache_ends_the_list_there(small_windows: None) -> None:
    """Articles deleted since the count: the rows past what the cache returns are blank."""
    whole = list(range(25))
    ids = ListIds(30, lambda offset, limit: whole[offset : offset + limit])
    assert ids.get(24) == 24 and ids.get(26) is None
    assert list(ids) == whole
    assert ids[20:30] == whole[20:]


def test_a_later_window_carries_on_from_the_one_before_when_the_cache_moved(
    small_windows: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows were fetched by offset only: articles read out of an unread list (or stored
    by a refresh) since the list was made shifted every later window, so ids were skipped
    or repeated (found in review)."""
    monkeypatch.setattr(article_list, "ANCHOR_SLACK", 5, raising=False)
    cache = list(range(100, 70, -1))  # the unread list as the cache has it now

    def fetch(offset: int, limit: int) -> list[int]:
        return cache[offset : offset + limit]

    ids = ListIds(len(cache), fetch)
    shown = ids[0:10]  # the first window, as the screen drew it
    del cache[0:3]  # three of them read: they leave the unread list
    assert ids[10:20] == list(range(90, 80, -1))  # not 87..78: nothing skipped
    cache[0:0] = [120, 119]  # a refresh stores two newer ones
    assert ids[20:30] == list(range(80, 70, -1))  # nothing repeated either
    assert shown + ids[10:30] == list(range(100, 70, -1))


def test_a_window_read_by_a_jump_puts_back_the_articles_that_left(small_windows: None) -> None:
    """Articles read out of an unread list stay shown: a window fetched with no window
    before it held (`end`, a far jump) is read around them, not shifted by them (blank
    last rows and skipped ids at 12,000 articles, found by hand)."""
    cache = list(range(100, 40, -1))
    shown = list(cache)

    def fetch(offset: int, limit: int) -> list[int]:
        return cache[offset : offset + limit]

    ids = ListIds(len(cache), fetch, lambda article_id: cache.index(article_id))
    assert ids[0:10] == shown[:10]
    for article_id in (100, 97, 93):  # read, and gone from the cache's unread list
        cache.remove(article_id)
        ids.leave(article_id)
    ids.leave(12345)  # never in the list: nothing to put back
    assert ids[59] == shown[59] and ids[50:60] == shown[50:60]  # `end`
    assert ids[30:40] == shown[30:40]  # a window with none before it
    assert ids.index(shown[45]) == 45  # asked of the cache, where it is shown
    cache.insert(cache.index(98) + 1, 97)  # marked unread again: back in the cache's list
    ids.rejoin(97)
    assert ids[20:30] == shown[20:30]
    assert list(ids) == shown


def test_an_article_moved_by_reading_stays_where_it_was_shown(small_windows: None) -> None:
    """Unread first: an article read moves, in the cache's order, to the read ones at
    the end; the list shows it where it was and skips its new place."""
    unread = list(range(100, 60, -1))
    read = list(range(60, 40, -1))
    shown = unread + read

    def cache() -> list[int]:
        return unread + sorted(read, reverse=True)

    ids = ListIds(
        len(shown), lambda o, n: cache()[o : o + n], lambda i: cache().index(i), reorders=True
    )
    assert ids[0:10] == shown[:10]
    for article_id in (100, 97, 93):  # read: they move among the read ones
        unread.remove(article_id)
        read.append(article_id)
        ids.leave(article_id)
    assert ids[50:60] == shown[50:60]  # `end`
    assert ids[30:40] == shown[30:40]
    assert ids.index(shown[45]) == 45
    assert list(ids) == shown
