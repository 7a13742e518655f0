"""Images become "Figure: alt (caption)" lines of their own, linked and listed with the links."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from ketaread.core.clean import clean_html
from ketaread.core.figures import figures_as_lines
from ketaread.core.render import html_to_markdown

BASE = "https://clinic.example/blog/post"


def markdown(html: str) -> str:
    """Sanitised, figures rewritten, converted: what the reader sees."""
    return html_to_markdown(figures_as_lines(clean_html(html)), BASE)


def test_an_inline_image_is_its_own_linked_line_not_run_into_the_prose() -> None:
    text = markdown(
        '<p>See below. <img src="/img/nmda.png" alt="Diagram of the NMDA receptor"> '
        "A figure above.</p>"
    )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == [
        "See below.",
        "[Figure: Diagram of the NMDA receptor](https://clinic.example/img/nmda.png)",
        "A figure above.",
    ]


def test_figure_and_figcaption_stay_together() -> None:
    text = markdown(
        '<figure><a href="/big.png"><img src="/img/synapse.png" alt="A synapse"></a>'
        "<figcaption>Glutamate crossing the <em>synaptic</em> cleft</figcaption></figure>"
        "<p>Next paragraph.</p>"
    )
    assert (
        "[Figure: A synapse](https://clinic.example/img/synapse.png) "
        "(Glutamate crossing the _synaptic_ cleft)"
    ) in text
    assert "big.png" not in text  # the enlarging link's target gave way to the image's


@pytest.mark.parametrize(
    ("html", "line"),
    [
        ('<p><img src="/img/bdnf%20levels.png"></p>', "[Figure: bdnf levels.png]("),
        ('<p><img src="data:image/png;base64,AAAA"></p>', "Figure"),
        ('<p><img src="/x.png" alt="" title="Dose curve"></p>', "[Figure: Dose curve]("),
        ('<figure><img src="/a.png" alt="Same"><figcaption>Same</figcaption></figure>', "Same)"),
    ],
    ids=["file-name", "no-src", "title", "caption-equal-to-alt"],
)
def test_images_without_alt_still_appear(html: str, line: str) -> None:
    text = markdown(html)
    if line == "Same)":
        assert "(Same)" not in text and "Figure: Same" in text
    else:
        assert line in text


def test_an_image_inside_a_link_keeps_the_outer_link_only() -> None:
    text = markdown('<p><a href="https://doi.org/10.1/x"><img src="/f.png" alt="Fig 1"></a></p>')
    assert "](https://doi.org/10.1/x)" in text and "Figure: Fig 1" in text
    assert "f.png" not in text


def test_hostile_alt_text_stays_text() -> None:
    text = markdown('<p><img src="/a.png" alt="[x](javascript:alert(1)) \x1b[2J [b]"></p>')
    assert "\x1b" not in text
    assert "\\[x\\](javascript" in text or "javascript" not in text.split("](")[-1]


def test_a_figure_shows_and_is_listed_with_links_in_show_json(
    server: HTTPServer, run_cli, tmp_config: Path
) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Figures</title>'
        "<item><guid>f1</guid><title>Receptors</title><link>https://clinic.example/f1</link>"
        "<description><![CDATA[<p>Ketamine binds inside the channel."
        '<img src="https://clinic.example/img/nmda.png" alt="Diagram of the NMDA receptor">'
        " A figure above.</p>"
        "]]></description></item></channel></rss>"
    )
    server.expect_request("/f").respond_with_data(feed, content_type="application/rss+xml")
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(f'[[source]]\nlocation = "{server.url_for("/f")}"\n')
    assert run_cli("refresh")[0] == 0
    ((article),) = json.loads(run_cli("list", "--json")[1])
    shown = json.loads(run_cli("show", article["id"], "--json")[1])
    assert (
        "[Figure: Diagram of the NMDA receptor](https://clinic.example/img/nmda.png)"
        in (shown["markdown"])
    )
    assert {
        "text": "Figure: Diagram of the NMDA receptor",
        "url": "https://clinic.example/img/nmda.png",
    } in shown["links"]
