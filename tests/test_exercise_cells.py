"""An exercise is bound to its cells by id: after *Run All*, any answer cell can be run again, in any order.

Cells used to share a global, ``ex = ac.exercises.get(...)``: after Run All it was the chapter's last exercise, so
going back to exercise 1 checked the right answer against another exercise ("❌ [02b.five-clicks] incorrect"), and
``progress`` recorded the outcome under the wrong id. Now every call names its exercise.

The cells are found by pattern, not by a list of notebooks (chapters get split and renamed): an *answer cell* is
a code cell whose last line is ``ac.check("<id>", <name>)``; the lines above it are the learner's part, shipped as a
placeholder (``...``, or a function whose body raises ``NotImplementedError``). Each exercise's worked solution
is code that defines ``<name>`` (``answer = ['c', 'd', 'f']``, or the fixed function), so it is the machine-usable
reference answer that replaces the learner's part.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import asyncomm as ac
from asyncomm.course.progress import progress

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECK_LINE = re.compile(r'^ac\.check\("(?P<id>[^"]+)", (?P<name>[A-Za-z_]\w*)\)$')
PLACEHOLDER = re.compile(r"= \.\.\.|raise NotImplementedError")
# What the cells must no longer do: share one exercise through a global set by another cell.
SHARED_GLOBAL = re.compile(r"\bex\s*=\s*ac\.exercises\.get\(|\bex\.(?:check|hint|solution|prompt)\b")
NAMED_CALL = re.compile(r'\bac\.(?:exercise|check|hint|solution)\((?P<quote>["\'])(?P<id>[^"\']+)(?P=quote)')


def answer_cells(nb) -> list[tuple[int, str, str]]:
    """(cell index, exercise id, checked name) of every answer cell of a notebook, in order."""
    found = []
    for index, cell in enumerate(nb.cells):
        lines = cell.source.rstrip().splitlines()
        if cell.cell_type == "code" and lines and (match := CHECK_LINE.match(lines[-1])):
            found.append((index, match["id"], match["name"]))
    return found


def with_reference(source: str, exercise_id: str) -> str:
    """The answer cell's code with its learner's part (every line above the check) replaced by the reference."""
    *learner, check = source.rstrip().splitlines()
    assert PLACEHOLDER.search("\n".join(learner)), f"{exercise_id}: the answer cell ships no placeholder"
    return f"{ac.exercises.get(exercise_id).solution().rstrip()}\n\n{check}"


def _text(cell) -> str:
    parts = []
    for output in cell.outputs:
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        parts.append("".join(text) if isinstance(text, list) else text)
    return "".join(parts)


READ = {path: nbformat.read(path, as_version=4) for path in NOTEBOOKS}
CHAPTERS = [path for path in NOTEBOOKS if answer_cells(READ[path])]
# The Chinese edition's chapters (same cells, same code but the language line): executed the same way.
CHINESE_CHAPTERS = [path.parent / "zh" / path.name for path in CHAPTERS]
#: What a check prints first in each edition (exercises.Result).
SAYS = {"en": {"⏳": "not attempted", "✅": "correct"}, "zh": {"⏳": "未作答", "✅": "正确"}}


# -- static: every cell names its exercise ----------------------------------------------------------------------------


def test_every_exercise_has_one_answer_cell_and_a_prompt_cell_above_it():
    seen: dict[str, str] = {}
    for path in NOTEBOOKS:
        nb = READ[path]
        for index, exercise_id, _ in answer_cells(nb):
            assert exercise_id not in seen, f"{exercise_id} has answer cells in {seen[exercise_id]} and {path.name}"
            seen[exercise_id] = path.name
            above = [cell.source for cell in nb.cells[:index] if cell.cell_type == "code"]
            assert any(f'ac.exercise("{exercise_id}")' in source for source in above), (
                f'{path.name}: no ac.exercise("{exercise_id}") cell above its answer cell'
            )
    assert sorted(seen) == [ex.id for ex in ac.exercises.all_exercises()]


def test_no_cell_shares_an_exercise_through_a_global_and_every_named_id_exists():
    ids = {ex.id for ex in ac.exercises.all_exercises()}
    for path in NOTEBOOKS:
        for cell in READ[path].cells:
            assert not SHARED_GLOBAL.search(cell.source), f"{path.name}: {cell.source[:80]!r} uses a shared `ex`"
            for match in NAMED_CALL.finditer(cell.source):
                assert match["id"] in ids or match["id"] == "NN.slug", f"{path.name}: no exercise {match['id']!r}"


def test_the_reference_replaces_the_learners_part_and_keeps_the_check():
    source = 'answer = ...   # your answer here\nac.check("02b.fifo-order", answer)'
    assert with_reference(source, "02b.fifo-order").splitlines()[0] == "answer = ['c', 'd', 'f']"
    assert with_reference(source, "02b.fifo-order").endswith('\n\nac.check("02b.fifo-order", answer)')


# -- executed: Run All, then every answer cell again, last one first ---------------------------------------------------


def run_all_then_each_answer_cell_in_reverse(path: Path, tmp_path: Path) -> None:
    """Run All on a fresh kernel, then every answer cell again with its reference answer, last one first, expecting
    ✅ each time; then ``progress`` over the saved notebook counts each exercise correct under its own id."""
    says = SAYS["zh" if path.parent.name == "zh" else "en"]
    nb = nbformat.read(path, as_version=4)
    cells = answer_cells(nb)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):  # Run All, as chapter 00 recommends
            client.execute_cell(cell, index)
        for index, exercise_id, _ in cells:
            assert _text(nb.cells[index]).startswith(f"⏳ [{exercise_id}] {says['⏳']}"), _text(nb.cells[index])
        for index, exercise_id, _ in reversed(cells):  # the learner goes back up the chapter
            cell = nb.cells[index]
            cell.source = with_reference(cell.source, exercise_id)
            client.execute_cell(cell, index)
            assert _text(cell).startswith(f"✅ [{exercise_id}] {says['✅']}"), (exercise_id, _text(cell))
    # What `python -m asyncomm progress` reads from the notebook saved now: every exercise correct, under its id.
    nbformat.write(nb, tmp_path / path.name)
    counted = {exercise_id for _, exercise_id, _ in cells if not exercise_id.startswith("00.")}
    outcomes = {row.exercise: (row.outcome, row.notebook) for row in progress(tmp_path) if row.exercise in counted}
    assert outcomes == dict.fromkeys(counted, ("correct", path.name))


# The Chinese edition's run is in test_exercise_cells_zh.py: a file of its own, so that xdist (--dist loadfile)
# gives the two editions' 24 chapter runs to two workers.
@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_after_run_all_each_answer_cell_reruns_correct_in_reverse_order(path, tmp_path):
    run_all_then_each_answer_cell_in_reverse(path, tmp_path)


EXERCISE_HEADING = re.compile(r"^#+ .*\b(?:Exercise|Your turn)\b", re.IGNORECASE)
EXERCISE_CALL = re.compile(r"\bac\.(?:exercise|check|hint|solution)\(")


def _exercise_runs(nb) -> list[list[str]]:
    """The exercises of a notebook grouped into runs with no teaching cell between them: a teaching cell is any
    cell that neither calls the exercise functions nor is an exercise's heading (or a heading-only note)."""
    runs: list[list[str]] = [[]]
    for cell in nb.cells:
        source = cell.source.strip()
        first_line = source.splitlines()[0] if source else ""
        is_exercise = bool(EXERCISE_CALL.search(source)) or (
            cell.cell_type == "markdown" and EXERCISE_HEADING.match(first_line) is not None and len(source) < 600
        )
        if not is_exercise:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1] += [m["id"] for m in NAMED_CALL.finditer(source) if "ac.exercise(" in source]
    return [sorted(set(run)) for run in runs if run]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_each_exercise_follows_its_concept_never_more_than_two_in_a_row(path):
    nb = nbformat.read(path, as_version=4)
    crowded = [run for run in _exercise_runs(nb) if len(run) > 2]
    assert not crowded, f"{path.name}: exercises with no lesson between them: {crowded}"


def test_three_exercises_with_no_lesson_between_them_are_one_crowded_run():
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell("## A concept"), v4.new_code_cell("x = 1")]
    for n in (1, 2, 3):
        cells += [
            v4.new_markdown_cell(f"### Exercise {n}"),
            v4.new_code_cell(f'ac.exercise("99.e{n}")'),
            v4.new_code_cell(f'answer = ...\nac.check("99.e{n}", answer)'),
        ]
    assert _exercise_runs(v4.new_notebook(cells=cells)) == [["99.e1", "99.e2", "99.e3"]]
    cells.insert(5, v4.new_markdown_cell("Another idea, taught between the first two exercises."))
    assert _exercise_runs(v4.new_notebook(cells=cells)) == [["99.e1"], ["99.e2", "99.e3"]]
