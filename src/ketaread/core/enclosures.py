"""How an enclosure is described to a reader: kind, size and duration on one line."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from ketaread.core.clean import clean_line
from ketaread.core.models import ArticleDetail, Enclosure


def format_duration(seconds: int) -> str:
    """'42 min', '1 h 05 min', '35 s'."""
    if seconds < 60:
        return f"{seconds} s"
    minutes, _ = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def format_bytes(size: int) -> str:
    """'48.2 MB', '900 kB', '512 bytes' (decimal units, as players and browsers show)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def file_name(url: str) -> str:
    """The last path segment of a URL, decoded and cleaned ('' when there is none)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return clean_line(unquote(path.rstrip("/").rsplit("/", 1)[-1]), limit=120)


def describe_enclosure(enclosure: Enclosure) -> str:
    """'Attachment: episode-12.mp3 (audio/mpeg, 48.2 MB, 42 min)'."""
    details = [enclosure.type] if enclosure.type else []
    if enclosure.length:
        details.append(format_bytes(enclosure.length))
    if enclosure.duration:
        details.append(format_duration(enclosure.duration))
    name = enclosure.title or file_name(enclosure.url) or enclosure.url
    suffix = f" ({', '.join(details)})" if details else ""
    return clean_line(f"Attachment: {name}{suffix}", limit=300)


def header_notes(detail: ArticleDetail) -> list[str]:
    """Extra lines for an article's header: its attachments and where its text came from."""
    notes: list[str] = []
    count = len(detail.enclosures)
    for number, enclosure in enumerate(detail.enclosures[:5], start=1):
        keys = " — e opens, E copies" if number == 1 else ""
        numbered = f" {number}/{count}" if count > 1 else ""
        line = describe_enclosure(enclosure).replace("Attachment:", f"Attachment{numbered}:", 1)
        notes.append(line + keys)
    if detail.full_text:
        notes.append("Full text fetched from the article's web page")
    elif detail.full_text_error:
        notes.append(clean_line(f"The feed's excerpt: full text failed ({detail.full_text_error})"))
    return notes
