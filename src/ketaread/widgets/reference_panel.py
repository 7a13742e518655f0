"""The reference panel: references, the sentences citing each, the links, and an audit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ketaread.widgets.list_keys import LIST_KEYS, KeyedOptionList
from ketaread.widgets.web_links import copy_web_link

if TYPE_CHECKING:
    from ketaread.core.references import ReferenceAnalysis

KIND_LABELS = {
    "review": "meta-analysis or review",
    "trial": "randomised trial",
    "observational": "observational study",
    "animal": "animal study",
    "label": "regulatory label",
    "guideline": "guideline",
    "book": "book",
    "journal": "journal article",
    "government": "government or agency",
    "news": "news",
    "encyclopedia": "encyclopedia",
    "clinic": "clinic page",
    "other": "other",
}
"""The badge shown for each `Reference.kind`."""


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class ReferencePanel(KeyedOptionList):
    """References with their citing sentences and URLs, the article's links, and an audit."""

    BINDINGS = [
        Binding("enter", "select", "Open/jump", tooltip="Open the link, or jump to the sentence"),
        Binding(
            "y", "copy_url", "Copy URL", tooltip="Copy the highlighted URL (OSC 52: works over SSH)"
        ),
        *LIST_KEYS,
    ]

    class LinkActivated(Message):
        """The user asked to open a URL from the panel."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    class SentenceChosen(Message):
        """The user asked to see a citing sentence in the article."""

        def __init__(self, sentence: str) -> None:
            super().__init__()
            self.sentence = sentence

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.border_title = "References"
        self._urls: dict[str, str] = {}
        self._sentences: dict[str, str] = {}
        self._unlisted: tuple[ReferenceAnalysis | None] | None = None
        """The article given while the panel was hidden, listed once it is shown."""

    def show(self, analysis: ReferenceAnalysis | None) -> None:
        """List an article's references, links and audit; while the panel is hidden, only
        once it is shown (`list_now`): listing them cost every article's first paint a
        few milliseconds, and thousands of rows for a long reference list."""
        if self.display:
            self._list(analysis)
        else:
            self._unlisted = (analysis,)

    def list_now(self) -> None:
        """List the article given while the panel was hidden (call as it is shown)."""
        if self._unlisted is not None:
            self._list(self._unlisted[0])

    def on_show(self) -> None:
        """Shown by whatever means: the rows are the open article's."""
        self.list_now()

    def _list(self, analysis: ReferenceAnalysis | None) -> None:
        self._unlisted = None
        self._urls.clear()
        self._sentences.clear()
        options: list[Option | None] = []
        if analysis is None:
            self.set_options([Option(Content("No article open."), disabled=True)])
            return
        # Here, not at the top: the references package compiles ~200 patterns at import
        # (~35 ms), and no reference is listed before the first frame.
        from ketaread.core.references import reference_links

        citing: dict[int, list[tuple[int, str]]] = {}
        for citation in analysis.citations:
            for rank, number in enumerate(citation.references):
                citing.setdefault(number, []).append((rank, citation.sentence))

        def heading(text: str) -> None:
            if options:
                options.append(None)
            options.append(Option(Content.styled(text, "bold $text-muted"), disabled=True))

        heading(f"REFERENCES ({len(analysis.references)})")
        if not analysis.references:
            options.append(
                Option(
                    Content.styled("  This article has no reference list.", "italic"), disabled=True
                )
            )
        for reference in analysis.references:
            ids = [f"{k.upper()} {v}" for k, v in reference.ids.items() if v]
            # The label (author, year, journal) is never cut; only the description is.
            label = reference.label or reference.source or "Unknown source"
            badge = KIND_LABELS.get(reference.kind, reference.kind)
            prompt = Content.assemble(
                (f"[{reference.number}] ", "bold $accent"),
                (label, "bold"),
                "\n    ",
                (f" {badge} ", "bold reverse"),
                *((" " + " · ".join(ids), "$text-muted"),) if ids else (),
                *(("\n    ", _shorten(reference.text)) if reference.text else ()),
            )
            option_id = f"ref:{reference.number}"
            options.append(Option(prompt, id=option_id))
            links = reference_links(reference)
            if links:
                self._urls[option_id] = links[0]
            sentences = citing.get(reference.number, [])
            for position, (rank, sentence) in enumerate(sentences):
                sentence_id = f"sent:{reference.number}:{position}"
                label = "  ↳ “" if rank == 0 else "  ↳ (possible) “"
                options.append(
                    Option(
                        Content.assemble(
                            (label, "$text-muted"), (_shorten(sentence, 140), "italic"), "”"
                        ),
                        id=sentence_id,
                    )
                )
                self._sentences[sentence_id] = sentence
            for position, url in enumerate(links):
                url_id = f"url:{reference.number}:{position}"
                options.append(
                    Option(Content.assemble(("  ↗ ", "$text-muted"), (url, "underline")), id=url_id)
                )
                self._urls[url_id] = url

        heading(f"LINKS ({len(analysis.links)})")
        for position, link in enumerate(analysis.links):
            link_id = f"link:{position}"
            text = link.text if link.text and link.text != link.url else ""
            prompt = Content.assemble(
                ("↗ ", "$text-muted"),
                *((_shorten(text, 80), "bold"), "\n    ") if text else (),
                (link.url, "underline"),
            )
            options.append(Option(prompt, id=link_id))
            self._urls[link_id] = link.url

        unmatched = analysis.unmatched()
        uncited = analysis.uncited()
        heading("AUDIT")
        unread = bool(analysis.references) and not analysis.style_recognised()
        if unread:
            options.append(
                Option(
                    Content.styled(
                        "  No citation in the text was matched to the list, so uncited "
                        "references are not reported.",
                        "italic",
                    ),
                    disabled=True,
                )
            )
        elif not unmatched and not uncited:
            options.append(
                Option(
                    Content("  Every citation has a reference and every reference is cited."),
                    disabled=True,
                )
            )
        for position, citation in enumerate(unmatched):
            audit_id = f"audit:{position}"
            options.append(
                Option(
                    Content.assemble(
                        ("  No reference for ", "$text-warning"),
                        (f"({citation.marker})", "bold"),
                        ": “",
                        (_shorten(citation.sentence, 120), "italic"),
                        "”",
                    ),
                    id=audit_id,
                )
            )
            self._sentences[audit_id] = citation.sentence
        by_number = {r.number: r for r in analysis.references}
        for number in uncited:
            listed = by_number.get(number)
            label = f"[{number}] {listed.label or listed.source}" if listed else f"[{number}]"
            uncited_id = f"uncited:{number}"
            options.append(
                Option(
                    Content.assemble(("  Never cited: ", "$text-warning"), (label, "bold")),
                    id=uncited_id,
                )
            )
            if listed is not None and (links := reference_links(listed)):
                self._urls[uncited_id] = links[0]
        self.set_options(options)
        self.highlighted = self._first_enabled()

    def _first_enabled(self) -> int | None:
        for index in range(self.option_count):
            if not self.get_option_at_index(index).disabled:
                return index
        return None

    def focus_reference(self, number: int) -> bool:
        """Highlight reference `number` (when a citation in the article is clicked)."""
        self.list_now()
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == f"ref:{number}":
                self.highlighted = index
                self.scroll_to_highlight(top=True)
                return True
        return False

    @property
    def highlighted_url(self) -> str | None:
        """The URL of the highlighted row, if it has one."""
        option = self.highlighted_option
        return self._urls.get(option.id) if option is not None and option.id else None

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: open a URL, or jump to a sentence."""
        event.stop()
        option_id = event.option_id or ""
        if option_id in self._sentences:
            self.post_message(self.SentenceChosen(self._sentences[option_id]))
        elif option_id in self._urls:
            self.post_message(self.LinkActivated(self._urls[option_id]))
        else:
            self.notify("This entry has no link.", severity="warning")

    def action_copy_url(self) -> None:
        """Copy the highlighted URL (only a plain http(s) link is copied)."""
        url = self.highlighted_url
        if not url:
            self.notify(
                "Nothing to copy here: highlight a reference or a link.", severity="warning"
            )
            return
        copy_web_link(self, url)
