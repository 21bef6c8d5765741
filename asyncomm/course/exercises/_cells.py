"""The four calls a chapter's exercise cells make. Each names its exercise, so cells run in any order.

A prompt cell shows the question, and the answer cell below it checks the answer::

    ac.exercise("02b.fifo-order")

    answer = ...   # your answer
    ac.check("02b.fifo-order", answer)

Stuck: ``ac.hint("02b.fifo-order", 1)``, then ``ac.solution("02b.fifo-order")``.

Why the id on every call: cells that shared a global ``ex = ac.exercises.get(...)`` broke after *Run All*
(``ex`` was then the chapter's last exercise, so going back to the first one checked the wrong exercise, showed
the wrong solution, and ``python -m asyncomm progress`` recorded the outcome under the wrong id).
"""

from __future__ import annotations

import sys
from typing import Any

from asyncomm.course.exercises._core import Exercise, Result, get, text_html

__all__ = ["check", "exercise", "hint", "solution"]


def _exercise(exercise_id: Any) -> Exercise:
    if not isinstance(exercise_id, str):
        raise TypeError(
            f"the first argument is the exercise's id, a string such as '02b.fifo-order', "
            f"got {exercise_id!r} ({type(exercise_id).__name__}); copy the id from the cell above"
        )
    return get(exercise_id)


def _show(text: str, kind: str) -> None:
    """Print ``text``; in a Jupyter kernel, show it with an HTML form as well.

    JupyterLab shows printed text in a ``<pre>`` styled ``word-break: break-all``, which cuts a question
    mid-word ("the m|essages"); the HTML form (:func:`~asyncomm.course.exercises._core.text_html`) keeps
    words whole and the lines as written. The plain text stays for terminals and ``progress``.
    """
    ipython = sys.modules.get("IPython")  # loaded only where a kernel or IPython runs: never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "kernel"):
        print(text)
        return
    from IPython.display import display  # a kernel is running, so IPython is loaded already

    display({"text/plain": text, "text/html": text_html(text, kind)}, raw=True)


def exercise(exercise_id: str) -> None:
    """Print the question of the exercise ``exercise_id`` (what a prompt cell runs).

    >>> exercise("00.try-me")
    After this program, what is `first`?
    <BLANKLINE>
    q = ac.MessageQueue()
    ...
    first = q.receive()
    <BLANKLINE>
    """
    _show(_exercise(exercise_id).question(), "question")


def check(exercise_id: str, answer: Any) -> Result:
    """Check ``answer`` to the exercise ``exercise_id``: one line, correct / incorrect with a hint / not attempted.

    >>> check("00.try-me", ...)
    ⏳ [00.try-me] not attempted: replace the ... placeholder with your answer, then run the cell again
    >>> check("00.try-me", "jam")
    ❌ [00.try-me] incorrect: that is the message sent last: does a queue serve the newest message first, or the oldest?
    """
    return _exercise(exercise_id).check(answer)


def hint(exercise_id: str, n: int = 1) -> None:
    """Print hint ``n`` (1, 2, ...) of the exercise ``exercise_id``; later hints say more.

    >>> hint("00.try-me", 1)
    Think of a line at a shop counter: who is served first?
    >>> hint("00.try-me", 3)
    exercise 00.try-me has 2 hints, and hint 2 was the last; the worked answer: ac.solution("00.try-me")
    """
    _show(_exercise(exercise_id).hint(n), "hint")


def solution(exercise_id: str) -> None:
    """Print the worked solution of the exercise ``exercise_id``: code to read, or to paste and run.

    >>> solution("00.try-me")
    answer = 'tea'
    ...
    """
    _show(_exercise(exercise_id).solution(), "solution")
