"""Session fixtures for the sync tests: a real FreshRSS and a loopback feed server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_support import FeedServer, FreshRSS, find_kit, php_missing_reason


@pytest.fixture(scope="session")
def freshrss(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshRSS]:
    """FreshRSS from the kit beside the repository, on a free loopback port."""
    kit, reason = find_kit()
    missing = reason if kit is None else php_missing_reason()
    if missing:
        # CI sets KETAREAD_REQUIRE_FRESHRSS=1: there, a missing kit is a failure, not a skip.
        if os.environ.get("KETAREAD_REQUIRE_FRESHRSS"):
            pytest.fail(f"KETAREAD_REQUIRE_FRESHRSS is set but {missing}")
        pytest.skip(missing)
    assert kit is not None
    server = FreshRSS(kit, tmp_path_factory.mktemp("freshrss") / "srv")
    server.up()
    try:
        yield server
    finally:
        server.down()


@pytest.fixture(scope="session")
def feeds() -> Iterator[FeedServer]:
    """RSS feeds served on 127.0.0.1 for FreshRSS to fetch."""
    server = FeedServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def account_config(tmp_config: Path) -> Path:
    """The config file path, its folder created."""
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    return tmp_config
