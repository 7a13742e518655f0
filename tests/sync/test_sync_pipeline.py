"""The sync's page pipeline: downloads ahead, prepares big batches in worker processes,
and stores exactly what preparing each item in the sync's own thread stores."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_support import FeedServer, FreshRSS

from ketaread.core import parse_workers
from ketaread.core.store import Store
from ketaread.core.sync import pipeline
from ketaread.core.sync.accounts import ServerAccount
from ketaread.core.sync.engine import sync_account
from ketaread.core.sync.http import ApiError
from ketaread.core.sync.items import RemoteItem, body, prepare_bodies

ESC = "\x1b"
BODIES = [
    "<p>Ketamine blocks NMDA receptors (Example Institute).</p><script>alert(1)</script>",
    f"<p>Title{ESC}]0;pwned\x07 and &#27;[2J cleared</p>",
    "<p>Source: https://doi.org/10.1/x.</p><h2>References</h2><ol><li>One.</li></ol>",
    '<p>Linked <a href="https://a.example/">https://a.example/</a> twice.</p>',
    "<p>Treatment-resistant depression (TRD) and brain-derived neurotrophic factor (BDNF)"
    " are named in full.</p>",
    '<p><a href="javascript:alert(1)">click</a> \u202eevil\u200b</p>',
]


def remote(number: int) -> RemoteItem:
    return RemoteItem(
        id=str(1000 + number),
        feed_id=str(number % 7),
        title=f"item {number}",
        html=BODIES[number % len(BODIES)] + f"<p>Number {number}.</p>",
    )


def paged(items: list[RemoteItem], size: int, asked: list[int]) -> Iterator[list[RemoteItem]]:
    """Pages of `size`, recording in `asked` each page number as it is downloaded."""
    for number, start in enumerate(range(0, len(items), size)):
        asked.append(number)
        yield items[start : start + size]


def test_big_batches_are_prepared_in_workers_as_the_sync_thread_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages are cut into batches of WORKERS_FROM new items, cleaned and indexed in worker
    processes (the last, smaller batch too, the workers being up), with results equal to
    preparing them here; known items are not prepared; every item comes out once, in
    order."""
    from_workers: list[int] = []
    original = pipeline.Workers.result

    def counted(self: pipeline.Workers, future: object) -> object:
        results = original(self, future)  # type: ignore[arg-type]
        from_workers.append(len(results or []))
        return results

    monkeypatch.setattr(pipeline.Workers, "result", counted)
    items = [remote(n) for n in range(700)]
    known = {item.id for item in items[::10]}
    asked: list[int] = []
    batches = list(
        pipeline.prepared_batches(
            paged(items, 50, asked), lambda item: item.id not in known, lambda page: False
        )
    )
    assert [item.id for batch in batches for item in batch.items] == [i.id for i in items]
    assert [len(batch.new) for batch in batches] == [200, 200, 200, 30]
    new = [item for item in items if item.id not in known]
    prepared = {k: v for batch in batches for k, v in batch.prepared.items()}
    assert list(prepared) == [item.id for item in new]
    assert sum(from_workers) == len(new)
    assert list(prepared.values()) == prepare_bodies([item.html for item in new])
    assert all(ESC not in html and "script" not in html for html, _ in prepared.values())


def test_no_page_is_asked_for_after_the_last_and_errors_come_after_the_pages_before() -> None:
    """The download runs ahead, but never past the page that reaches the cursor; a failed
    download reaches the caller after every page that came before it."""
    items = [remote(n) for n in range(1000)]
    asked: list[int] = []
    got = list(
        pipeline.prepared_batches(
            paged(items, 250, asked), lambda item: True, lambda page: page[0].id == "1250"
        )
    )
    assert asked == [0, 1]
    assert [len(batch.items) for batch in got] == [200, 200, 100]

    def failing() -> Iterator[list[RemoteItem]]:
        yield items[:250]
        raise ApiError("the connection was reset")

    seen: list[int] = []
    with pytest.raises(ApiError, match="reset"):
        for batch in pipeline.prepared_batches(failing(), lambda item: True, lambda page: False):
            seen.append(len(batch.items))
    assert seen == [200, 50]


def test_killed_workers_leave_their_batch_to_be_prepared_here() -> None:
    """Workers killed while they prepare a batch: the batch is prepared in the sync's own
    thread instead; nothing is lost and nothing raises."""
    items = [remote(n) for n in range(400)]

    def killing() -> Iterator[list[RemoteItem]]:
        yield items[:200]  # submitted to the workers before the next page is asked for
        for pool in list(parse_workers._live):
            for process in list(pool._processes.values()):  # type: ignore[attr-defined]
                process.kill()
        yield items[200:]

    batches = list(pipeline.prepared_batches(killing(), lambda item: True, lambda page: False))
    prepared = {k: v for batch in batches for k, v in batch.prepared.items()}
    assert set(prepared) == {item.id for item in items}
    assert prepared[items[1].id][0] == body(items[1].html)


def test_a_first_sync_from_freshrss_stores_the_same_through_workers_as_without(
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Against the real FreshRSS, 320 new items: synced with their bodies prepared in worker
    processes, the cache holds exactly what it holds when each is prepared while stored
    (bodies, search index, defined abbreviations, tags)."""
    url = feeds.add("pipeline-big", 320)
    freshrss.subscribe(url, "Pipeline")
    freshrss.refresh()
    account = ServerAccount(
        "pipe", freshrss.greader_url, "greader", freshrss.user, password_env="PIPE_PASSWORD"
    )
    monkeypatch.setenv("PIPE_PASSWORD", freshrss.password)
    from_workers: list[int] = []
    original = pipeline.Workers.result

    def counted(self: pipeline.Workers, future: object) -> object:
        results = original(self, future)  # type: ignore[arg-type]
        from_workers.append(len(results or []))
        return results

    monkeypatch.setattr(pipeline.Workers, "result", counted)
    dumps = []
    for threshold in (10**9, pipeline.WORKERS_FROM):
        monkeypatch.setattr(pipeline, "WORKERS_FROM", threshold)
        db = tmp_path / f"pipe-{threshold}.db"
        store = Store(db)
        try:
            report = sync_account(store, account)
        finally:
            store.close()
        assert report.status == "synced", report.message
        dumps.append(dump(db))
    assert sum(from_workers) >= 320
    inline, workers = dumps
    assert len(inline["articles"]) >= 320
    assert inline == workers


def dump(db: Path) -> dict[str, list[tuple]]:
    """What a sync stored, keyed by the server's item ids, not the cache's row ids."""
    with sqlite3.connect(db) as conn:
        return {
            "articles": sorted(
                conn.execute(
                    "SELECT f.location, a.uid, a.title, a.link, a.content_hash, b.html "
                    "FROM articles a JOIN feeds f ON f.id = a.feed_id "
                    "JOIN bodies b ON b.article_id = a.id"
                )
            ),
            "search": sorted(
                conn.execute(
                    "SELECT a.uid, s.title, s.summary, s.body, s.refs, s.feed, s.tags "
                    "FROM search s JOIN articles a ON a.id = s.rowid"
                )
            ),
            "abbrevs": sorted(
                conn.execute(
                    "SELECT a.uid, x.short, x.long FROM search_abbrevs x "
                    "JOIN articles a ON a.id = x.article_id"
                )
            ),
        }
