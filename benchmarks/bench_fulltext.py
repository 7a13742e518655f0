"""Full-text extraction: trafilatura vs readability-lxml on clinic-article-shaped pages.

Each page is hand-written to look like the pages excerpt-only clinic and news feeds link
to: a header with navigation, a cookie banner, the article (headings, paragraphs, a
figure, a list, inline citations and a References list), a "related posts" block, a
newsletter box, comments and a footer. For each extractor the script reports, per page,
how many of the article's sentences it kept (recall), how many boilerplate phrases it let
through (noise), whether the reference list survived, and the time per page.

    python benchmarks/bench_fulltext.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

NAV = """<header class="site-header"><a class="logo" href="/">Lakeside Ketamine Clinic</a>
<nav class="main-nav"><ul><li><a href="/">Home</a></li><li><a href="/treatments/">Treatments</a>
</li><li><a href="/team/">Our team</a></li><li><a href="/blog/">Blog</a></li>
<li><a href="/contact/">Book a consultation</a></li></ul></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. Accept all cookies</div>
"""
RELATED = """<aside class="related-posts"><h3>Related posts</h3><ul>
<li><a href="/blog/what-to-expect/">What to expect at your first infusion session</a></li>
<li><a href="/blog/insurance/">Does insurance cover ketamine therapy in 2026</a></li>
<li><a href="/blog/spravato/">Spravato versus IV ketamine: our comparison chart</a></li>
</ul></aside>
<div class="newsletter"><h4>Subscribe to our newsletter</h4><form><input type="email"
placeholder="Your email"><button>Sign up today</button></form></div>
<section class="comments"><h3>2 comments</h3><div class="comment"><p>Great read, thank you
so much for sharing this with the community!</p></div><div class="comment"><p>Can you
write about aftercare next, I would love that.</p></div></section>
"""
FOOTER = """<footer class="site-footer"><p>Copyright 2026 Lakeside Ketamine Clinic. All
rights reserved.</p><p><a href="/privacy/">Privacy policy</a> | <a href="/terms/">Terms of
use</a></p><p>Call us today at 555-0100 to schedule a free phone screening.</p></footer>
"""
BOILERPLATE = [
    "Book a consultation",
    "We use cookies",
    "Related posts",
    "first infusion session",
    "Subscribe to our newsletter",
    "Great read",
    "All rights reserved",
    "Privacy policy",
    "free phone screening",
]


@dataclass
class Page:
    """One test page: its HTML, the sentences that must survive, and its reference count."""

    name: str
    html: str
    sentences: list[str]
    references: int


def article(title: str, sections: list[tuple[str, list[str]]], refs: list[str]) -> str:
    """The article part of a page."""
    body = [f"<h1>{title}</h1><p class='byline'>By Dr. A. Example, MD · 4 min read</p>"]
    for heading, paragraphs in sections:
        body.append(f"<h2>{heading}</h2>")
        body.extend(f"<p>{text}</p>" for text in paragraphs)
    body.append(
        '<figure><img src="/img/nmda.png" alt="Diagram of the NMDA receptor">'
        "<figcaption>The NMDA receptor and its ketamine binding site.</figcaption></figure>"
    )
    body.append("<h2>References</h2><ol>" + "".join(f"<li>{r}</li>" for r in refs) + "</ol>")
    return "\n".join(body)


SENTENCES_A = [
    "Ketamine blocks NMDA receptors on inhibitory interneurons in the prefrontal cortex [1].",
    "The resulting glutamate surge activates AMPA receptors and triggers BDNF release [2].",
    "Within hours, new dendritic spines appear in animal models of chronic stress [3].",
    "These synaptic changes are thought to underlie the rapid antidepressant effect.",
    "Clinicians usually give six infusions over two to three weeks.",
    "Blood pressure is monitored during and after each session.",
]
SENTENCES_B = [
    "Esketamine is the S-enantiomer of ketamine and is given as a nasal spray [1].",
    "It was approved for treatment-resistant depression together with an oral antidepressant.",
    "Patients stay at the clinic for at least two hours after each dose [2].",
    "Dissociation and sedation are the most common side effects and usually pass quickly.",
    "The default mode network shows reduced connectivity after treatment in imaging studies [3].",
]
REFS = [
    "Example A, et al. Ketamine and interneurons. J Neurosci Examples. 2021;41:100-110.",
    "Example B, et al. BDNF and rapid antidepressant action. Neuron Examples. 2020;12:1-9.",
    "Example C. Synaptogenesis after ketamine. Nat Example. 2019;5:33-40.",
    "Example D. Clinical protocols for infusion therapy. Clin Example. 2022;7:55-61.",
]


def build_pages() -> list[Page]:
    """Four shapes: WordPress, a news site with many asides, a minimal page, div soup."""
    a = article(
        "How ketamine works in the brain",
        [
            ("Mechanism", SENTENCES_A[:3]),
            ("What this means for treatment", SENTENCES_A[3:]),
        ],
        REFS,
    )
    b = article(
        "Esketamine nasal spray: a practical guide",
        [("Background", SENTENCES_B[:2]), ("During treatment", SENTENCES_B[2:])],
        REFS[:3],
    )
    wordpress = (
        f"<!DOCTYPE html><html><head><title>How ketamine works</title></head><body>{NAV}"
        f'<main id="main"><article class="post type-post"><div class="entry-content">{a}'
        f"</div></article>{RELATED}</main>{FOOTER}</body></html>"
    )
    news = (
        f"<html><head><title>Esketamine guide</title></head><body>{NAV}"
        '<div class="layout"><div class="sidebar"><h3>Most read</h3><ul>'
        "<li><a href='/a'>Ten myths about psychedelic clinics debunked</a></li></ul></div>"
        f'<div class="story-body">{b}</div>{RELATED}</div>{FOOTER}</body></html>'
    )
    minimal = f"<html><head><title>Note</title></head><body>{a}</body></html>"
    divs = b.replace("<p>", "<div>").replace("</p>", "</div>")
    soup = (
        f"<html><body>{NAV}<div><div><div class='c1'>{divs}"
        f"</div></div><div class='c2'>{RELATED}</div></div>{FOOTER}</body></html>"
    )
    return [
        Page("wordpress", wordpress, SENTENCES_A, 4),
        Page("news", news, SENTENCES_B, 3),
        Page("minimal", minimal, SENTENCES_A, 4),
        Page("div-soup", soup, SENTENCES_B, 3),
    ]


def with_trafilatura(html: str, url: str) -> str:
    """trafilatura's main-content HTML."""
    import trafilatura

    return (
        trafilatura.extract(
            html,
            url=url,
            output_format="html",
            include_links=True,
            include_images=True,
            include_tables=True,
            include_comments=False,
            favor_recall=True,
        )
        or ""
    )


