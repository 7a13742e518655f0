"""`ketaread --offline` on a fresh install: offline means no network, not no local files."""

from __future__ import annotations

from pathlib import Path

from ui_support import Settle

from ketaread.cli import build_parser, reader_app


async def test_offline_reader_on_a_fresh_install_shows_the_local_samples(
    tmp_db: Path, tmp_config: Path, settle: Settle
) -> None:
    args = build_parser().parse_args(
        ["--offline", "--db", str(tmp_db), "--config", str(tmp_config)]
    )
    app = reader_app(args)
    assert app.context.offline and app.refresh_on_start
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert len(app.main_screen.article_list.ids) >= 12
