"""Subscription lists: OPML and newsboat `urls` import, refusal of hostile input, round trips."""

from __future__ import annotations

import time

import pytest

from ketaread.core.subscriptions import (
    Subscription,
    check_location,
    parse_newsboat_urls,
    parse_opml,
    read_subscriptions,
    to_newsboat_urls,
    to_opml,
)

OPML_1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
  <head><title>Reading list</title></head>
  <body>
    <outline text="Neuroscience">
      <outline text="Glutamate Weekly" type="rss" xmlUrl="https://glutamate.example/rss"/>
      <outline text="Plasticity">
        <outline text="BDNF Digest" type="rss" xmlUrl="https://bdnf.example/feed.xml"/>
      </outline>
    </outline>
    <outline text="Loose feed" type="rss" xmlUrl="https://loose.example/atom"/>
  </body>
</opml>
"""

OPML_2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Clinic reading</title></head>
  <body>
    <outline text="Mental health">
      <outline text="TRD Review" title="Treatment-Resistant Depression Review" type="rss"
               xmlUrl="https://trd.example/rss" htmlUrl="https://trd.example/"
               category="clinical,/Research/NMDA"/>
    </outline>
    <outline text="DMN notes" type="rss" url="https://dmn.example/feed"/>
    <outline text="Only a web page" htmlUrl="https://page.example/"/>
    <outline text="Elsewhere" type="include" url="https://lists.example/more.opml"/>
  </body>
</opml>
"""


# --- OPML ---------------------------------------------------------------------------------


def test_opml_1_nested_outlines_become_one_folder_path_tag_as_in_newsboat() -> None:
    report = parse_opml(OPML_1)
    assert report.skipped == []
    assert [(s.location, s.title, s.tags) for s in report.subscriptions] == [
        ("https://glutamate.example/rss", "Glutamate Weekly", ["Neuroscience"]),
        ("https://bdnf.example/feed.xml", "BDNF Digest", ["Neuroscience/Plasticity"]),
        ("https://loose.example/atom", "Loose feed", []),
    ]


def test_opml_2_title_category_paths_and_url_attribute() -> None:
    report = parse_opml(OPML_2)
    subs = {s.location: s for s in report.subscriptions}
    trd = subs["https://trd.example/rss"]
    assert trd.title == "Treatment-Resistant Depression Review"
    assert trd.tags == ["Mental health", "clinical", "Research/NMDA"]
    assert trd.html_url == "https://trd.example/"
    assert subs["https://dmn.example/feed"].title == "DMN notes"
    assert "https://page.example/" not in subs  # htmlUrl is never taken as a feed


def test_opml_outlines_without_a_feed_url_are_reported() -> None:
    reasons = dict(parse_opml(OPML_2).skipped)
    assert reasons["https://page.example/"] == "no feed URL (only a web page link)"
    assert reasons["https://lists.example/more.opml"] == "an OPML 'include' outline"


def test_opml_feed_filed_in_two_folders_gets_both_tags() -> None:
    data = b"""<opml version="2.0"><body>
      <outline text="AMPA"><outline text="F" xmlUrl="https://f.example/rss"/></outline>
      <outline text="BDNF"><outline text="F" xmlUrl="https://f.example/rss"/></outline>
    </body></opml>"""
    report = parse_opml(data)
    assert [(s.location, s.tags) for s in report.subscriptions] == [
        ("https://f.example/rss", ["AMPA", "BDNF"])
    ]


def test_opml_hostile_entries_are_skipped_and_strings_cleaned() -> None:
    data = (
        b'<opml version="2.0"><body>'
        b'<outline text="Run" xmlUrl="exec:rm -rf ~"/>'
        b'<outline text="Script" xmlUrl="javascript:alert(1)"/>'
        b'<outline text="Bad&#x9b;31m title&#x202e;" xmlUrl="https://ok.example/rss"'
        b' category="a&#x200b;b"/>'
        b"</body></opml>"
    )
    report = parse_opml(data)
    assert [s.location for s in report.subscriptions] == ["https://ok.example/rss"]
    assert report.subscriptions[0].title == "Bad title"
    assert report.subscriptions[0].tags == ["ab"]
    reasons = dict(report.skipped)
    assert reasons["exec:rm -rf ~"] == "runs a command (newsboat exec: source); refused"
    assert reasons["javascript:alert(1)"].startswith("unsupported scheme 'javascript:'")


def test_opml_billion_laughs_is_refused_quickly() -> None:
    levels = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    data = (
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY lol0 "lol">' + levels + "]>"
        '<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://x.example/"/>'
        "</body></opml>"
    ).encode()
    started = time.perf_counter()
    report = parse_opml(data, "laughs.opml")
    elapsed = time.perf_counter() - started
    assert report.subscriptions == []
    assert report.skipped == [("laughs.opml", "OPML declares entities; refusing to expand them")]
    assert elapsed < 0.5  # expanding would take ~10^9 characters


