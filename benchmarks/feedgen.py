"""Synthetic feeds shaped like the sample feeds, for the refresh and start-up benchmarks.

`python benchmarks/feedgen.py OUT_DIR --feeds 200 --articles 20` writes OUT_DIR/feed-NNN.xml.
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

TOPICS = [
    ("NMDA receptors", "glutamate", "Neuroscience"),
    ("AMPA receptors", "synaptic plasticity", "Neuroscience"),
    ("BDNF", "neuroplasticity", "Plasticity"),
    ("default mode network", "rumination", "Brain networks"),
    ("lateral habenula", "burst firing", "Circuits"),
    ("treatment-resistant depression", "TRD", "Depression"),
    ("SSRIs", "serotonin", "Medications"),
    ("dissociation", "sub-anesthetic dose", "Experience"),
    ("integration therapy", "KAP", "Therapy"),
    ("synaptogenesis", "mTOR", "Plasticity"),
]
SOURCES = [
    ("National Institutes of Health", "https://pmc.ncbi.nlm.nih.gov/articles/PMC{n}/"),
    ("Nature", "https://www.nature.com/articles/s41586-0{n}"),
    ("American Journal of Psychiatry", "https://doi.org/10.1176/appi.ajp.{n}"),
    ("Mayo Clinic", "https://www.mayoclinic.org/diseases-conditions/depression/{n}"),
]
SENTENCES = [
    "Researchers describe how {a} shapes the way neurons respond to {b} over hours and days",
    "In people living with depression, changes in {a} may help explain slow recovery",
    "Clinical teams watch {b} closely because it changes how a session feels",
    "Animal studies suggest that {a} and {b} interact through several signalling steps",
    "The effect on {a} appears within hours, far sooner than older medications",
    "Not every patient responds, and {b} is one reason researchers keep studying it",
    "Integration sessions help people make sense of what they noticed about {b}",
    "Reviews of the evidence call for longer trials before firm conclusions about {a}",
]


def article_html(rng: random.Random, topic: tuple[str, str, str], words: int) -> str:
    """An article body: sections, inline citations, and a numbered References list."""
    a, b, _ = topic
    paragraphs = []
    refs = []
    for _ in range(5):
        name, url = rng.choice(SOURCES)
        refs.append(
            (
                name,
                f"{name} discusses {rng.choice([a, b])} and its role in recovery.",
                url.format(n=rng.randint(1_000_000, 9_999_999)),
            )
        )
    count = 0
    section = 0
    while count < words:
        if count // 180 > section:
            section += 1
            paragraphs.append(f"<h2>Part {section}: {escape(a)} and {escape(b)}</h2>")
        sentences = []
        for _ in range(rng.randint(3, 5)):
            sentence = rng.choice(SENTENCES).format(a=a, b=b)
            if rng.random() < 0.3:
                sentence += f" ({rng.choice(refs)[0]})"
            sentences.append(sentence + ".")
            count += len(sentence.split())
        paragraphs.append("<p>" + escape(" ".join(sentences)) + "</p>")
    items = "".join(
        f'<li>{escape(name)}. {escape(text)} <a href="{url}">{url}</a></li>'
        for name, text, url in refs
    )
    paragraphs.append(f"<h2>References</h2><ol>{items}</ol>")
    paragraphs.append("<p><em>Educational content, not medical advice.</em></p>")
    return "\n".join(paragraphs)


def feed_xml(index: int, articles: int, words: int, seed: int = 7) -> str:
    """One WordPress-shaped RSS 2.0 feed."""
    rng = random.Random(seed * 100_003 + index)
    base = datetime(2026, 6, 1, tzinfo=UTC)
    items = []
    for number in range(articles):
        topic = TOPICS[(index + number) % len(TOPICS)]
        title = f"{topic[0].capitalize()} explained, part {number + 1} (feed {index})"
        link = f"https://feed{index}.example.org/posts/{number}/"
        date = format_datetime(base - timedelta(hours=index * 37 + number * 13))
        categories = "".join(
            f"<category><![CDATA[{c}]]></category>"
            for c in (topic[2], topic[0], "Ketamine Therapy")
        )
        body = article_html(rng, topic, words)
        items.append(
            f"<item><title>{escape(title)}</title><link>{link}</link>"
            f"<dc:creator><![CDATA[Clinician {index % 17}]]></dc:creator>"
            f"<pubDate>{date}</pubDate>{categories}"
            f'<guid isPermaLink="false">https://feed{index}.example.org/?p={number}</guid>'
            f"<description><![CDATA[<p>{escape(topic[0])} in brief.</p>]]></description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Synthetic clinic feed {index}</title>"
        f"<link>https://feed{index}.example.org/</link>"
        "<description>Synthetic educational feed for benchmarks</description>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def generate(out: Path, feeds: int, articles: int, words: int = 600) -> list[Path]:
    """Write the feeds; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(feeds):
        path = out / f"feed-{index:04d}.xml"
        path.write_text(feed_xml(index, articles, words), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    """Command line: write synthetic feeds to a folder."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--words", type=int, default=600)
    args = parser.parse_args()
    paths = generate(args.out, args.feeds, args.articles, args.words)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} feeds, {size / 1e6:.1f} MB, to {args.out}")


if __name__ == "__main__":
    main()
