"""How far a learner got: every exercise's last outcome, read from the saved notebooks.

A learner's notebook already holds the answer to "where am I?": each
``ac.check("02b.fifo-order", answer)`` cell shows a line such as ``✅ [02b.fifo-order] correct: ...``.
:func:`progress` reads those lines from the ``.ipynb`` files of a course folder
(plain JSON: no kernel, nothing is run), and :func:`report` turns them into a
table. A teacher runs ``python -m asyncomm progress DIR`` over each learner's
folder; a learner runs it over their own.

Only what was *saved* counts: JupyterLab saves outputs with the notebook, so
a check run but not saved shows as it was at the last save.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncomm.course.exercises import all_exercises
from asyncomm.course.exercises._core import OUTCOME_BY_LABEL
from asyncomm.i18n import get_language

__all__ = ["OUTCOMES", "ExerciseProgress", "Unreadable", "progress", "report"]

#: What a row's ``outcome`` can be: the three of ``check`` and "not run" (no check output saved).
OUTCOMES = ("correct", "incorrect", "not attempted", "not run")

# The first line of a check's output: the symbol, the exercise id (a split chapter's carries its letter,
# 03a.worker), the outcome (see exercises.Result) in either language: "correct: ..." or "正确：...".
_RESULT = re.compile(
    rf"^(?:✅|❌|⏳) \[(\d\d[a-z]?\.[\w-]+)\] ({'|'.join(sorted(OUTCOME_BY_LABEL, key=len, reverse=True))})(?::|：)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class ExerciseProgress:
    """One exercise's state in a learner's folder.

    ``notebook`` is the file its last saved check came from (``""`` if none).

    >>> ExerciseProgress("02b.fifo-order", "Predict the FIFO order", "correct", "02b-three-patterns.ipynb").done
    True
    """

    exercise: str
    title: str
    outcome: str
    notebook: str = ""

    @property
    def done(self) -> bool:
        """Whether the exercise is solved."""
        return self.outcome == "correct"


class Unreadable(ValueError):
    """A notebook :func:`progress` could not read; the message names it and says why, on one line."""


def _kind(value: object) -> str:
    return f"a {type(value).__name__}"


def _field(mapping: dict[str, Any], key: str, want: type | tuple[type, ...], default: Any, where: str) -> Any:
    """``mapping[key]`` (``default`` if absent) if it is of the type a notebook has there, else Unreadable."""
    value = mapping.get(key, default)
    if value is not None and not isinstance(value, want):
        names = {list: "a list", dict: "an object", int: "a whole number", str: "a string"}
        wanted = " or ".join(names[t] for t in (want if isinstance(want, tuple) else (want,)))
        raise Unreadable(f"{where}{key!r} is {_kind(value)}, not {wanted}")
    return value


def _output_text(output: dict[str, Any], where: str) -> str:
    if output.get("output_type") == "stream":
        text = _field(output, "text", (str, list), "", where)
    else:
        data = _field(output, "data", dict, {}, where) or {}
        text = _field(data, "text/plain", (str, list), "", f"{where}'data': ")
    if isinstance(text, list):
        if not all(isinstance(line, str) for line in text):
            raise Unreadable(f"{where}its text is a list holding something other than strings")
        return "".join(text)
    return text or ""


def _saved_outcomes(path: Path) -> dict[str, tuple[int, int, str]]:
    """Exercise id -> (execution count, cell position, outcome) of its latest check in one notebook.

    Raises :class:`Unreadable` for a file that is not a notebook as JupyterLab saves it: the checks below
    are those of the fields this reads, so a hand-edited or half-written file is named, not a traceback.
    """
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise Unreadable(f"cannot read it ({err.strerror or err})") from None
    except ValueError as err:  # not JSON, or not UTF-8
        raise Unreadable(f"not JSON ({err})") from None
    if not isinstance(notebook, dict):
        raise Unreadable(f"it holds {_kind(notebook).replace('a list', 'a JSON list')}, not a notebook (a JSON object)")
    found: dict[str, tuple[int, int, str]] = {}
    for position, cell in enumerate(_field(notebook, "cells", list, [], "") or []):
        if not isinstance(cell, dict):
            raise Unreadable(f"cell {position} is {_kind(cell)}, not an object")
        if cell.get("cell_type") != "code":
            continue
        where = f"cell {position}: "
        count = _field(cell, "execution_count", int, 0, where) or 0
        for number, output in enumerate(_field(cell, "outputs", list, [], where) or []):
            if not isinstance(output, dict):
                raise Unreadable(f"{where}output {number} is {_kind(output)}, not an object")
            for exercise, label in _RESULT.findall(_output_text(output, f"{where}output {number}: ")):
                outcome = OUTCOME_BY_LABEL[label].value
                # The check run last wins: the highest execution count, then the later cell.
                if (count, position) >= found.get(exercise, (-1, -1, ""))[:2]:
                    found[exercise] = (count, position, outcome)
    return found


def progress(folder: str | Path, *, unreadable: list[str] | None = None) -> list[ExerciseProgress]:
    """Every exercise of chapters 01-08, in id order, with its last saved outcome in ``folder``.

    Chapter 00's warm-up is left out: its page checks a wrong answer on purpose, to show what one looks like.
    A notebook that cannot be read (not JSON, not shaped as a notebook) does not stop the others: with a
    list as ``unreadable``, one line per such notebook is appended to it (its name, why, what to do);
    without one, the first raises :class:`Unreadable` (a ``ValueError``).

    >>> import tempfile
    >>> from asyncomm.course.locator import copy_course
    >>> folder = tempfile.mkdtemp(); _ = copy_course(folder)
    >>> rows = progress(folder)                  # the shipped chapters: nothing attempted yet
    >>> sorted({row.outcome for row in rows}), rows[0].exercise
    (['not attempted'], '01.cpu-bound')
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no course folder {str(folder)!r}; make one with: python -m asyncomm lab {folder}")
    latest: dict[str, tuple[bool, int, int, str, str]] = {}
    for path in sorted(folder.glob("*.ipynb")):
        try:
            outcomes = _saved_outcomes(path)
        except Unreadable as err:
            problem = Unreadable(
                f"{path.name}: {err}; open it in JupyterLab and save it again, or move it out of the course folder"
            )
            if unreadable is None:
                raise problem from None
            unreadable.append(str(problem))
            continue
        for exercise, (count, position, outcome) in outcomes.items():
            # A check in the exercise's own chapter beats one elsewhere (say, a scratch notebook);
            # within a notebook, the one run last wins.
            candidate = (path.name[:2] == exercise[:2], count, position, outcome, path.name)
            if exercise not in latest or candidate[:3] > latest[exercise][:3]:
                latest[exercise] = candidate
    rows = []
    for ex in all_exercises():
        if ex.id.startswith("00."):
            continue
        _, _, _, outcome, notebook = latest.get(ex.id, (False, 0, 0, "not run", ""))
        rows.append(ExerciseProgress(ex.id, ex.name(), outcome, notebook))
    return rows


