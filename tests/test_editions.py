"""The two editions of the course, kept in step by these tests (rules in ``asyncomm/course/editions.py``).

For each chapter: both editions exist; the same cells in the same order (ids and types); the same code except
the one language line; every Chinese prose cell is Chinese and translates the *current* English text (its
stamp is the hash of the English cell). Both editions run under strict nbval (``pytest`` collects
``notebooks/`` and ``notebooks/zh/``); ``test_exercise_cells.py`` re-runs the exercises of both.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from asyncomm.course import editions
from asyncomm.course.locator import glossary, notebooks_dir

ENGLISH = notebooks_dir("en")
CHINESE = notebooks_dir("zh")
CHAPTERS = sorted(p.name for p in ENGLISH.glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def pairs():
    return [(load(ENGLISH / name), load(CHINESE / name)) for name in CHAPTERS]


def test_both_editions_have_the_same_chapters():
    assert len(CHAPTERS) >= 12
    assert sorted(p.name for p in CHINESE.glob("*.ipynb")) == CHAPTERS


@pytest.mark.parametrize("name", CHAPTERS)
def test_same_cells_in_the_same_order(name):
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    assert [(c["id"], c["cell_type"]) for c in zh["cells"]] == [(c["id"], c["cell_type"]) for c in en["cells"]]


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_code_is_the_same_but_for_the_language_line(name):
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    en_code = [editions.source_of(c) for c in en["cells"] if c["cell_type"] == "code"]
    zh_code = [editions.source_of(c) for c in zh["cells"] if c["cell_type"] == "code"]
    # The language line, once, in the first code cell of each edition, and nowhere else.
    assert editions.language_of_code(en_code[0]) == "en" and editions.language_of_code(zh_code[0]) == "zh"
    assert all(editions.language_of_code(code) is None for code in en_code[1:] + zh_code[1:])
    assert [editions.to_language(code, "en") for code in zh_code] == en_code
    # Tags decide what nbval checks: the same in both.
    assert [c["metadata"].get("tags") for c in zh["cells"]] == [c["metadata"].get("tags") for c in en["cells"]]


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_prose_cell_of_the_chinese_edition_is_chinese(name):
    zh = load(CHINESE / name)
    english_cells = [
        (position, round(editions.cjk_share(editions.source_of(c)), 2), editions.source_of(c)[:60])
        for position, c in enumerate(zh["cells"])
        if c["cell_type"] == "markdown" and editions.cjk_share(editions.source_of(c)) < 0.6
    ]
    assert english_cells == [], "cells still (mostly) in English: translate them"


# Chinese sentences use Chinese punctuation: a comma, colon, semicolon, question or exclamation mark in ASCII
# between two Chinese characters is a slip.
_ASCII_PUNCTUATION_IN_CHINESE = re.compile(
    r"[\u4e00-\u9fff][,;?!]\s*[\u4e00-\u9fff]|[\u4e00-\u9fff]:\s*[\u4e00-\u9fff]"
)


@pytest.mark.parametrize("name", CHAPTERS)
def test_chinese_prose_uses_chinese_punctuation(name):
    zh = load(CHINESE / name)
    slips = [
        (position, match.group())
        for position, c in enumerate(zh["cells"])
        if c["cell_type"] == "markdown"
        for match in _ASCII_PUNCTUATION_IN_CHINESE.finditer(editions.prose_of(editions.source_of(c)))
    ]
    assert slips == []


# A line break inside a Chinese sentence renders as a stray space in the browser (Chinese has no spaces
# between words, and Markdown turns a soft break into one): Chinese paragraphs are written on one line.
_SOFT_BREAK_IN_CHINESE = re.compile(r"[\u4e00-\u9fff，。；：、）”]\n[ ]*[\u4e00-\u9fff（“]")


@pytest.mark.parametrize("name", CHAPTERS)
def test_chinese_paragraphs_are_not_broken_inside_a_sentence(name):
    zh = load(CHINESE / name)
    breaks = [
        (position, match.group().replace("\n", "⏎"))
        for position, c in enumerate(zh["cells"])
        if c["cell_type"] == "markdown"
        for match in _SOFT_BREAK_IN_CHINESE.finditer(editions.source_of(c))
    ]
    assert breaks == [], "join these lines: a break between Chinese characters shows as a space"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_translation_follows_the_current_english_text(name):
    """Edit an English prose cell and this names the Chinese cell to update (then stamp it:
    ``python tools/sync_editions.py --stamp NAME``)."""
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    stale = [
        (position, c["id"])
        for position, (e, c) in enumerate(zip(en["cells"], zh["cells"], strict=True))
        if c["cell_type"] != "code"
        and c["metadata"].get("asyncomm", {}).get("en_sha") != editions.en_sha(editions.source_of(e))
    ]
    assert stale == [], "Chinese cells whose English text changed (or was never stamped)"


def test_sync_reports_nothing_to_do_on_the_committed_editions():
    """The tool a maintainer runs after editing an English chapter finds both editions in step."""
    for name, (en, zh) in zip(CHAPTERS, pairs(), strict=True):
        notebook, todo = editions.sync(en, zh)
        assert todo == [], name
        assert [editions.source_of(c) for c in notebook["cells"]] == [editions.source_of(c) for c in zh["cells"]]


def test_sync_brings_changed_code_over_and_flags_changed_prose():
    en, zh = load(ENGLISH / "00-start-here.ipynb"), load(CHINESE / "00-start-here.ipynb")
    code = next(i for i, c in enumerate(en["cells"]) if c["cell_type"] == "code" and i > 2)
    prose = next(i for i, c in enumerate(en["cells"]) if c["cell_type"] == "markdown")
    en["cells"][code]["source"] = "print('a new line of code')"
    en["cells"][prose]["source"] = editions.source_of(en["cells"][prose]) + "\nOne more English sentence."
    notebook, todo = editions.sync(en, zh)
    assert notebook["cells"][code]["source"] == "print('a new line of code')"
    assert notebook["cells"][code]["outputs"] == []
    assert notebook["cells"][prose]["source"] == zh["cells"][prose]["source"]  # the translation is kept ...
    assert todo == [
        f"cell {prose} ({en['cells'][prose]['id']}): the English text changed: update the translation",
        f"cell {code} ({en['cells'][code]['id']}): code changed: execute the chapter",
    ]  # ... and flagged, in cell order


def test_the_chinese_edition_uses_the_glossary_terms():
    """The standard terms the issue names, as the glossary spells them, are the ones the chapters use."""
    terms = {row["中文"] for row in glossary()}
    standard = [
        "消息队列",
        "事件驱动",
        "回调",
        "协程",
        "事件循环",
        "背压",
        "死信队列",
        "幂等",
        "可见性超时",
        "消费者组",
    ]
    text = "".join(editions.source_of(c) for _, zh in pairs() for c in zh["cells"] if c["cell_type"] == "markdown")
    for term in standard:
        assert any(term in t for t in terms), f"{term} is not in data/glossary.csv"
        assert term in text, f"the Chinese edition never uses {term}"
