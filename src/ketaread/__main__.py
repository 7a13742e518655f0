"""Entry point for `ketaread` and `python -m ketaread`."""

from __future__ import annotations

import sys

from ketaread.cli import make_app, run

__all__ = ["main", "make_app"]


def main() -> None:
    """Run the command line and exit with its status."""
    sys.exit(run())


if __name__ == "__main__":
    main()
