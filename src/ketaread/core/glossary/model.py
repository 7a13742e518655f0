"""The glossary's data types: an entry, its senses, a hit in an article, the error."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ketaread.core.glossary.names import fold

CERTAINTIES = ("established", "likely", "hypothesis", "debated")
"""How sure the field is of an entry's mechanism claim, surest first."""


@dataclass(slots=True, frozen=True)
class Sense:
    """One meaning of a term that has several, chosen in an article by its context cues."""

    label: str
    """A few words naming the sense ("drug effect"), shown in the popup."""
    definition: str
    cues: tuple[str, ...]
    """Words that, near the term, mean this sense is the one in use (lower case)."""


@dataclass(slots=True, frozen=True)
class Term:
    """One glossary entry, curated or from the user's glossary file."""

    key: str
    """`term_key(term)`: stable, URL-safe, what `ketaread://term/<key>` links carry."""
    term: str
    aliases: tuple[str, ...]
    expansion: str
    """The long form of an abbreviation, or "" when the term is not one."""
    definition: str
    related: tuple[str, ...]
    """Names of other entries (a term or an alias); `Glossary.related` resolves them."""
    sources: tuple[str, ...]
    """Where the definition can be checked: "KIND: citation" strings (see SOURCE_KINDS)."""
    origin: str
    """"curated" (shipped with ketaread) or "user" (the user's glossary file)."""
    certainty: str = ""
    """For a mechanism claim, one of CERTAINTIES; "" when the entry makes none."""
    senses: tuple[Sense, ...] = ()
    safety: bool = False
    """Suicide-related: the popup shows the crisis line beside the definition, always."""
    common: bool = False
    """An everyday word ("depression"): marked once per article, not once per section."""
    not_in: tuple[str, ...] = ()
    """Longer names that hold one of this entry's names but mean something else."""

    @property
    def source(self) -> str:
        """The sources on one line, "; " between them."""
        return "; ".join(self.sources)

    def names(self) -> tuple[str, ...]:
        """The term, its aliases and its expansion: every name it is known and matched by."""
        names = [self.term, *self.aliases]
        if self.expansion:
            names.append(self.expansion)
        seen: set[str] = set()
        unique = []
        for name in names:
            folded = fold(name)
            if folded and folded not in seen:
                seen.add(folded)
                unique.append(name)
        return tuple(unique)


@dataclass(slots=True, frozen=True)
class TermHit:
    """A term found in an article, with the definition the reader should see there."""

    key: str
    term: str
    expansion: str
    definition: str
    origin: str
    """"article" (defined in this article), "curated" or "user"."""
    sense: str = ""
    """For an entry with senses, the label of the one the article's context chose."""
    sentences: tuple[str, ...] = ()
    """Sentences of the article's text that use the term (plain text, first few)."""
    in_references_only: bool = False
    """Found in the reference list but nowhere in the article's own text."""

    def to_json(self) -> dict[str, str]:
        """The hit as `ketaread show --json` prints it."""
        return {
            "term": self.term,
            "expansion": self.expansion,
            "definition": self.definition,
            "origin": self.origin,
        }


class GlossaryError(Exception):
    """A glossary file that cannot be used; the message is one line, fit to show."""


def term_key(name: str) -> str:
    """The link key of a term name: lower case, whitespace folded, URL-quoted."""
    return quote(" ".join(name.split()).lower(), safe="")