def test_opml_external_entity_is_refused() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://x.example/"/></body></opml>"""
    report = parse_opml(data, "xxe.opml")
    assert report.subscriptions == []
    assert report.skipped == [("xxe.opml", "OPML declares entities; refusing to expand them")]


def test_opml_parameter_entity_is_refused() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>
<opml version="2.0"><body/></opml>"""
    report = parse_opml(data, "pe.opml")
    assert report.skipped == [("pe.opml", "OPML declares entities; refusing to expand them")]


def test_opml_external_dtd_is_refused() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">
<opml version="2.0"><body/></opml>"""
    report = parse_opml(data, "dtd.opml")
    assert report.skipped == [("dtd.opml", "OPML refers to an external DTD; refusing to load it")]


def test_opml_bare_doctype_without_declarations_is_read() -> None:
    data = b"""<?xml version="1.0"?>
<!DOCTYPE opml>
<opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/rss"/></body></opml>"""
    report = parse_opml(data)
    assert report.skipped == []
    assert [s.location for s in report.subscriptions] == ["https://a.example/rss"]


def test_malformed_opml_is_reported_not_raised() -> None:
    report = parse_opml(b'<opml><body><outline xmlUrl="https://x.example/"></body>', "bad.opml")
    assert report.subscriptions == []
    assert len(report.skipped) == 1
    assert report.skipped[0][0] == "bad.opml"
    assert report.skipped[0][1].startswith("not well-formed XML: mismatched tag")


def test_xml_that_is_not_opml_is_reported() -> None:
    report = parse_opml(b"<rss version='2.0'><channel/></rss>", "feed.xml")
    assert report.skipped == [("feed.xml", "not an OPML document (root element is rss)")]


# --- newsboat urls ----------------------------------------------------------------------

URLS = r"""# my newsboat urls
https://glutamate.example/rss neuro "glutamate research" "~Glutamate, Weekly"

https://bdnf.example/feed.xml plasticity # trailing comment
"query:Unread:unread = \"yes\""
exec:~/bin/make-feed.sh
filter:~/bin/clean.sh:https://filtered.example/rss
|curl -s https://piped.example/
"|curl -s https://quoted-pipe.example/"
javascript:alert(1)
ssh://host.example/feed
/home/reader/feeds/local.xml local
file:///home/reader/feeds/other.xml
relative/path.xml
https://quoted.example/rss "say \"hi\"" "back\\slash"
"""


def test_urls_tags_title_and_comments() -> None:
    report = parse_newsboat_urls(URLS)
    subs = {s.location: s for s in report.subscriptions}
    glutamate = subs["https://glutamate.example/rss"]
    assert glutamate.title == "Glutamate, Weekly"
    assert glutamate.tags == ["neuro", "glutamate research"]
    bdnf = subs["https://bdnf.example/feed.xml"]
    assert (bdnf.title, bdnf.tags) == (None, ["plasticity"])
    assert subs["https://quoted.example/rss"].tags == ['say "hi"', "back\\slash"]


def test_urls_local_paths_are_accepted() -> None:
    subs = {s.location: s for s in parse_newsboat_urls(URLS).subscriptions}
    assert subs["/home/reader/feeds/local.xml"].tags == ["local"]
    assert "file:///home/reader/feeds/other.xml" in subs


def test_urls_commands_queries_and_other_schemes_are_skipped_with_reasons() -> None:
    report = parse_newsboat_urls(URLS)
    reasons = {entry: reason for entry, reason in report.skipped}
    assert reasons == {
        '"query:Unread:unread = \\"yes\\""': "newsboat query feeds are searches, not sources",
        "exec:~/bin/make-feed.sh": "runs a command (newsboat exec: source); refused",
        "filter:~/bin/clean.sh:https://filtered.example/rss": (
            "runs a command (newsboat filter: source); refused"
        ),
        "|curl -s https://piped.example/": "runs a command (newsboat '|' source); refused",
        '"|curl -s https://quoted-pipe.example/"': "runs a command (newsboat '|' source); refused",
        "javascript:alert(1)": (
            "unsupported scheme 'javascript:' (only http, https and local files)"
        ),
        "ssh://host.example/feed": "unsupported scheme 'ssh:' (only http, https and local files)",
        "relative/path.xml": "not a URL or an absolute path",
    }
    accepted = {s.location for s in report.subscriptions}
    assert not any("filtered" in loc or "piped" in loc for loc in accepted)


@pytest.mark.parametrize(
    "location",
    [
        "exec:ls",
        "EXEC:ls",
        "filter:a:https://x.example/",
        "|ls",
        "query:x:y",
        "data:text/xml,",
        "https://",
        "http://bad host.example/",
        "https://x.example/\x1b[2J",
    ],
)
def test_check_location_refuses(location: str) -> None:
    assert check_location(location) is not None


@pytest.mark.parametrize(
    "location",
    [
        "https://x.example/feed?a=1#f",
        "http://127.0.0.1:8080/",
        "/srv/feeds/a.xml",
        "/home/me/My Feeds/a.xml",
        "file:///tmp/a.xml",
    ],
)
def test_check_location_accepts(location: str) -> None:
    assert check_location(location) is None


