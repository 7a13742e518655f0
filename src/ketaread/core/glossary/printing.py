"""Printing one definition as plain text."""

from __future__ import annotations

import textwrap

from ketaread.core.glossary.model import Term
from ketaread.core.glossary.names import fold

DEFAULT_SAFETY_TEXT = (
    "Thinking about suicide or self-harm, or worried about someone? Contact local emergency "
    "services or a crisis line now. findahelpline.com lists free crisis lines by country."
)
"""The crisis line shown with suicide-related terms when config.toml sets none."""

CERTAINTY_LABELS = {
    "established": "established: consistent evidence in people",
    "likely": "likely: good but incomplete evidence",
    "hypothesis": "hypothesis: mostly animal or early human evidence",
    "debated": "debated: studies disagree",
}
"""How the popup and `ketaread define` explain each certainty."""


def format_definition(term: Term, safety_text: str = DEFAULT_SAFETY_TEXT) -> str:
    """A term as a few plain-text lines, for `ketaread define TERM`."""
    heading = term.term
    if term.expansion and fold(term.expansion) != fold(term.term):
        heading = f"{term.term} ({term.expansion})"

    def wrapped(text: str) -> list[str]:
        return textwrap.wrap(text, width=78, subsequent_indent="  ", break_on_hyphens=False)

    lines = [heading]
    aliases = [a for a in term.aliases if fold(a) != fold(term.expansion)]
    if aliases:
        lines += wrapped("Also: " + ", ".join(aliases))
    if term.safety:
        # Apart from the definition, before it: crisis information is never mixed in.
        lines.append("")
        lines += wrapped("! " + safety_text)
    lines.append("")
    lines += textwrap.wrap(term.definition, width=78) or [""]
    for sense in term.senses:
        lines.append("")
        lines += wrapped(f"{sense.label}: {sense.definition}")
    lines.append("")
    if term.certainty:
        lines += wrapped("Certainty: " + CERTAINTY_LABELS[term.certainty])
    if term.related:
        lines += wrapped("Related: " + ", ".join(term.related))
    if len(term.sources) == 1:
        lines += wrapped("Source: " + term.sources[0])
    elif term.sources:
        lines.append("Sources:")
        for source in term.sources:
            lines += textwrap.wrap(source, width=78, initial_indent="- ", subsequent_indent="    ")
    origin = {"curated": "ketaread's glossary", "user": "your glossary file"}.get(
        term.origin, term.origin
    )
    lines.append("From: " + origin)
    return "\n".join(lines) + "\n"
