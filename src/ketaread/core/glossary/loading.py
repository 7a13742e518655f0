"""Loading the curated glossary and the user's own on top of it."""

from __future__ import annotations

import re
import threading
import tomllib
from importlib.resources import files
from pathlib import Path

from ketaread.core.clean import clean_line
from ketaread.core.glossary.collection import Glossary
from ketaread.core.glossary.model import CERTAINTIES, GlossaryError, Sense, Term, term_key
from ketaread.core.glossary.names import fold

_ENTRY_KEYS = {
    "term",
    "aliases",
    "expansion",
    "definition",
    "related",
    "source",  # one source as a string: older user files
    "sources",
    "certainty",
    "senses",
    "safety",
    "common",
    "not_in",
}
_SENSE_KEYS = {"label", "definition", "cues"}
# Characters that would break Markdown links or tables if a name contained them.
_BAD_NAME_CHARS = re.compile(r"[\[\]\\`*_<>|#{}]")
_INNER_STAR = re.compile(r"(?<=[^\W_])\*(?=[^\W_])")
_MAX_USER_FILE = 2_000_000
_MAX_DEFINITION = 2000
_MAX_NAME = 120
_MAX_SOURCE = 400
_MAX_SENSES = 6

_curated_lock = threading.Lock()
_curated: Glossary | None = None


def parse_terms(data: bytes, label: str, origin: str) -> list[Term]:
    """Validate a glossary document and turn its entries into terms."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GlossaryError(f"{label}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GlossaryError(f"{label}: not valid TOML: {clean_line(str(error), 200)}") from None
    unknown = sorted(set(document) - {"term"})
    if unknown:
        raise GlossaryError(f"{label}: unknown table {unknown[0]!r}; entries are [[term]] tables")
    entries = document.get("term", [])
    if not isinstance(entries, list):
        raise GlossaryError(f"{label}: 'term' must be a list of [[term]] tables")
    terms = []
    for number, entry in enumerate(entries, 1):
        terms.append(_parse_entry(entry, f"{label}: entry {number}", origin))
    return terms


def _parse_entry(entry: object, where: str, origin: str) -> Term:
    if not isinstance(entry, dict):
        raise GlossaryError(f"{where}: must be a [[term]] table")
    name = entry.get("term")
    if isinstance(name, str) and name.strip():
        where = f"{where} ({clean_line(name, 60)!r})"
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise GlossaryError(f"{where}: unknown key {unknown[0]!r}")

    def text(key: str, required: bool, limit: int, table: dict = entry) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            raise GlossaryError(f"{where}: {key!r} must be a string")
        value = clean_line(value, limit + 1)
        if required and not value:
            raise GlossaryError(f"{where}: {key!r} is missing or empty")
        if len(value) > limit:
            raise GlossaryError(f"{where}: {key!r} is longer than {limit} characters")
        return value

    def text_list(key: str, limit: int = _MAX_NAME + 1, table: dict = entry) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GlossaryError(f"{where}: {key!r} must be a list of strings")
        return [v for v in (clean_line(v, limit) for v in value) if v]

    def flag(key: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise GlossaryError(f"{where}: {key!r} must be true or false")
        return value

    term = text("term", True, _MAX_NAME)
    definition = text("definition", True, _MAX_DEFINITION)
    expansion = text("expansion", False, _MAX_NAME)
    sources = text_list("sources", _MAX_SOURCE + 1)
    single = text("source", False, _MAX_SOURCE)
    if single:
        sources.insert(0, single)
    if any(len(s) > _MAX_SOURCE for s in sources):
        raise GlossaryError(f"{where}: a source is longer than {_MAX_SOURCE} characters")
    certainty = text("certainty", False, 20)
    if certainty and certainty not in CERTAINTIES:
        raise GlossaryError(f"{where}: 'certainty' must be one of {', '.join(CERTAINTIES)}")
    aliases = text_list("aliases")
    related = text_list("related")
    not_in = text_list("not_in")
    senses = _parse_senses(entry.get("senses", []), where)
    for name in (term, expansion, *aliases, *not_in):
        if not name:
            continue
        if len(name) > _MAX_NAME:
            raise GlossaryError(f"{where}: name {name[:40]!r}… is too long")
        # A star inside a word ("STAR*D") cannot start or end emphasis: allowed there only.
        if _BAD_NAME_CHARS.search(_INNER_STAR.sub("", name)) or not any(
            ch.isalnum() for ch in name
        ):
            raise GlossaryError(f"{where}: {name!r} is not usable as a name")
    folded_term = fold(term)
    aliases = list(dict.fromkeys(a for a in aliases if fold(a) != folded_term))
    return Term(
        key=term_key(term),
        term=term,
        aliases=tuple(aliases),
        expansion=expansion,
        definition=definition,
        related=tuple(related),
        sources=tuple(sources),
        origin=origin,
        certainty=certainty,
        senses=senses,
        safety=flag("safety"),
        common=flag("common"),
        not_in=tuple(not_in),
    )


def _parse_senses(value: object, where: str) -> tuple[Sense, ...]:
    """The `senses` list: tables with a label, a definition and context cues."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise GlossaryError(f"{where}: 'senses' must be a list of tables")
    if len(value) > _MAX_SENSES:
        raise GlossaryError(f"{where}: more than {_MAX_SENSES} senses")
    senses = []
    for number, table in enumerate(value, 1):
        unknown = sorted(set(table) - _SENSE_KEYS)
        if unknown:
            raise GlossaryError(f"{where}: sense {number}: unknown key {unknown[0]!r}")
        fields = []
        for key in ("label", "definition"):
            item = table.get(key, "")
            if not isinstance(item, str) or not clean_line(item, 10):
                raise GlossaryError(f"{where}: sense {number}: {key!r} is missing or empty")
            fields.append(clean_line(item, _MAX_DEFINITION + 1)[:_MAX_DEFINITION])
        cues = table.get("cues", [])
        if not isinstance(cues, list) or not all(isinstance(c, str) for c in cues):
            raise GlossaryError(f"{where}: sense {number}: 'cues' must be a list of strings")
        folded = tuple(dict.fromkeys(f for c in cues if (f := fold(clean_line(c, 60)))))
        senses.append(Sense(fields[0][:60], fields[1], folded))
    return tuple(senses)


