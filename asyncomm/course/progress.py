"""How far a learner got: every exercise's last outcome, read from the saved notebooks.

A learner's notebook already holds the answer to "where am I?": each
``ac.check("02.fifo-order", answer)`` cell shows a line such as ``✅ [02.fifo-order] correct: ...``.
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

from asyncomm.course.exercises import all_exercises

__all__ = ["OUTCOMES", "ExerciseProgress", "progress", "report"]

#: What a row's ``outcome`` can be: the three of ``check`` and "not run" (no check output saved).
OUTCOMES = ("correct", "incorrect", "not attempted", "not run")

# The first line of a check's output: the symbol, the exercise id, the outcome (see exercises.Result).
_RESULT = re.compile(r"^(?:✅|❌|⏳) \[(\d\d\.[\w-]+)\] (correct|incorrect|not attempted)\b", re.MULTILINE)


@dataclass(frozen=True)
class ExerciseProgress:
    """One exercise's state in a learner's folder.

    ``notebook`` is the file its last saved check came from (``""`` if none).

    >>> ExerciseProgress("02.fifo-order", "Predict the FIFO order", "correct", "02-core-concepts.ipynb").done
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


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _saved_outcomes(path: Path) -> dict[str, tuple[int, int, str]]:
    """Exercise id -> (execution count, cell position, outcome) of its latest check in one notebook."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"{path.name} is not a readable notebook ({err}); open it in JupyterLab and save it "
            f"again, or restore the shipped copy with: python -m asyncomm lab --overwrite"
        ) from None
    found: dict[str, tuple[int, int, str]] = {}
    for position, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count") or 0
        for output in cell.get("outputs", []):
            for exercise, outcome in _RESULT.findall(_output_text(output)):
                # The check run last wins: the highest execution count, then the later cell.
                if (count, position) >= found.get(exercise, (-1, -1, ""))[:2]:
                    found[exercise] = (count, position, outcome)
    return found


def progress(folder: str | Path) -> list[ExerciseProgress]:
    """Every exercise of chapters 01-08, in id order, with its last saved outcome in ``folder``.

    Chapter 00's warm-up is left out: its page checks a wrong answer on purpose, to show what one looks like.

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
        for exercise, (count, position, outcome) in _saved_outcomes(path).items():
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
        rows.append(ExerciseProgress(ex.id, ex.title, outcome, notebook))
    return rows


def report(rows: list[ExerciseProgress]) -> str:
    """A text table of ``rows`` with a summary line (what the ``progress`` command prints).

    >>> print(report([ExerciseProgress("02.fifo-order", "Predict the FIFO order", "correct"),
    ...               ExerciseProgress("02.listener-order", "Predict the listener call order", "not run")]))
    exercise            outcome        title
    02.fifo-order       correct        Predict the FIFO order
    02.listener-order   not run        Predict the listener call order
    <BLANKLINE>
    1 of 2 exercises correct; 0 incorrect, 0 not attempted, 1 not run
    """
    width = max([len("exercise"), *(len(row.exercise) for row in rows)]) + 3
    lines = [f"{'exercise':<{width}}{'outcome':<15}title"]
    lines += [f"{row.exercise:<{width}}{row.outcome:<15}{row.title}" for row in rows]
    counts = {outcome: sum(row.outcome == outcome for row in rows) for outcome in OUTCOMES}
    lines += [
        "",
        f"{counts['correct']} of {len(rows)} exercises correct; {counts['incorrect']} incorrect, "
        f"{counts['not attempted']} not attempted, {counts['not run']} not run",
    ]
    return "\n".join(lines)