def with_readability(html: str, url: str) -> str:
    """readability-lxml's summary HTML."""
    from readability import Document

    return Document(html, url=url).summary(html_partial=True)


def with_ketaread(html: str, url: str) -> str:
    """What ketaread keeps: readability-lxml after removing site chrome, then sanitised."""
    from ketaread.core.fulltext import extract_main

    return extract_main(html, url)[0] or ""


def score(page: Page, extracted: str) -> tuple[float, list[str], bool]:
    """(share of sentences kept, boilerplate phrases let through, references kept)."""
    import re

    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", extracted))
    text = text.replace(" .", ".")
    kept = sum(sentence in text for sentence in page.sentences) / len(page.sentences)
    noise = [phrase for phrase in BOILERPLATE if phrase in text]
    refs = all(ref.split(".")[0] in text for ref in REFS[: page.references])
    return kept, noise, refs


def main() -> None:
    """Print one table row per extractor and page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    pages = build_pages()
    extractors: dict[str, Callable[[str, str], str]] = {
        "trafilatura": with_trafilatura,
        "readability-lxml": with_readability,
        "ketaread (chrome removed, readability-lxml)": with_ketaread,
    }
    print(
        "| extractor | page | sentences kept | boilerplate let through | references "
        "| numbered list | figure caption | ms/page |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, extract in extractors.items():
        started = time.perf_counter()
        extract(pages[0].html, "https://clinic.example/blog/x")  # import and warm up
        first = time.perf_counter() - started
        for page in pages:
            url = f"https://clinic.example/blog/{page.name}"
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                out = extract(page.html, url)
                times.append(time.perf_counter() - started)
            kept, noise, refs = score(page, out)
            shown = f"{len(noise)}/{len(BOILERPLATE)}" + (f" ({', '.join(noise)})" if noise else "")
            print(
                f"| {name} | {page.name} | {kept:.0%} | {shown} | {'kept' if refs else 'lost'} "
                f"| {'yes' if '<ol' in out else 'no'} | {'yes' if 'figcaption' in out else 'no'} "
                f"| {statistics.median(times) * 1000:.1f} |"
            )
        print(f"| {name} | (import + first call) | | | | | | {first * 1000:.0f} |")


if __name__ == "__main__":
    main()
