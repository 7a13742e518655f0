"""Running the real `ketaread` entry point against a given cache and config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI_TIMEOUT = 60.0


def cli(db: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m ketaread --db DB --config CONFIG ARGS…` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "ketaread", "--db", str(db), "--config", str(config), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=CLI_TIMEOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
