"""Every figure of the course has alt text, in the language of its edition (issue 15, item 5).

A code cell whose saved outputs include an image carries myst-nb's cell option
``metadata.mystnb.image.alt``: when the website is built it becomes the ``alt`` of the cell's images, so a
screen reader says what the figure shows and what to notice. The text is prose, so it is English in
``notebooks/`` and Chinese in ``notebooks/zh/``, and ``editions.sync`` keeps the Chinese one when it copies
the English code over.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from asyncomm.course import editions
from asyncomm.course.locator import notebooks_dir

ENGLISH = notebooks_dir("en")
CHINESE = notebooks_dir("zh")
CHAPTERS = sorted(p.name for p in ENGLISH.glob("*.ipynb"))
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def image_cells(notebook: dict) -> list[dict]:
    """The code cells whose saved outputs include a PNG image."""
    return [
        cell
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and any("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
    ]


def alt_of(cell: dict) -> str | None:
    return cell["metadata"].get("mystnb", {}).get("image", {}).get("alt")


def test_the_course_has_figures_to_describe():
    """Guards the tests below against passing on nothing: the chapters show about twenty figures."""
    assert sum(len(image_cells(load(ENGLISH / name))) for name in CHAPTERS) >= 15
    assert sum(len(image_cells(load(CHINESE / name))) for name in CHAPTERS) >= 15


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_english_figure_has_english_alt_text(name):
    for cell in image_cells(load(ENGLISH / name)):
        alt = alt_of(cell)
        assert isinstance(alt, str), f"{name} cell {cell['id']}: an image without alt text (run /tmp/alt/add_alt.py)"
        assert len(alt) >= 40, f"{name} cell {cell['id']}: say what the figure shows and what to notice: {alt!r}"
        assert editions.cjk_share(alt) == 0.0, f"{name} cell {cell['id']}: the English alt text is not English"


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chinese_figure_has_chinese_alt_text(name):
    for cell in image_cells(load(CHINESE / name)):
        alt = alt_of(cell)
        assert isinstance(alt, str), f"zh/{name} cell {cell['id']}: an image without alt text"
        assert len(CJK.findall(alt)) >= 15, f"zh/{name} cell {cell['id']}: too short to describe a figure: {alt!r}"
        assert editions.cjk_share(alt) >= 0.8, f"zh/{name} cell {cell['id']}: the alt text is not Chinese: {alt!r}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_two_editions_describe_the_same_cells(name):
    """Same figures, same cells: the Chinese alt text is a translation, not another set of figures."""
    english = [(cell["id"], alt_of(cell) is not None) for cell in image_cells(load(ENGLISH / name))]
    chinese = [(cell["id"], alt_of(cell) is not None) for cell in image_cells(load(CHINESE / name))]
    assert chinese == english
    described = {
        edition: [c["id"] for c in load(folder / name)["cells"] if c["cell_type"] == "code" and alt_of(c)]
        for edition, folder in (("en", ENGLISH), ("zh", CHINESE))
    }
    assert described["zh"] == described["en"]


def test_sync_keeps_the_chinese_alt_text_and_flags_an_untranslated_one():
    """The maintainer's sync copies code cells (and their metadata) from English: the Chinese alt text stays."""
    name = next(name for name in CHAPTERS if image_cells(load(ENGLISH / name)))
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    notebook, todo = editions.sync(en, zh)
    assert todo == []
    assert [alt_of(c) for c in notebook["cells"] if c["cell_type"] == "code"] == [
        alt_of(c) for c in zh["cells"] if c["cell_type"] == "code"
    ]
    # A figure the Chinese edition has no alt text for yet arrives with the English one, flagged.
    position, cell = next((i, c) for i, c in enumerate(zh["cells"]) if alt_of(c))
    bare = copy.deepcopy(zh)
    del bare["cells"][position]["metadata"]["mystnb"]
    notebook, todo = editions.sync(en, bare)
    assert alt_of(notebook["cells"][position]) == alt_of(en["cells"][position])
    assert todo == [f"cell {position} ({cell['id']}): new alt text of a figure: translate it"]


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_chinese_alt_text_translates_the_current_english_one(name):
    """Like prose cells, a Chinese alt text carries the hash of the English alt it translates
    (``python tools/sync_editions.py --stamp NAME`` after updating it)."""
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    stale = [
        c["id"]
        for e, c in zip(en["cells"], zh["cells"], strict=True)
        if alt_of(c) and c["metadata"].get("asyncomm", {}).get("alt_en_sha") != editions.en_sha(alt_of(e))
    ]
    assert stale == []


def test_sync_flags_a_chinese_alt_text_whose_english_changed():
    name = next(name for name in CHAPTERS if image_cells(load(ENGLISH / name)))
    en, zh = load(ENGLISH / name), load(CHINESE / name)
    position, cell = next((i, c) for i, c in enumerate(en["cells"]) if alt_of(c))
    cell["metadata"]["mystnb"]["image"]["alt"] += " Notice the gap."
    notebook, todo = editions.sync(en, zh)
    assert alt_of(notebook["cells"][position]) == alt_of(zh["cells"][position])  # the Chinese text is kept
    assert todo == [f"cell {position} ({cell['id']}): the English alt text changed: update its translation"]
