"""The config file: which sources to read, with their titles and user tags. No Textual."""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from ketaread.core.clean import clean_line
from ketaread.core.sync.accounts import ServerAccount, check_account
from ketaread.locations import check_regular, read_regular_file, sample_feeds_dir

TERM_MARKING_MODES = ("first", "every", "off")
MAX_CRISIS_TEXT = 400
"""Characters kept of reader.crisis_text: a line or two in the glossary popup."""


class ConfigError(Exception):
    """The config file cannot be read or is not valid."""


HIGHLIGHT_COLORS = ("primary", "secondary", "accent", "success", "warning", "error")
"""Colours a highlight meaning may take: the theme's own, so that every theme draws them,
the 16-colour one included (and with NO_COLOR a highlight is underlined, its meaning named
by its label)."""
MAX_HIGHLIGHT_LABEL = 20
MAX_HIGHLIGHT_DESCRIPTION = 80


@dataclass(frozen=True, slots=True)
class HighlightMeaning:
    """What a highlight colour means: its key (stored and exported, never renamed), and the
    label, colour and description the reader sees (config.toml's `[highlight.<key>]`)."""

    key: str
    label: str
    color: str
    description: str


DEFAULT_MEANINGS = (
    HighlightMeaning("finding", "finding", "success", "a result the article reports"),
    HighlightMeaning("method", "method", "primary", "how it was found out"),
    HighlightMeaning("definition", "definition", "accent", "what a word means"),
    HighlightMeaning("question", "question", "warning", "something to look up or ask"),
)
"""The four meanings, in the picker's order (keys as the study file stores them)."""


@dataclass(slots=True)
class SourceConfig:
    """One configured source: a path, a folder or an http(s) URL."""

    location: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    full_text: bool = False
    """Fetch each article's web page for its full text (for feeds that carry excerpts)."""
    hidden: bool = False
    """Kept out of the feed list (newsboat's "!"); its articles are still read."""
    keep_days: int | None = None
    """Remove this source's articles older than this many days (None: the global rule)."""
    keep_items: int | None = None
    """Keep at most this many articles per feed of this source (None: the global rule)."""


@dataclass(slots=True)
class SavedSearch:
    """A search the user named: shown in the sidebar with its count."""

    name: str
    query: str


@dataclass(slots=True)
class Config:
    """The whole config file."""

    path: Path
    sources: list[SourceConfig] = field(default_factory=list)
    exists: bool = True
    """False when no file exists (the bundled sample feeds stand in)."""
    samples: bool = False
    """True while the bundled sample feeds stand in for sources of the user's own: no
    config file, or one without a `source` key (written by `search --save` before any
    `add`). Saving keeps the key absent, so no install path is written into the file."""
    mark_terms: str = "first"
    """Mark glossary terms at their first occurrence per section, every occurrence, or off."""
    crisis_text: str = ""
    """The crisis line shown with suicide-related glossary terms; "" for the built-in text."""
    mark_known_terms: bool = False
    """Whether terms the reader marked known are still marked in articles."""
    keep_days: int = 0
    """Remove articles older than this many days after each refresh; 0 keeps them all."""
    keep_items: int = 0
    """Keep at most this many articles per feed; 0 keeps them all."""

    def retention(self, source: SourceConfig | None) -> tuple[int, int]:
        """(keep_days, keep_items) for a source: its own settings, else the global ones."""
        if source is None:
            return self.keep_days, self.keep_items
        days = self.keep_days if source.keep_days is None else source.keep_days
        items = self.keep_items if source.keep_items is None else source.keep_items
        return days, items

    servers: list[ServerAccount] = field(default_factory=list)
    """Feed-server accounts (`[[server]]` tables); passwords are never stored here."""

    def server(self, name: str) -> ServerAccount | None:
        """The server account called `name`, if any."""
        return next((s for s in self.servers if s.name == name), None)

    searches: list[SavedSearch] = field(default_factory=list)
    """Saved searches, in the order they were saved."""

    highlights: tuple[HighlightMeaning, ...] = DEFAULT_MEANINGS
    """The highlight meanings with the reader's labels and colours."""
    highlight_table: dict[str, object] | None = None
    """`[highlight]` as written in the file, written back as it was by `save_config`."""
    warnings: list[str] = field(default_factory=list)
    """Values that were not valid and were replaced by their defaults: shown, not fatal."""

    def meaning(self, key: str) -> HighlightMeaning:
        """The meaning stored as `key` (an unknown key from an import: its key as label)."""
        found = next((m for m in self.highlights if m.key == key), None)
        return found or HighlightMeaning(key, key, "primary", "")

    def find(self, location: str) -> SourceConfig | None:
        """The configured source at `location` (normalised), if any."""
        wanted = normalise_location(location)
        return next((s for s in self.sources if s.location == wanted), None)


