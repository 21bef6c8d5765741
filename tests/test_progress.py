"""Progress read from saved notebooks: what a learner (or their teacher) sees with `python -m asyncomm progress`."""

from __future__ import annotations

import json
import re

import pytest

import asyncomm as ac
from asyncomm.__main__ import main
from asyncomm.course.progress import Unreadable, progress, report


@pytest.fixture
def course(tmp_path):
    ac.course.copy_course(tmp_path)
    return tmp_path


def _check_cells(path, exercise):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        c
        for c in nb["cells"]
        if c["cell_type"] == "code"
        and any(f"[{exercise}]" in "".join(o.get("data", {}).get("text/plain", "")) for o in c["outputs"])
    ]
    return nb, cells


def _answer(path, exercise, answer, *, count=None):
    """Do what a learner does: answer in the exercise's check cell, run it, save the notebook."""
    nb, [cell] = _check_cells(path, exercise)
    ex = ac.exercises.get(exercise)
    result = ex.check(answer)
    cell["outputs"] = [
        {
            "output_type": "execute_result",
            "execution_count": count,
            "metadata": {},
            "data": {"text/plain": repr(result)},
        }
    ]
    cell["execution_count"] = count
    path.write_text(json.dumps(nb), encoding="utf-8")
    return result


def _counted():
    return len([ex for ex in ac.exercises.all_exercises() if not ex.id.startswith("00.")])


def _outcomes(folder):
    return {row.exercise: row.outcome for row in progress(folder)}


def test_a_fresh_course_has_every_exercise_but_the_warm_up_not_attempted(course):
    rows = progress(course)
    assert [row.exercise for row in rows] == [ex.id for ex in ac.exercises.all_exercises() if ex.id[:2] != "00"]
    assert {row.outcome for row in rows} == {"not attempted"}
    assert {row.notebook[:2] for row in rows} == {f"0{n}" for n in range(1, 9)}


def test_saved_answers_show_up_and_the_check_run_last_wins(course):
    chapter = course / "02b-three-patterns.ipynb"
    ex = ac.exercises.get("02b.fifo-order")
    _answer(chapter, "02b.fifo-order", ex.reference, count=40)
    assert _outcomes(course)["02b.fifo-order"] == "correct"
    _answer(chapter, "02b.fifo-order", ex.wrong_answers[0], count=41)  # tried again, got it wrong
    assert _outcomes(course)["02b.fifo-order"] == "incorrect"


def test_a_check_elsewhere_counts_only_when_the_chapter_has_none(course):
    chapter = course / "05a-bottlenecks-and-backpressure.ipynb"
    nb, cells = _check_cells(chapter, "05a.queue-length")
    nb["cells"].remove(cells[0])  # the learner deleted the check cell
    chapter.write_text(json.dumps(nb), encoding="utf-8")
    assert _outcomes(course)["05a.queue-length"] == "not run"

    ex = ac.exercises.get("05a.queue-length")
    scratch = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {},
                "source": "ex.check(...)",
                "outputs": [
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": repr(ex.check(ex.reference))},
                    }
                ],
            }
        ]
    }
    (course / "my-scratch.ipynb").write_text(json.dumps(scratch), encoding="utf-8")
    [row] = [row for row in progress(course) if row.exercise == "05a.queue-length"]
    assert (row.outcome, row.notebook, row.done) == ("correct", "my-scratch.ipynb", True)


def test_report_counts_each_outcome(course):
    _answer(course / "01-background.ipynb", "01.cpu-bound", ac.exercises.get("01.cpu-bound").reference, count=9)
    text = report(progress(course))
    assert re.search(r"^01\.cpu-bound +correct +Predict: tasks that compute$", text, re.MULTILINE)
    n = _counted()
    assert text.splitlines()[-1] == f"1 of {n} exercises correct; 0 incorrect, {n - 1} not attempted, 0 not run"


def test_a_broken_notebook_or_a_missing_folder_says_what_to_do(course, tmp_path):
    (course / "03b-queueing-models.ipynb").write_text("{not json", encoding="utf-8")
    what_to_do = "; open it in JupyterLab and save it again, or move it out of the course folder"
    with pytest.raises(ValueError, match=re.escape("03b-queueing-models.ipynb: not JSON (Expecting ")) as err:
        progress(course)
    assert str(err.value).endswith(what_to_do) and isinstance(err.value, Unreadable)
    unreadable: list[str] = []
    rows = progress(course, unreadable=unreadable)  # with a list, the others are still read
    assert [line.split(":")[0] for line in unreadable] == ["03b-queueing-models.ipynb"]
    assert {row.outcome for row in rows if row.exercise.startswith("03b.")} == {"not run"}
    assert {row.outcome for row in rows if not row.exercise.startswith("03b.")} == {"not attempted"}
    with pytest.raises(FileNotFoundError, match=re.escape("; make one with: python -m asyncomm lab")):
        progress(tmp_path / "nowhere")


def test_the_progress_command_prints_the_report(course, capsys):
    assert main(["progress", str(course)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Course folder: {course.resolve()}\n")
    n = _counted()
    assert out.rstrip().endswith(f"0 of {n} exercises correct; 0 incorrect, {n} not attempted, 0 not run")
    assert main(["progress", str(course / "nowhere")]) == 1
    assert capsys.readouterr().err.startswith("error: no course folder ")