# --- detection and round trips -----------------------------------------------------------


def test_read_subscriptions_detects_opml_by_content() -> None:
    report = read_subscriptions(b"\xef\xbb\xbf\n  " + OPML_1, name="list.txt")
    assert len(report.subscriptions) == 3


def test_read_subscriptions_detects_urls_by_content() -> None:
    report = read_subscriptions(URLS.encode(), name="subscriptions.opml")
    assert "https://glutamate.example/rss" in {s.location for s in report.subscriptions}


SAMPLE = [
    Subscription("https://a.example/rss", "Ketamine & the <brain>", ["neuro", "two words"]),
    Subscription("https://b.example/atom?x=1&y=2", None, []),
    Subscription("/home/reader/My Feeds/local.xml", 'Quote "this"', ["local"]),
    Subscription("https://c.example/feed", "Paths", ["ketamine/AMPA", "a,b", "plain"]),
    Subscription("file:///tmp/x.xml", "Back\\slash", ["#hash", "ünïcode"]),
]


def by_location(subs: list[Subscription]) -> dict[str, tuple[object, ...]]:
    """Subscriptions keyed by location, tags as a set (folders group them in another order)."""
    return {s.location: (s.title, frozenset(s.tags), s.hidden) for s in subs}


def test_opml_round_trip() -> None:
    report = read_subscriptions(to_opml(SAMPLE).encode("utf-8"))
    assert report.skipped == []
    assert by_location(report.subscriptions) == by_location(SAMPLE)


def test_urls_round_trip() -> None:
    report = read_subscriptions(to_newsboat_urls(SAMPLE).encode("utf-8"))
    assert report.skipped == []
    assert report.subscriptions == SAMPLE


def test_opml_export_writes_tags_as_nested_folders_with_html_url_and_escapes() -> None:
    subs = [
        Subscription("https://a.example/rss", "Ketamine & the <brain>", ["neuro/AMPA", "x"]),
        Subscription("https://b.example/rss", "B", ["neuro"], html_url="https://b.example/"),
        Subscription("https://c.example/rss", None, []),
    ]
    text = to_opml(subs, title="Mine")
    assert "<title>Mine</title>" in text
    assert "category=" not in text
    assert text.count('<outline text="neuro"') == 1  # one folder, shared
    body = text.split("<body>")[1]
    neuro = body.index('text="neuro"')
    ampa = body.index('text="AMPA"')
    b_feed = body.index('xmlUrl="https://b.example/rss"')
    assert neuro < ampa < b_feed  # AMPA nests in neuro, B sits in neuro after it
    assert 'htmlUrl="https://b.example/"' in text
    assert 'title="Ketamine &amp; the &lt;brain&gt;"' in text
    back = parse_opml(text.encode())
    assert by_location(back.subscriptions) == by_location(subs)
    assert {s.location: s.html_url for s in back.subscriptions}["https://b.example/rss"] == (
        "https://b.example/"
    )


def test_newsboat_bang_tag_is_hidden_and_round_trips_in_urls() -> None:
    report = parse_newsboat_urls('https://a.example/rss "!" "neuro"\nhttps://b.example/rss "!x"\n')
    assert [(s.tags, s.hidden) for s in report.subscriptions] == [(["neuro"], True), (["x"], True)]
    text = to_newsboat_urls(report.subscriptions)
    assert text.splitlines()[0] == 'https://a.example/rss "neuro" "!"'
    assert parse_newsboat_urls(text).subscriptions == report.subscriptions


@pytest.mark.parametrize(
    ("given", "location"),
    [
        ("feed://clinic.example/rss", "http://clinic.example/rss"),
        ("feed:https://clinic.example/rss", "https://clinic.example/rss"),
        ("FEED://clinic.example/a", "http://clinic.example/a"),
    ],
)
def test_feed_scheme_is_http(given: str, location: str) -> None:
    (sub,) = parse_newsboat_urls(given).subscriptions
    assert sub.location == location
    (sub,) = parse_opml(
        f'<opml version="2.0"><body><outline xmlUrl="{given}"/></body></opml>'.encode()
    ).subscriptions
    assert sub.location == location


def test_urls_export_format() -> None:
    assert to_newsboat_urls(SAMPLE[:1]) == (
        'https://a.example/rss "neuro" "two words" "~Ketamine & the <brain>"\n'
    )


def test_export_leaves_out_command_sources_and_cleans_strings() -> None:
    subs = [
        Subscription("exec:ls", "Run"),
        Subscription("https://ok.example/rss", "Ti\x1b[31mtle\u202e", ["t\x07ag"]),
    ]
    assert to_newsboat_urls(subs) == 'https://ok.example/rss "tag" "~Title"\n'
    opml = to_opml(subs)
    assert "exec:" not in opml
    assert [(s.title, s.tags) for s in parse_opml(opml.encode()).subscriptions] == [
        ("Title", ["tag"])
    ]