def is_url(location: str) -> bool:
    """True for http(s) URLs."""
    return location.lower().startswith(("http://", "https://"))


def normalise_location(location: str) -> str:
    """URLs stay as written (feed:// becomes http://); local paths become absolute."""
    location = location.strip()
    if location[:5].lower() == "feed:":
        from ketaread.core.subscriptions import feed_scheme_to_http

        location = feed_scheme_to_http(location)
    if is_url(location):
        return location
    if location.lower().startswith("file://"):
        location = location[len("file://") :]
    return str(Path(location).expanduser().absolute())


def _count(path: Path, where: str, name: str, value: object) -> int:
    """A retention setting: a whole number, 0 or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: {name} of {where} must be a whole number, 0 or more")
    return value


def default_config(path: Path) -> Config:
    """The stand-in used when there is no config file: the bundled sample feeds."""
    return Config(
        path=path,
        sources=_sample_sources(),
        exists=False,
        samples=True,
    )


def _sample_sources() -> list[SourceConfig]:
    return [SourceConfig(location=str(sample_feeds_dir()), title=None, tags=[])]


MAX_CONFIG_BYTES = 1024 * 1024
"""Largest config (or settings) file read."""
MAX_CONFIG_DEPTH = 32
"""Deepest nesting of arrays and tables accepted in a config file."""


def read_toml(path: Path, what: str) -> dict | None:
    """A small TOML file as a dict (None when absent): a regular file of at most
    MAX_CONFIG_BYTES, nested at most MAX_CONFIG_DEPTH deep. Problems raise ConfigError."""
    try:
        data = read_regular_file(path, MAX_CONFIG_BYTES)
    except OSError as error:
        raise ConfigError(f"cannot read the {what} ({_os_reason(error)})") from error
    if data is None:
        return None
    import tomllib  # here, not at the top: its import is a tenth of ketaread's own

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: the {what} is not UTF-8 text ({error.reason})") from error
    if _nesting_depth(text) > MAX_CONFIG_DEPTH:
        raise ConfigError(f"{path}: the {what} is nested more than {MAX_CONFIG_DEPTH} deep")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from error
    except RecursionError as error:  # a shape the depth scan did not see
        raise ConfigError(f"{path}: the {what} is nested too deeply") from error


def _nesting_depth(text: str) -> int:
    """An upper bound on the nesting of arrays and inline tables (brackets in strings
    and comments count too: a generous bound, computed in one pass)."""
    import re

    depth = deepest = 0
    for char in re.sub(r"[^\[\]{}]+", "", text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    return deepest


def _os_reason(error: OSError) -> str:
    return str(error) if error.strerror is None else f"{error.filename}: {error.strerror}"


def load_config(path: Path) -> Config:
    """Read the config file at `path`; with no file, the sample feeds stand in."""
    data = read_toml(path, "config file")
    if data is None:
        return default_config(path)
    sources: list[SourceConfig] = []
    for index, entry in enumerate(data.get("source", []), start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("location"), str):
            raise ConfigError(f"{path}: [[source]] number {index} needs a location string")
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise ConfigError(f"{path}: tags of {entry['location']!r} must be a list of strings")
        title = entry.get("title")
        flags = {}
        for flag in ("full_text", "hidden"):
            value = entry.get(flag, False)
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: {flag} of {entry['location']!r} must be true or false")
            flags[flag] = value
        where = repr(entry["location"])
        keep_days = entry.get("keep_days")
        keep_items = entry.get("keep_items")
        sources.append(
            SourceConfig(
                location=normalise_location(entry["location"]),
                title=clean_line(title) if isinstance(title, str) and title.strip() else None,
                tags=[clean_line(t) for t in tags if clean_line(t)],
                **flags,
                keep_days=None
                if keep_days is None
                else _count(path, where, "keep_days", keep_days),
                keep_items=(
                    None if keep_items is None else _count(path, where, "keep_items", keep_items)
                ),
            )
        )
    reader = data.get("reader", {})
    mark_terms = reader.get("mark_terms", "first") if isinstance(reader, dict) else "first"
    if mark_terms not in TERM_MARKING_MODES:
        raise ConfigError(
            f"{path}: reader.mark_terms must be one of {', '.join(TERM_MARKING_MODES)}"
        )
    crisis_text = reader.get("crisis_text", "") if isinstance(reader, dict) else ""
    if not isinstance(crisis_text, str):
        raise ConfigError(f"{path}: reader.crisis_text must be a string")
    mark_known = reader.get("mark_known_terms", False) if isinstance(reader, dict) else False
    if not isinstance(mark_known, bool):
        raise ConfigError(f"{path}: reader.mark_known_terms must be true or false")
    retention = data.get("retention", {})
    if not isinstance(retention, dict):
        raise ConfigError(f"{path}: [retention] must be a table")
    searches: list[SavedSearch] = []
    for index, entry in enumerate(data.get("search", []), start=1):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("query"), str)
            or not clean_line(entry["name"])
        ):
            raise ConfigError(f"{path}: [[search]] number {index} needs a name and a query string")
        searches.append(SavedSearch(clean_line(entry["name"]), clean_line(entry["query"], 500)))
    warnings: list[str] = []
    highlight_table = data.get("highlight")
    highlights = _load_meanings(path, highlight_table, warnings)
    samples = "source" not in data
    return Config(
        path=path,
        sources=_sample_sources() if samples else sources,
        exists=True,
        samples=samples,
        mark_terms=mark_terms,
        crisis_text=clean_line(crisis_text, MAX_CRISIS_TEXT),
        mark_known_terms=mark_known,
        keep_days=_count(path, "[retention]", "keep_days", retention.get("keep_days", 0)),
        keep_items=_count(path, "[retention]", "keep_items", retention.get("keep_items", 0)),
        servers=_load_servers(path, data.get("server", [])),
        searches=searches,
        highlights=highlights,
        highlight_table=highlight_table if isinstance(highlight_table, dict) else None,
        warnings=warnings,
    )


def _load_meanings(path: Path, table: object, warnings: list[str]) -> tuple[HighlightMeaning, ...]:
    """`[highlight.<key>]` tables over the defaults. A value that is not valid is named in
    `warnings` and its default used: a typo in a colour must not keep the reader from
    starting."""
    if table is None:
        return DEFAULT_MEANINGS
    keys = ", ".join(m.key for m in DEFAULT_MEANINGS)
    if not isinstance(table, dict):
        warnings.append(f"{path}: highlight must be tables [highlight.KEY] ({keys}); defaults used")
        return DEFAULT_MEANINGS
    for name in table:
        if name not in {m.key for m in DEFAULT_MEANINGS}:
            warnings.append(
                f"{path}: highlight.{clean_line(str(name), 40)} is not a meaning ({keys}); ignored"
            )
    meanings = []
    for default in DEFAULT_MEANINGS:
        entry = table.get(default.key, {})
        if not isinstance(entry, dict):
            warnings.append(
                f"{path}: highlight.{default.key} must be a table (label, color, description); "
                "its defaults are used"
            )
            entry = {}
        label = _meaning_text(
            path, entry, default, "label", MAX_HIGHLIGHT_LABEL, default.label, warnings
        )
        description = _meaning_text(
            path,
            entry,
            default,
            "description",
            MAX_HIGHLIGHT_DESCRIPTION,
            default.description,
            warnings,
        )
        color = entry.get("color", default.color)
        if color not in HIGHLIGHT_COLORS:
            warnings.append(
                f"{path}: highlight.{default.key}.color must be one of "
                f"{', '.join(HIGHLIGHT_COLORS)}; the default ({default.color}) is used"
            )
            color = default.color
        meanings.append(HighlightMeaning(default.key, label, str(color), description))
    labels = [m.label.casefold() for m in meanings]
    for index, meaning in enumerate(meanings):
        if labels.count(labels[index]) > 1 and meaning.label != DEFAULT_MEANINGS[index].label:
            warnings.append(
                f"{path}: highlight.{meaning.key}.label {meaning.label!r} names another "
                f"meaning too; the default ({DEFAULT_MEANINGS[index].label}) is used"
            )
            meanings[index] = HighlightMeaning(
                meaning.key, DEFAULT_MEANINGS[index].label, meaning.color, meaning.description
            )
    return tuple(meanings)


def _meaning_text(
    path: Path,
    entry: dict[str, object],
    default: HighlightMeaning,
    name: str,
    limit: int,
    fallback: str,
    warnings: list[str],
) -> str:
    """A meaning's label or description: one line of 1 to `limit` characters."""
    value = entry.get(name, fallback)
    text = clean_line(value) if isinstance(value, str) else ""
    if not text or len(text) > limit:
        warnings.append(
            f"{path}: highlight.{default.key}.{name} must be text of 1 to {limit} characters; "
            f"the default ({fallback}) is used"
        )
        return fallback
    return text


