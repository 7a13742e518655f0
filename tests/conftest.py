"""Shared fixtures: every test gets its own cache, config and home directories."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from ketaread.locations import sample_feeds_dir

CLI_TIMEOUT = 60.0
"""Seconds a CLI subprocess may take; a hang fails the test instead of stalling the suite."""

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """A cache database path that does not exist yet."""
    return tmp_path / "cache" / "ketaread.db"


@pytest.fixture
def tmp_config(tmp_path: Path) -> Path:
    """A config file path that does not exist yet."""
    return tmp_path / "config" / "config.toml"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path: Path, tmp_db: Path, tmp_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the cache, the config and the XDG directories into tmp_path, never at $HOME."""
    monkeypatch.setenv("KETAREAD_DB", str(tmp_db))
    monkeypatch.setenv("KETAREAD_CONFIG", str(tmp_config))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


@pytest.fixture
def sample_feeds() -> Path:
    """The bundled sample feeds folder."""
    return sample_feeds_dir()


@pytest.fixture
def hostile_dir() -> Path:
    """The hand-made hostile input files."""
    return Path(__file__).parent / "fixtures" / "hostile"


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """Run the real entry point (`python -m ketaread …`) in a subprocess with the tmp env."""

    def run(
        *args: str, input: str | None = None, timeout: float = CLI_TIMEOUT
    ) -> tuple[int, str, str]:
        env = dict(os.environ)  # already redirected by isolated_home
        env["PYTHONIOENCODING"] = "utf-8"
        env.pop("NO_COLOR", None)
        done = subprocess.run(
            [sys.executable, "-m", "ketaread", *args],
            input=input,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            cwd=tmp_path,
            env=env,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        return done.returncode, done.stdout, done.stderr

    return run


@pytest.fixture(autouse=True)
def no_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fetcher trusts the environment; a proxy set there must not divert loopback tests."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture(scope="module")
def loopback() -> Iterator[HTTPServer]:
    """One threaded HTTP server on 127.0.0.1 for a test module (concurrent fetches need threads)."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def server(loopback: HTTPServer) -> Iterator[HTTPServer]:
    """The loopback server with no handlers and an empty request log."""
    loopback.clear()
    yield loopback
    loopback.clear()