def _curated_glossary() -> Glossary:
    """The shipped glossary, parsed and compiled once per process."""
    global _curated
    with _curated_lock:
        if _curated is None:
            data = files("ketaread.data").joinpath("glossary.toml").read_bytes()
            _curated = Glossary(parse_terms(data, "built-in glossary", "curated"))
        return _curated


def _read_user_file(path: Path) -> bytes:
    label = f"glossary {clean_line(str(path), 300)}"
    try:
        if not path.is_file():
            raise GlossaryError(f"{label}: not found or not a regular file")
        with path.open("rb") as handle:
            data = handle.read(_MAX_USER_FILE + 1)
    except OSError as error:
        raise GlossaryError(f"{label}: cannot be read ({error.strerror or error})") from None
    if len(data) > _MAX_USER_FILE:
        raise GlossaryError(f"{label}: larger than {_MAX_USER_FILE // 1_000_000} MB")
    return data


def _merge(base: Glossary, additions: list[Term], label: str) -> Glossary:
    """The base glossary with the user's entries: new terms added, named ones replaced."""
    terms = list(base.terms)
    position: dict[str, int] = {}
    for index, t in enumerate(terms):
        for name in t.names():
            position.setdefault(fold(name), index)
    for new in additions:
        targets = {position[f] for f in map(fold, new.names()) if f in position}
        if len(targets) > 1:
            names = ", ".join(sorted(repr(terms[i].term) for i in targets))
            raise GlossaryError(
                f"{label}: entry {new.term!r} names several existing terms ({names}); "
                "give it names that match only one"
            )
        if targets:
            index = targets.pop()
            old = terms[index]
            aliases = [
                a for a in (*old.aliases, new.term, *new.aliases) if fold(a) != fold(old.term)
            ]
            merged = Term(
                key=old.key,
                term=old.term,
                aliases=tuple(dict.fromkeys(aliases)),
                expansion=new.expansion or old.expansion,
                definition=new.definition,
                related=new.related or old.related,
                sources=new.sources,  # the curated sources described the replaced text
                origin="user",
                certainty=new.certainty,
                senses=new.senses,
                # Crisis information stays with a suicide-related term whoever defines it.
                safety=new.safety or old.safety,
                common=new.common or old.common,
                not_in=tuple(dict.fromkeys((*old.not_in, *new.not_in))),
            )
            terms[index] = merged
        else:
            index = len(terms)
            merged = new
            terms.append(new)
        for name in merged.names():
            position[fold(name)] = index
    return Glossary(terms)


def load_glossary(user_path: Path | None = None) -> Glossary:
    """The curated glossary, with the user's glossary file (same schema) on top when given.

    A user entry whose term, alias or expansion names an existing entry (any case) replaces
    that entry's definition and keeps its key; other entries are added. Any problem with the
    user file (missing, unreadable, not TOML, wrong types) raises `GlossaryError`.
    """
    curated = _curated_glossary()
    if user_path is None:
        return curated
    label = f"glossary {clean_line(str(user_path), 300)}"
    additions = parse_terms(_read_user_file(user_path), label, "user")
    return _merge(curated, additions, label)