_SERVER_KEYS = ("name", "url", "api", "user", "password_command", "password_file", "password_env")


def _load_servers(path: Path, tables: object) -> list[ServerAccount]:
    """The `[[server]]` tables, each checked; a password in the file is refused."""
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: server must be [[server]] tables")
    servers: list[ServerAccount] = []
    for index, entry in enumerate(tables, start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: [[server]] number {index} is not a table")
        if "password" in entry:
            raise ConfigError(
                f"{path}: [[server]] number {index} holds a password in plain text; use "
                "password_command, password_file or password_env instead"
            )
        values = {key: entry.get(key) for key in _SERVER_KEYS}
        if not all(v is None or isinstance(v, str) for v in values.values()):
            raise ConfigError(f"{path}: [[server]] number {index}: every value must be a string")
        account = ServerAccount(
            name=values["name"] or "",
            url=values["url"] or "",
            api=values["api"] or "greader",
            user=values["user"] or "",
            password_command=values["password_command"],
            password_file=values["password_file"],
            password_env=values["password_env"],
        )
        problem = check_account(account)
        if problem:
            raise ConfigError(f"{path}: [[server]] number {index}: {problem}")
        if any(s.name == account.name for s in servers):
            raise ConfigError(f"{path}: two [[server]] tables are named {account.name!r}")
        servers.append(account)
    return servers


def save_config(config: Config) -> None:
    """Write the config file atomically (a temporary file renamed over the old one)."""
    import tomli_w

    document: dict[str, object] = {
        "reader": {
            "mark_terms": config.mark_terms,
            **({"crisis_text": config.crisis_text} if config.crisis_text else {}),
            **({"mark_known_terms": True} if config.mark_known_terms else {}),
        },
        **(
            {"retention": {"keep_days": config.keep_days, "keep_items": config.keep_items}}
            if config.keep_days or config.keep_items
            else {}
        ),
        "source": [
            {
                "location": s.location,
                **({"title": s.title} if s.title else {}),
                **({"tags": s.tags} if s.tags else {}),
                **({"full_text": True} if s.full_text else {}),
                **({"hidden": True} if s.hidden else {}),
                **({"keep_days": s.keep_days} if s.keep_days is not None else {}),
                **({"keep_items": s.keep_items} if s.keep_items is not None else {}),
            }
            for s in config.sources
        ],
    }
    if config.samples:
        del document["source"]  # the samples keep standing in; their path is not ours to pin
    if config.servers:
        document["server"] = [
            {key: getattr(account, key) for key in _SERVER_KEYS if getattr(account, key)}
            for account in config.servers
        ]
    if config.highlight_table:
        document["highlight"] = config.highlight_table  # as written, mistakes and all
    if config.searches:
        document["search"] = [{"name": s.name, "query": s.query} for s in config.searches]
    text = (
        "# ketaread sources. Edit freely, or use `ketaread add` / `ketaread remove`.\n"
        + tomli_w.dumps(document)
    )
    temporary = config.path.with_suffix(".toml.tmp")
    try:
        config.path.parent.mkdir(parents=True, exist_ok=True)
        check_regular(config.path)  # a FIFO or a device there raises: never replaced
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(config.path)
    except OSError as error:
        # Full disk, read-only folder: the old config stays as it was, and no partial
        # temporary file is left behind.
        with suppress(OSError):
            temporary.unlink(missing_ok=True)
        reason = "the disk is full" if error.errno == errno.ENOSPC else _os_reason(error)
        raise ConfigError(f"cannot save the config file {config.path}: {reason}") from error
    config.exists = True
