"""Counted nouns in messages."""

from ketaread.core.wording import counted


def test_one_is_singular_and_the_rest_plural() -> None:
    assert counted(1, "feed") == "1 feed"
    assert counted(0, "feed") == "0 feeds"
    assert counted(2, "source") == "2 sources"
    assert counted(1_200, "article") == "1,200 articles"
    assert counted(2, "entry", "entries") == "2 entries"
