"""The exercise machinery: one object per exercise with ``check``, ``hint`` and ``solution``.

Three outcomes, never more:

* **correct**;
* **incorrect**, with a specific hint that does not give the expected value away;
* **not attempted**: the learner's cell still holds the placeholder - ``...`` for
  a value, or a function whose body is ``raise NotImplementedError``.

A chapter module (``ch01.py`` ...) builds its exercises with :class:`Exercise`
and ``register``s them; a notebook's cells name the exercise they are about on every call
(``ac.check("02b.fifo-order", answer)``, see ``_cells.py``), and code fetches one with ``get(id)``.
"""

from __future__ import annotations

import enum
import html
import math
import numbers
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from asyncomm._checks import check_int, plural
from asyncomm.i18n import Text, get_language, tr

__all__ = ["Exercise", "Outcome", "Result", "all_exercises", "get", "register"]


class Outcome(enum.Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"

    @property
    def label(self) -> str:
        """The outcome as a learner reads it, in the course's language (``progress`` reads both)."""
        return tr(self.value, _CHINESE_LABEL[self])


_SYMBOL = {Outcome.CORRECT: "✅", Outcome.INCORRECT: "❌", Outcome.NOT_ATTEMPTED: "⏳"}
#: The outcomes in the Chinese edition; ``progress`` maps them back (``OUTCOME_BY_LABEL``).
_CHINESE_LABEL = {Outcome.CORRECT: "正确", Outcome.INCORRECT: "不正确", Outcome.NOT_ATTEMPTED: "未作答"}
OUTCOME_BY_LABEL = {
    **{outcome.value: outcome for outcome in Outcome},
    **{label: outcome for outcome, label in _CHINESE_LABEL.items()},
}

_RESULT_STYLE = (
    "white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;word-wrap:break-word;"
    "font-family:var(--jp-code-font-family, monospace);font-size:var(--jp-code-font-size, 13px);"
    "color:var(--jp-content-font-color1, rgba(0, 0, 0, 0.87));padding:0.1em 0.5em;"
)
#: Theme colours of JupyterLab (light-theme values as fallbacks outside it).
_RESULT_COLOUR = {
    Outcome.CORRECT: "var(--jp-success-color1, #388e3c)",
    Outcome.INCORRECT: "var(--jp-error-color1, #d32f2f)",
    Outcome.NOT_ATTEMPTED: "var(--jp-warn-color1, #f57c00)",
}

#: A text the course shows: a plain string, or a :class:`~asyncomm.i18n.Text` in both languages.
Shown = str | Text


@dataclass(frozen=True)
class Result:
    """What ``check`` returns; it shows itself as one line in a notebook, and is true only when correct.

    >>> result = Result("02b.fifo-order", Outcome.INCORRECT, "the first message sent is the first received")
    >>> result, bool(result)
    (❌ [02b.fifo-order] incorrect: the first message sent is the first received, False)
    """

    exercise: str
    outcome: Outcome
    message: str
    language: str = field(default_factory=get_language)  # the language the message was written in

    def __bool__(self) -> bool:
        return self.outcome is Outcome.CORRECT

    def __repr__(self) -> str:
        label = tr(self.outcome.value, _CHINESE_LABEL[self.outcome]) if self.language == get_language() else None
        if label is None:  # shown after a switch of language: keep the result as it was written
            label = self.outcome.value if self.language == "en" else _CHINESE_LABEL[self.outcome]
        colon = "：" if self.language == "zh" else ": "
        return f"{_SYMBOL[self.outcome]} [{self.exercise}] {label}{colon}{self.message}"

    def _repr_html_(self) -> str:
        """The same line for JupyterLab, wrapped at word boundaries.

        JupyterLab shows plain output in a ``<pre>`` styled ``word-break: break-all``, which cuts feedback
        mid-word ("recei|ved"). Here words stay whole (``word-break: normal``; Chinese still breaks between
        characters, as it should); ``overflow-wrap: break-word`` breaks only a token longer than the line
        (a long identifier). The text says the outcome (symbol and word); the border colour only repeats it.
        The styles are inline: JupyterLab keeps these properties even in a notebook it does not trust.
        """
        return result_html(self.outcome, repr(self))


def result_html(outcome: Outcome, line: str) -> str:
    """A result's ``line`` (its repr) as the HTML :meth:`Result._repr_html_` shows."""
    return (
        f'<div class="ac-result ac-result-{outcome.name.lower().replace("_", "-")}" role="status" '
        f'style="{_RESULT_STYLE}border-left:3px solid {_RESULT_COLOUR[outcome]}">{html.escape(line)}</div>'
    )


def text_html(text: str, kind: str) -> str:
    """A question, hint or solution (``kind``) as HTML that keeps its lines and wraps long ones between words.

    >>> text_html("a <b>", "hint").endswith('">a &lt;b&gt;</div>')
    True
    """
    return f'<div class="ac-exercise-{kind}" style="{_RESULT_STYLE}">{html.escape(text)}</div>'


def is_placeholder(answer: Any) -> bool:
    """``...`` is the placeholder every exercise cell ships with."""
    return answer is Ellipsis


# -- reading answers in any reasonable form ------------------------------------------------------------------------
# A correct answer counts whatever its form: a tuple where a list was asked, 15.0 for 15, 'Tea ' for 'tea'.


def clean_text(text: str) -> str:
    """A learner's string as the checks compare it: no surrounding spaces or quotes, lower case, single spaces.

    >>> clean_text("  'Later  1s' "), clean_text('"TEA"')
    ('later 1s', 'tea')
    """
    return " ".join(text.strip().strip("'\"").split()).lower()


def whole_number(answer: Any) -> int | None:
    """``answer`` as an ``int`` if it is a whole number (an int, or a float such as ``6 * 5 / 2``), else None.

    >>> whole_number(15), whole_number(15.0), whole_number(14.5), whole_number(True), whole_number("15")
    (15, 15, None, None, None)
    """
    if isinstance(answer, bool):
        return None
    if isinstance(answer, numbers.Integral):
        return int(answer)
    if isinstance(answer, numbers.Real) and math.isfinite(answer) and float(answer).is_integer():
        return int(float(answer))
    return None


def real_number(answer: Any) -> float | None:
    """``answer`` as a ``float`` if it is a finite real number (int, float, Fraction, numpy scalar), else None.

    >>> from fractions import Fraction
    >>> real_number(Fraction(1, 4)), real_number(2), real_number(float("nan")), real_number(True), real_number("1")
    (0.25, 2.0, None, None, None)
    """
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    value = float(answer)
    return value if math.isfinite(value) else None


def as_list(answer: Any) -> list[Any] | None:
    """A list or a tuple as a list (the order is the answer); anything else gives None.

    >>> as_list(("c", "d")), as_list(["c"]), as_list("c d"), as_list({"c"})
    (['c', 'd'], ['c'], None, None)
    """
    return list(answer) if isinstance(answer, (list, tuple)) else None


def as_notebook_code(source: str, names: Iterable[str]) -> str:
    """``source`` as a learner types it in a chapter, where the library is ``ac`` (``import asyncomm as ac``):
    each of ``names`` becomes ``ac.name``.

    The chapter modules import each name they use from the module that defines it (no module of the
    package imports the ``asyncomm`` package itself: that would tie every layer to all of them), but the
    code they *show* as a prompt or a solution must run when pasted into a notebook.

    >>> names = ["AsyncMessageQueue", "QueueEmpty"]
    >>> as_notebook_code("except QueueEmpty: q = AsyncMessageQueue(); q.QueueEmpty", names)
    'except ac.QueueEmpty: q = ac.AsyncMessageQueue(); q.QueueEmpty'
    """
    qualified = re.compile(rf"(?<![\w.])({'|'.join(map(re.escape, names))})\b")  # not part of a longer name
    return qualified.sub(r"ac.\1", source)


def _first_leaf(group: BaseExceptionGroup) -> BaseException:  # type: ignore[type-arg]
    inner = group.exceptions[0]
    return _first_leaf(inner) if isinstance(inner, BaseExceptionGroup) else inner


def describe_error(exc: BaseException) -> str:
    """How a check reports an exception from the learner's code; a group (``ac.TriggerFailed``...) shows
    the first error inside it too, where the mistake is.

    >>> describe_error(ZeroDivisionError("division by zero"))
    'ZeroDivisionError: division by zero'
    >>> describe_error(ExceptionGroup("2 listeners raised", [KeyError("x"), ValueError("y")]))
    "ExceptionGroup: 2 listeners raised (2 sub-exceptions); the first inside it: KeyError: 'x'"
    """
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        inner = _first_leaf(exc)
        text += f"; the first inside it: {type(inner).__name__}: {inner}"
    return text


@dataclass
class Exercise:
    """One exercise.

    ``judge(answer)`` returns ``None`` when the answer is right, or a hint
    saying *what* is wrong without giving the expected value away. It may run
    learner code; a ``NotImplementedError`` from it means "not attempted",
    any other exception is reported as a mistake in the learner's code.
    ``reference`` is a correct answer and ``wrong_answers`` typical mistakes:
    the test-suite checks that the first passes and the others fail.

    >>> ex = Exercise("99.demo", "Add", "predict", "What is 2 + 2?",
    ...               judge=lambda a: None if a == 4 else "count again",
    ...               hints=["two and two"], solution_text="4", reference=4, wrong_answers=[5])
    >>> ex.check(...)
    ⏳ [99.demo] not attempted: replace the ... placeholder with your answer, then run the cell again
    >>> ex.check(5)
    ❌ [99.demo] incorrect: count again
    >>> ex.check(4)
    ✅ [99.demo] correct: well done!
    """

    id: str
    title: Shown
    kind: str  # "predict", "write" or "fix"
    prompt: Shown
    judge: Callable[[Any], Shown | None]
    hints: list[Shown]
    solution_text: Shown
    reference: Any
    wrong_answers: list[Any] = field(default_factory=list)
    praise: Shown = field(default_factory=lambda: Text("well done!", "做得好！"))

    def __post_init__(self) -> None:
        if self.kind not in ("predict", "write", "fix"):
            raise ValueError(f"kind must be 'predict', 'write' or 'fix', got {self.kind!r}")
        if not self.hints:
            raise ValueError(f"exercise {self.id} needs at least one hint")

    def check(self, answer: Any) -> Result:
        """Judge ``answer`` and say so in one line."""
        if is_placeholder(answer):
            return self._result(
                Outcome.NOT_ATTEMPTED,
                tr(
                    "replace the ... placeholder with your answer, then run the cell again",
                    "把占位符 ... 换成你的答案，然后再运行这个单元格",
                ),
            )
        try:
            problem = self.judge(answer)
        except NotImplementedError:
            return self._result(
                Outcome.NOT_ATTEMPTED,
                tr(
                    "your function still raises NotImplementedError: write its body, then run again",
                    "你的函数仍然抛出 NotImplementedError：写好函数体，再运行一次",
                ),
            )
        except Exception as exc:  # the learner's code failed: that is a mistake to report, not a crash
            error = describe_error(exc)
            return self._result(Outcome.INCORRECT, tr(f"your code raised {error}", f"你的代码抛出了 {error}"))
        if problem is None:
            return self._result(Outcome.CORRECT, self.praise)
        return self._result(Outcome.INCORRECT, problem)

    def hint(self, n: int = 1) -> str:
        """The ``n``-th hint (1-based); later hints say more. Past the last one, a line that says so.

        >>> get("00.try-me").hint(3)
        'exercise 00.try-me has 2 hints, and hint 2 was the last; the worked answer: ac.solution("00.try-me")'
        """
        count = len(self.hints)
        n = check_int(n, "hint number", minimum=1, meaning=f" (exercise {self.id} has {plural(count, 'hint')})")
        if n > count:
            # A learner asking for one more hint is not an error: a traceback would bury the way forward.
            return tr(
                f"exercise {self.id} has {plural(count, 'hint')}, and hint {count} was the last; "
                f'the worked answer: ac.solution("{self.id}")',
                f'练习 {self.id} 共有 {count} 条提示，第 {count} 条已是最后一条；完整解答：ac.solution("{self.id}")',
            )
        return str(self.hints[n - 1])

    def solution(self) -> str:
        """The worked solution, as text to read (or paste and run)."""
        return str(self.solution_text)

    def question(self) -> str:
        """The prompt, in the course's language."""
        return str(self.prompt)

    def name(self) -> str:
        """The title, in the course's language."""
        return str(self.title)

    def _result(self, outcome: Outcome, message: Shown) -> Result:
        return Result(self.id, outcome, str(message))

    def __repr__(self) -> str:
        return f"<Exercise {self.id} ({self.kind}): {self.title}>"


_REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the course (each chapter module calls this at import); ids must be unique.

    >>> register(get("02b.fifo-order"))
    Traceback (most recent call last):
    ...
    ValueError: exercise id '02b.fifo-order' is used twice
    """
    if exercise.id in _REGISTRY:
        raise ValueError(f"exercise id {exercise.id!r} is used twice")
    _REGISTRY[exercise.id] = exercise
    return exercise


def get(exercise_id: str) -> Exercise:
    """The exercise with this id; a wrong id lists the right ones.

    >>> get("02b.fifo-order").check(...)
    ⏳ [02b.fifo-order] not attempted: replace the ... placeholder with your answer, then run the cell again
    """
    from asyncomm.course.exercises import _load_all

    _load_all()
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        raise ValueError(f"no exercise {exercise_id!r}; the ids are: {', '.join(sorted(_REGISTRY))}") from None


def all_exercises() -> list[Exercise]:
    """Every exercise of the course, sorted by id: chapter by chapter (what a teacher prints to see them all).

    >>> sorted({ex.id.split(".")[0] for ex in all_exercises()})[-3:]
    ['06', '07', '08']
    """
    from asyncomm.course.exercises import _load_all

    _load_all()
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]
