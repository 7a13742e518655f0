"""What the reader remembers between runs beside the config file (settings.toml): the
theme, the sort order, hiding read articles. No Textual.

The app writes this file itself; the user's config.toml is never touched for these.
"""

from __future__ import annotations

import os
from pathlib import Path

Setting = str | bool


def load_settings(path: Path) -> dict[str, Setting]:
    """The saved settings (strings and booleans only); empty when missing or unreadable."""
    from ketaread.locations import read_regular_file

    try:
        # A FIFO or a device there is not waited on; nor is a huge file read.
        raw = read_regular_file(path, 64 * 1024)
        if raw is None:
            return {}
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    import tomllib  # only when there is something to read: not before every first frame

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str | bool)}


def _toml_value(value: Setting) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    escaped = "".join(
        c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value
    )
    return f'"{escaped}"'


def save_setting(path: Path, name: str, value: Setting) -> bool:
    """Remember one setting, keeping the others; written atomically. False when it could
    not be written (not worth an error: the reader works the same)."""
    settings = load_settings(path)
    settings[name] = value
    text = "".join(
        f"{key} = {_toml_value(item)}\n"
        for key, item in sorted(settings.items())
        if key.isidentifier()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    from ketaread.locations import check_regular

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        check_regular(path)  # a FIFO or a device there is never replaced
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
        return False
    return True