def report(rows: list[ExerciseProgress]) -> str:
    """A text table of ``rows`` with a summary line (what the ``progress`` command prints).

    >>> print(report([ExerciseProgress("02b.fifo-order", "Predict the FIFO order", "correct"),
    ...               ExerciseProgress("02b.listener-order", "Predict the listener call order", "not run")]))
    exercise            outcome        title
    02b.fifo-order       correct        Predict the FIFO order
    02b.listener-order   not run        Predict the listener call order
    <BLANKLINE>
    1 of 2 exercises correct; 0 incorrect, 0 not attempted, 1 not run
    """
    width = max([len("exercise"), *(len(row.exercise) for row in rows)]) + 3
    if get_language() == "zh":
        # Chinese labels are two columns wide in a terminal: pad by display width, not by characters.
        labels = {"correct": "正确", "incorrect": "不正确", "not attempted": "未作答", "not run": "未运行"}
        lines = [f"{'练习':<{width - 2}}{'结果':<11}标题"]
        for row in rows:
            label = labels[row.outcome]
            lines.append(f"{row.exercise:<{width}}{label:<{13 - len(label)}}{row.title}")
        counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in OUTCOMES}
        lines += [
            "",
            f"{len(rows)} 道练习中 {counts['correct']} 道正确；{counts['incorrect']} 道不正确，"
            f"{counts['not attempted']} 道未作答，{counts['not run']} 道未运行",
        ]
        return "\n".join(lines)
    lines = [f"{'exercise':<{width}}{'outcome':<15}title"]
    lines += [f"{row.exercise:<{width}}{row.outcome:<15}{row.title}" for row in rows]
    counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in OUTCOMES}
    lines += [
        "",
        f"{counts['correct']} of {len(rows)} exercises correct; {counts['incorrect']} incorrect, "
        f"{counts['not attempted']} not attempted, {counts['not run']} not run",
    ]
    return "\n".join(lines)
