"""The shape of every lesson (issue 13 item 4): short notebooks, short prose cells, short code cells.

A learner reads a lesson in one sitting: at most 45 cells and 2,500 words of prose per notebook, no markdown
cell over 250 words, and no code cell longer than 30 lines (logic longer than that belongs in the library,
where it is tested). Words are counted as a reader meets them: Latin words and numbers, each CJK character
counted as a word would be too strict, so CJK runs count one word per two characters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

MAX_CELLS = 45
MAX_WORDS = 2500
MAX_CELL_WORDS = 250
MAX_CODE_LINES = 30

_LATIN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’_-]*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CODE_SPAN = re.compile(r"```.*?```", re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def prose_words(markdown: str) -> int:
    """Words of prose in a markdown cell: code blocks and link targets are not read as prose."""
    text = _LINK_TARGET.sub("]", _CODE_SPAN.sub(" ", markdown))
    return len(_LATIN_WORD.findall(text)) + (len(_CJK.findall(text)) + 1) // 2


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_prose_words_counts_words_not_code_or_links():
    assert prose_words("A queue [holds](https://example.org/a/b) messages.\n```python\nq = Queue()\n```") == 4
    assert prose_words("消息队列") == 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_lesson_is_short_enough_for_one_sitting(path):
    nb = cells(path)
    words = [prose_words("".join(c["source"])) for c in nb if c["cell_type"] == "markdown"]
    assert len(nb) <= MAX_CELLS, f"{path.name} has {len(nb)} cells (at most {MAX_CELLS}): split the lesson"
    assert sum(words) <= MAX_WORDS, f"{path.name} has {sum(words)} words of prose (at most {MAX_WORDS})"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_cell_is_a_wall_of_text_or_code(path):
    too_long = []
    for index, cell in enumerate(cells(path)):
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and prose_words(source) > MAX_CELL_WORDS:
            too_long.append(f"cell {index}: {prose_words(source)} words")
        if cell["cell_type"] == "code" and len(source.splitlines()) > MAX_CODE_LINES:
            too_long.append(f"cell {index}: {len(source.splitlines())} lines of code")
    assert not too_long, f"{path.name}: " + "; ".join(too_long)
