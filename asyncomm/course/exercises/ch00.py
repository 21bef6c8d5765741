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
from asyncomm.i18n import Text, tr

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
        return tr(
            "answer with the message as a string, in quotes, e.g. answer = 'milk'",
            "请用加了引号的字符串作答，例如 answer = 'milk'",
        )
    expected = _run(TRY_ME_PROGRAM, "first")
    said = answer.strip().strip("'\"").lower()
    if said == expected:
        return None
    if said == "jam":
        return tr(
            "that is the message sent last: does a queue serve the newest message first, or the oldest?",
            "这是最后发送的那条消息：队列先交出最新的消息，还是最早的消息？",
        )
    if said == "cake":
        return tr(
            "a queue serves messages in the order they arrived: which one arrived before all the others?",
            "队列按消息到达的先后顺序交出消息：哪一条比其他消息都先到？",
        )
    return tr(
        "that is not one of the messages sent: pick one of the three strings the program sends",
        "程序没有发送这条消息：请从它发送的三个字符串里选一个",
    )


register(
    Exercise(
        id="00.try-me",
        title=Text("Try me: who is served first?", "试一试：谁先被取出？"),
        kind="predict",
        prompt=Text("After this program, what is `first`?\n\n", "运行这段程序后，`first` 是什么？\n\n")
        + TRY_ME_PROGRAM,
        judge=_judge_try_me,
        hints=[
            Text(
                "Think of a line at a shop counter: who is served first?",
                "想想商店柜台前排的队：谁先被接待？",
            ),
            Text(
                "receive() takes the message that has waited longest: first in, first out (FIFO).",
                "receive() 取出等待时间最长的那条消息：先进先出（FIFO）。",
            ),
        ],
        solution_text=Text(
            textwrap.dedent("""\
            answer = 'tea'
            # A message queue is first in, first out: receive() takes the oldest message, the one sent first.
            # 'cake' and 'jam' are still queued, in that order."""),
            textwrap.dedent("""\
            answer = 'tea'
            # 消息队列是先进先出的：receive() 取出最早的消息，也就是最先发送的那条。
            # 'cake' 和 'jam' 仍在队列中，顺序不变。"""),
        ),
        reference="tea",
        wrong_answers=["jam", "cake", "coffee", 1, ["tea"]],
    )
)
