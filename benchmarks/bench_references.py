"""Time `analyse` + `link_citations` on a ~5,000-word article with ~60 citations.

Run: python benchmarks/bench_references.py [--style org|superscript|narrative]
Prints the article size, then the median and best of 40 runs for each step (target < 20 ms
for both together). Styles: "org" cites sources by name ("(Nature)") with a WordPress
list; "superscript" cites with Unicode superscripts ("effect.⁴") and "narrative" with
"Author et al. (Year)" and "(Author, Year)", both with a Vancouver or APA list.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import html2text

from ketaread.core.references import analyse, link_citations

RUNS = 40

_TOPICS = [
    "glutamate release from disinhibited pyramidal neurons",
    "AMPA receptor activation after NMDA blockade",
    "BDNF release and TrkB signalling in the prefrontal cortex",
    "mTOR driven synthesis of synaptic proteins",
    "dendritic spine regrowth after chronic stress",
    "reduced default mode network connectivity",
    "rapid reduction of suicidal thoughts within hours",
    "blood pressure changes during the infusion",
    "dissociative effects that fade within an hour",
    "the role of integration therapy after dosing",
    "slow-wave sleep and next-day mood",
    "benzodiazepines blunting the response",
    "the esketamine nasal spray and its monitoring rules",
    "opioid system involvement in the antidepressant effect",
    "response rates in treatment-resistant depression",
]
_FILLER_TEXT = (
    "Clinicians describe this in plain terms for patients, and the details matter for "
    "anyone weighing a course of treatment. The picture is still developing, yet several "
    "lines of work point in the same direction, which is why the topic keeps returning in "
    "conversations about care, expectations and follow-up over the following weeks."
)
_FILLER = _FILLER_TEXT.split()
_SOURCES = ["National Institutes of Health"] * 10 + [
    "Nature",
    "Mayo Clinic",
    "American Journal of Psychiatry",
    "Cleveland Clinic",
    "Reuters",
]
_DOMAINS = {
    "National Institutes of Health": "https://pmc.ncbi.nlm.nih.gov/articles/PMC{n}000{n}/",
    "Nature": "https://www.nature.com/articles/s41586-020-{n}",
    "Mayo Clinic": "https://www.mayoclinic.org/tests-procedures/ketamine/{n}",
    "American Journal of Psychiatry": "https://psychiatryonline.org/doi/10.1176/appi.ajp.{n}",
    "Cleveland Clinic": "https://my.clevelandclinic.org/health/treatments/{n}",
    "Reuters": "https://www.reuters.com/health/ketamine-{n}",
}


def build_article(seed: int = 7) -> str:
    """A WordPress-shaped body: ~100 paragraphs, ~60 citations, 15 references."""
    rng = random.Random(seed)
    paragraphs = []
    citations = 0
    for i in range(100):
        words = [rng.choice(_FILLER) for _ in range(38)]
        sentence = " ".join(words).capitalize() + "."
        body = [sentence]
        if i % 5 != 4:  # 80 paragraphs, most with a citation
            ref = rng.randrange(15)
            body.append(
                f"Work on {_TOPICS[ref]} supports this ({_SOURCES[ref]})."
                if citations < 60
                else f"Work on {_TOPICS[ref]} is ongoing (KAP)."
            )
            citations += 1
        if i % 10 == 3:
            body.append("Brain-derived neurotrophic factor (BDNF) is part of the story.")
        paragraphs.append("<p>" + " ".join(body) + "</p>")
        if i % 12 == 11:
            paragraphs.append(f"<h2>Section {i // 12 + 1}</h2>")
    refs = []
    for n, (source, topic) in enumerate(zip(_SOURCES, _TOPICS, strict=True), start=1):
        url = _DOMAINS[source].format(n=n)
        refs.append(f'<li>{source}. Evidence about {topic}. <a href="{url}">{url}</a></li>')
    return (
        "\n".join(paragraphs)
        + "\n<h2>References</h2>\n<ol>\n"
        + "\n".join(refs)
        + "\n</ol>\n<p><em>Medical Disclaimer: educational content only.</em></p>"
    )


_SUPER = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SURNAMES = [
    "Harlow", "Moreau", "Castell", "Lindgren", "Sato", "Adebayo", "Ruiz", "Pohl",
    "Greene", "Novak", "Price", "Okafor", "Demir", "Haddad", "Mwangi",
]  # fmt: skip


def build_styled_article(style: str, seed: int = 7) -> str:
    """The same body, cited with superscripts or author-year, with a matching list."""
    rng = random.Random(seed)
    paragraphs = []
    for i in range(100):
        words = [rng.choice(_FILLER) for _ in range(38)]
        body = [" ".join(words).capitalize() + "."]
        if i % 5 != 4:
            ref = rng.randrange(15)
            name, year = _SURNAMES[ref], 2000 + ref
            if style == "superscript":
                body.append(
                    f"Work on {_TOPICS[ref]} supports this.{str(ref + 1).translate(_SUPER)}"
                )
            elif i % 2:
                body.append(f"{name} et al. ({year}) studied {_TOPICS[ref]}.")
            else:
                body.append(f"Work on {_TOPICS[ref]} supports this ({name} et al., {year}).")
        paragraphs.append("<p>" + " ".join(body) + "</p>")
        if i % 12 == 11:
            paragraphs.append(f"<h2>Section {i // 12 + 1}</h2>")
    refs = []
    for n, (name, topic) in enumerate(zip(_SURNAMES, _TOPICS, strict=True), start=1):
        year = 2000 + n - 1
        if style == "superscript":
            refs.append(
                f"<li>{name} AB, Lee C. Evidence about {topic}. J Psychiatr Res. "
                f"{year};{n}(2):{n}0-{n}9. doi:10.1000/jpr.{n}</li>"
            )
        else:
            refs.append(
                f"<p>{name}, A. B., &amp; Lee, C. ({year}). Evidence about {topic}. "
                f"<em>Journal of Psychiatric Research, {n}</em>(2), {n}0–{n}9.</p>"
            )
    tag = "ol" if style == "superscript" else "div"
    return (
        "\n".join(paragraphs)
        + f"\n<h2>References</h2>\n<{tag}>\n"
        + "\n".join(refs)
        + f"\n</{tag}>"
    )


def main() -> None:
    """Build the article, then time each step RUNS times and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", choices=("org", "superscript", "narrative"), default="org")
    style = parser.parse_args().style
    html = build_article() if style == "org" else build_styled_article(style)
    converter = html2text.HTML2Text()
    converter.body_width = 0
    markdown = converter.handle(html)
    analysis = analyse(html)
    words = len(markdown.split())
    print(
        f"article: {words} words, {len(html)} HTML chars, "
        f"{len(analysis.citations)} citations, {len(analysis.references)} references"
    )
    timings: dict[str, list[float]] = {"analyse": [], "link_citations": [], "both": []}
    cpu: list[float] = []
    for _ in range(RUNS):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = analyse(html)
        t1 = time.perf_counter()
        link_citations(markdown, result)
        t2 = time.perf_counter()
        cpu.append((time.process_time() - c0) * 1000)
        timings["analyse"].append((t1 - t0) * 1000)
        timings["link_citations"].append((t2 - t1) * 1000)
        timings["both"].append((t2 - t0) * 1000)
    for name, values in timings.items():
        print(
            f"{name:>15}: median {statistics.median(values):6.2f} ms, "
            f"best {min(values):6.2f} ms ({RUNS} runs)"
        )
    # CPU time: on a shared machine the wall clock also counts other processes' turns.
    print(f"{'both, CPU':>15}: median {statistics.median(cpu):6.2f} ms, best {min(cpu):6.2f} ms")


if __name__ == "__main__":
    main()
