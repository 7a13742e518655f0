"""Sources with no title in the sidebar: labels that tell them apart in a narrow column."""

from ketaread.widgets.tag_sidebar import location_label


def test_untitled_feeds_show_host_and_file_not_the_scheme() -> None:
    """Found by a new user: two failing feeds both read "! http://127.0.0.1:8… 0"."""
    assert location_label("http://127.0.0.1:8799/feed.xml") == "127.0.0.1:8799/feed.xml"
    assert location_label("https://example.org/blog/2025/feed.xml") == "example.org/…/feed.xml"
    assert location_label("https://example.org/") == "example.org"
    assert location_label("/home/me/feeds/clinic.xml") == "clinic.xml"
