"""Chapter 00 · Start here: one demo exercise to try the check / hint / solution machinery on.

* ``00.try-me`` (predict): which message does a queue hand out first?

It is deliberately easy, so that chapter 00 can show every outcome without spoiling a real exercise.

>>> from asyncomm import exercises
>>> exercises.get("00.try-me").check("cake").outcome.value
'incorrect'
"""

from __future__ import annotations

import textwrap
from typing import Any

from asyncomm.course.exercises._core import Exercise, register
from asyncomm.course.exercises.ch02 import _run

__all__ = ["TRY_ME_PROGRAM"]

TRY_ME_PROGRAM = textwrap.dedent("""\
    q = ac.MessageQueue()
    q.send("tea")
    q.send("cake")
    q.send("jam")
    first = q.receive()
""")


def _judge_try_me(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return "answer with the message as a string, in quotes, e.g. answer = 'milk'"
    expected = _run(TRY_ME_PROGRAM, "first")
    said = answer.strip().strip("'\"").lower()
    if said == expected:
        return None
    if said == "jam":
        return "that is the message sent last: does a queue serve the newest message first, or the oldest?"
    if said == "cake":
        return "a queue serves messages in the order they arrived: which one arrived before all the others?"
    return "that is not one of the messages sent: pick one of the three strings the program sends"


register(
    Exercise(
        id="00.try-me",
        title="Try me: who is served first?",
        kind="predict",
        prompt="After this program, what is `first`?\n\n" + TRY_ME_PROGRAM,
        judge=_judge_try_me,
        hints=[
            "Think of a line at a shop counter: who is served first?",
            "receive() takes the message that has waited longest: first in, first out (FIFO).",
        ],
        solution_text=textwrap.dedent("""\
        answer = 'tea'
        # A message queue is first in, first out: receive() takes the oldest message, the one sent first.
        # 'cake' and 'jam' are still queued, in that order."""),
        reference="tea",
        wrong_answers=["jam", "cake", "coffee", 1, ["tea"]],
    )
)
