"""config.toml's `[highlight.<key>]`: labels, colours and descriptions of the four highlight
meanings; bad values named and replaced by their defaults; the table kept when the config is
saved; exports keep the stored key whatever the label."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketaread.config import (
    DEFAULT_MEANINGS,
    HIGHLIGHT_COLORS,
    load_config,
    save_config,
)
from ketaread.core.study import COLORS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_default_meanings_are_the_study_files_keys_in_order() -> None:
    assert tuple(m.key for m in DEFAULT_MEANINGS) == COLORS
    assert all(m.color in HIGHLIGHT_COLORS for m in DEFAULT_MEANINGS)


def test_labels_colours_and_descriptions_are_read_keys_stay(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            '[highlight.finding]\nlabel = "Result"\ncolor = "error"\n'
            '[highlight.question]\nlabel = "To ask"\ndescription = "bring it to the clinic"\n',
        )
    )
    assert config.warnings == []
    by_key = {m.key: m for m in config.highlights}
    assert [m.key for m in config.highlights] == list(COLORS)
    assert (by_key["finding"].label, by_key["finding"].color) == ("Result", "error")
    assert by_key["question"].label == "To ask"
    assert by_key["question"].color == "warning"  # not given: its default
    assert by_key["question"].description == "bring it to the clinic"
    assert by_key["method"] == DEFAULT_MEANINGS[1]
    assert config.meaning("finding").label == "Result"
    assert config.meaning("imported-other").label == "imported-other"


@pytest.mark.parametrize(
    ("text", "named", "key", "field"),
    [
        ('[highlight.method]\ncolor = "pink"\n', "highlight.method.color", "method", "color"),
        (
            '[highlight.method]\ncolor = "#ff0000"\n',
            "highlight.method.color",
            "method",
            "color",
        ),
        ('[highlight.finding]\nlabel = ""\n', "highlight.finding.label", "finding", "label"),
        ("[highlight.finding]\nlabel = 3\n", "highlight.finding.label", "finding", "label"),
        (
            f'[highlight.finding]\nlabel = "{"x" * 21}"\n',
            "highlight.finding.label",
            "finding",
            "label",
        ),
        ('[highlight]\nmethod = "blue"\n', "highlight.method", "method", "color"),
        ('highlight = "green"\n', "highlight must be tables", "finding", "label"),
        (
            '[highlight.method]\nlabel = "Finding"\n',
            "highlight.method.label",
            "method",
            "label",
        ),
    ],
)
def test_a_bad_value_is_named_and_its_default_used(
    tmp_path: Path, text: str, named: str, key: str, field: str
) -> None:
    """The reader still starts: one message naming the key, the default in its place."""
    config = load_config(write(tmp_path, text))
    assert len(config.warnings) == 1, config.warnings
    assert named in config.warnings[0] and "default" in config.warnings[0]
    expected = next(m for m in DEFAULT_MEANINGS if m.key == key)
    assert getattr(config.meaning(key), field) == getattr(expected, field)


def test_an_unknown_meaning_is_named_and_ignored(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[highlight.idea]\nlabel = "Idea"\n'))
    assert len(config.warnings) == 1 and "highlight.idea" in config.warnings[0]
    assert config.highlights == DEFAULT_MEANINGS


def test_markup_and_control_characters_in_a_label_stay_text(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[highlight.method]\nlabel = "[b]How\\u001b[2J"\n'))
    label = config.meaning("method").label
    assert "\x1b" not in label and label.startswith("[b]How")


def test_saving_the_config_keeps_the_highlight_table_as_written(tmp_path: Path) -> None:
    """`ketaread add` rewrites the config: the reader's labels (and a typo in them) stay."""
    path = write(
        tmp_path,
        '[highlight.finding]\nlabel = "Result"\ncolor = "pinkish"\n',
    )
    config = load_config(path)
    save_config(config)
    again = load_config(path)
    assert again.meaning("finding").label == "Result"
    assert 'color = "pinkish"' in path.read_text(encoding="utf-8")
    assert len(again.warnings) == 1


def test_exports_keep_the_stored_key_not_the_label(tmp_path: Path) -> None:
    """Labels are for the screen: the study file and every export say "method"."""
    from ketaread.core.study import StudyStore
    from ketaread.core.study.anchors import Anchor
    from ketaread.core.study.export import by_article, to_markdown, to_readwise_csv
    from ketaread.core.study.store import ArticleRef, dump_json

    load_config(write(tmp_path, '[highlight.method]\nlabel = "How they did it"\n'))
    study = StudyStore(tmp_path / "study.db")
    study.add_highlight(ArticleRef("k1", "T"), Anchor("Words here.", "", "", 0, 11), "method")
    assert "*method*" in to_markdown(by_article(study)[0])
    assert '"color": "method"' in dump_json(study)
    assert "How they did it" not in to_markdown(by_article(study)[0]) + to_readwise_csv(
        study.highlights()
    )
    study.close()
