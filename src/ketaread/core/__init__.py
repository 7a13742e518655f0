"""ketaread's core: no Textual, no Rich (tests/test_core_has_no_textual.py)."""

import sys

# httpx imports its optional command-line tool (httpx._main: click, pygments and rich)
# whenever they are installed, as they are beside Textual: ~75 ms of CPU time in every
# sync and refresh process for a tool never used. httpx tolerates its absence (its `main`
# then says to install httpx[cli]); an import of None fails at once.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
