"""Images as lines of their own: "Figure: alt text (caption)", linked to the image.

html2text turns an image into its bare alt text run into the prose ("Diagram of the NMDA
receptor A figure above."), and an image without alt text into nothing. Rewritten here, on
the sanitised HTML before conversion and reference analysis, every image becomes a line of
its own that names it, a `<figure>` keeps its caption beside its image, and the link to the
image file is listed with the article's other links (the reference panel opens or copies it).
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import unquote, urlsplit

_FIGURE = re.compile(r"<figure\b[^>]*>(.*?)</figure>", re.S | re.I)
_FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.S | re.I)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')
_TAG_SPLIT = re.compile(r"(<[^>]*>)")
_ANCHOR = re.compile(r"<(/?)a\b", re.I)
_TAGS = re.compile(r"<[^>]+>")
_EMPTY_ANCHOR = re.compile(r"<a\b[^>]*>\s*</a>", re.I)


def _attributes(tag: str) -> dict[str, str]:
    return {name.lower(): value for name, value in _ATTRIBUTE.findall(tag)}


def _file_name(src: str) -> str:
    """The image's file name from its (escaped) src, escaped again for HTML."""
    try:
        path = urlsplit(html_lib.unescape(src)).path
    except ValueError:
        return ""
    name = unquote(path.rstrip("/").rsplit("/", 1)[-1])[:120]
    return html_lib.escape(name, quote=False)


def _label(tag: str) -> tuple[str, str]:
    """("Figure: alt" as escaped HTML text, the escaped src or '')."""
    attributes = _attributes(tag)
    src = attributes.get("src", "").strip()
    alt = " ".join(attributes.get("alt", "").split()) or " ".join(
        attributes.get("title", "").split()
    )
    name = alt or (_file_name(src) if src else "")
    return (f"Figure: {name}" if name else "Figure"), src


def _plain(fragment: str) -> str:
    return " ".join(html_lib.unescape(_TAGS.sub(" ", fragment)).split())


def _line(tag: str, caption: str = "", linked: bool = True) -> str:
    """One figure's line: a link to the image when it has one, then the caption."""
    text, src = _label(tag)
    shown = f'<a href="{src}">{text}</a>' if src and linked else text
    if caption.strip() and _plain(caption) not in (_plain(text), _plain(text)[8:]):
        shown += f" ({caption.strip()})"
    return shown


def _figure(match: re.Match[str]) -> str:
    inner = match.group(1)
    images = _IMG.findall(inner)
    if not images:
        return match.group(0)
    caption_match = _FIGCAPTION.search(inner)
    caption = caption_match.group(1) if caption_match else ""
    # What is left once the images and the caption are out: a link that wrapped the image
    # ("click to enlarge") is now empty and goes; the image's own link replaces it.
    rest = _EMPTY_ANCHOR.sub("", _IMG.sub("", _FIGCAPTION.sub("", inner)))
    last = len(images) - 1
    lines = [_line(tag, caption if n == last else "") for n, tag in enumerate(images)]
    return f"<p>{'<br>'.join(lines)}</p>" + (rest if _plain(rest) else "")


def figures_as_lines(html: str) -> str:
    """Every image in sanitised HTML as its own "Figure: …" line, linked to the image."""
    if "<img" not in html.lower():
        return html
    html = _FIGURE.sub(_figure, html)
    parts = _TAG_SPLIT.split(html)
    inside_link = 0
    for index in range(1, len(parts), 2):
        part = parts[index]
        if anchor := _ANCHOR.match(part):
            inside_link = max(inside_link + (-1 if anchor.group(1) else 1), 0)
        elif _IMG.match(part):
            # Inside a link, the figure's own link would nest in it: the outer one stands.
            line = _line(part, linked=not inside_link)
            parts[index] = f" {line} " if inside_link else f"<br>{line}<br>"
    return "".join(parts)
