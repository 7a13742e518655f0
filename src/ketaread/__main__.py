"""Entry point for `ketaread` and `python -m ketaread`."""

from __future__ import annotations

import gc
import sys

__all__ = ["main"]


def main() -> None:
    """Run the command line and exit with its status."""
    # Start-up builds long-lived objects by the hundred thousand (Textual, the stylesheet,
    # the screen), and the cyclic collector ran ~120 times over them before the first
    # frame: about 45 ms of a 0.28 s start (benchmarks/README.md). It is paused until the
    # reader's first frame is out (KetareadApp resumes it), or until the arguments are
    # parsed for any other command (cli.run).
    gc.disable()
    from ketaread.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
