"""Every path ketaread reads or writes, with its environment overrides. No I/O at import."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ketaread"


def data_dir() -> Path:
    """The user's data directory (holds the cache database)."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    """The user's config directory (config.toml, glossary.toml, settings)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def database_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The cache database: `--db`, else `KETAREAD_DB`, else the data directory."""
    chosen = override or os.environ.get("KETAREAD_DB")
    return Path(chosen).expanduser() if chosen else data_dir() / "cache.db"


def config_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The config file: `--config`, else `KETAREAD_CONFIG`, else the config directory."""
    chosen = override or os.environ.get("KETAREAD_CONFIG")
    return Path(chosen).expanduser() if chosen else config_dir() / "config.toml"


def user_glossary_path(config_file: Path) -> Path:
    """The user's own glossary, beside the config file."""
    return config_file.parent / "glossary.toml"


def settings_path(config_file: Path) -> Path:
    """UI settings the app writes itself (theme), beside the config file."""
    return config_file.parent / "settings.toml"


def sample_feeds_dir() -> Path:
    """The bundled sample feeds: inside the installed package, or at the source checkout's root."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "sample_feeds"
    if installed.is_dir():
        return installed
    return package_dir.parent.parent / "sample_feeds"


def study_path(database: Path) -> Path:
    """The study file (highlights, notes, terms, cards): `KETAREAD_STUDY`, else beside the
    cache as `<cache name>.study.db`. Never inside the cache: the reader's own writing must
    not share the fate of a cache that is moved aside or rebuilt."""
    chosen = os.environ.get("KETAREAD_STUDY")
    if chosen:
        return Path(chosen).expanduser()
    return database.with_name(f"{database.stem}.study.db")


class NotARegularFile(OSError):
    """A path ketaread reads or writes is something other than a regular file."""


def check_regular(path: Path) -> bool:
    """True when `path` is a regular file, False when it is absent; raises NotARegularFile
    for anything else (a FIFO, a device, a folder). Never opens it, so never blocks."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        return False
    if not stat.S_ISREG(mode):
        kind = (
            "a folder"
            if stat.S_ISDIR(mode)
            else "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        raise NotARegularFile(f"{path} is {kind}, not a regular file")
    return True


def read_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file of at most `limit` bytes (None when absent), read
    without blocking: a FIFO or a device is refused, not waited on; a longer file raises."""
    if not check_regular(path):
        return None
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check
            raise NotARegularFile(f"{path} is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(f"{path} is larger than {limit // 1024} KiB")
    return b"".join(chunks)
