"""Start-up: what the launcher pauses for the first frame comes back once it is out."""

from __future__ import annotations

import gc
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_support import Settle

from ketaread.app import KetareadApp
from ketaread.cli import make_app

SIZE = (120, 40)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """The cyclic collector off, as `ketaread` (the entry point) leaves it for start-up."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("collector_paused")
async def test_the_collector_paused_for_start_up_runs_again_after_the_first_frame(
    app: KetareadApp, settle: Settle
) -> None:
    assert not gc.isenabled()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        # What start-up built is kept out of later collections.
        assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("collector_paused")
async def test_the_collector_runs_again_when_the_cache_cannot_be_used(
    tmp_path: Path, tmp_config: Path, settle: Settle
) -> None:
    database = tmp_path / "newer.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA user_version = 999")  # written by a newer ketaread
    app = make_app(db=database, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store is None
        assert gc.isenabled()


async def test_an_app_started_with_the_collector_on_leaves_it_alone(
    app: KetareadApp, settle: Settle
) -> None:
    frozen = gc.get_freeze_count()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen
