"""Every exercise of the course: its solution passes its own check, typical wrong answers are
rejected with a hint, and the shipped placeholder reads as "not attempted"."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome

EXERCISES = ac.exercises.all_exercises()
IDS = [ex.id for ex in EXERCISES]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=["en", "zh"])
def language(request):
    """Each test below runs in both editions' language (conftest puts English back afterwards)."""
    ac.set_language(request.param)
    return request.param


def test_enough_exercises_and_enough_of_them_written_code():
    """Issue 13's floor: at least 45 exercises, 15 of them writing or fixing code, 3 in every chapter 01-08."""
    assert len(EXERCISES) >= 45
    kinds = Counter(ex.kind for ex in EXERCISES)
    assert kinds["write"] + kinds["fix"] >= 15, kinds
    assert set(kinds) == {"predict", "write", "fix"}
    per_chapter = Counter(ex.id[:2] for ex in EXERCISES)  # a split chapter (03a, 03b) counts as its chapter
    for chapter in ("01", "02", "03", "04", "05", "06", "07", "08"):
        assert per_chapter[chapter] >= 3, f"chapter {chapter} has {per_chapter[chapter]} exercise(s)"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_reference_answer_is_correct(ex, language):
    result = ex.check(ex.reference)
    assert result.outcome is Outcome.CORRECT, result
    assert repr(result).startswith(f"✅ [{ex.id}] " + ("correct: " if language == "en" else "正确："))


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_wrong_answers_are_rejected_with_a_hint_that_hides_the_answer(ex, language):
    assert ex.wrong_answers, f"{ex.id} lists no typical wrong answer"
    for wrong in ex.wrong_answers:
        result = ex.check(wrong)
        assert result.outcome is Outcome.INCORRECT, (wrong, result)
        assert result.message
        if language == "zh":  # the hint a Chinese reader gets is Chinese
            assert CHINESE.search(result.message), (wrong, result)
        if (
            isinstance(ex.reference, (int, float, str))
            and not isinstance(ex.reference, bool)
            and len(str(ex.reference)) > 1
        ):
            assert str(ex.reference) not in result.message, f"{ex.id}'s hint gives the answer away"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_placeholder_is_not_attempted(ex, language):
    result = ex.check(...)
    assert result.outcome is Outcome.NOT_ATTEMPTED
    assert repr(result).startswith(f"⏳ [{ex.id}] " + ("not attempted: " if language == "en" else "未作答："))


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_every_text_a_learner_reads_is_written_in_both_languages(ex):
    """Title, question, each hint, the solution and the praise: English and Chinese, each in its own."""
    for field in ("title", "prompt", "solution_text", "praise"):
        value = getattr(ex, field)
        assert isinstance(value, ac.i18n.Text), f"{ex.id}.{field} is only in one language"
        assert CHINESE.search(value.zh), f"{ex.id}.{field} has no Chinese"
    for number, hint in enumerate(ex.hints, start=1):
        assert isinstance(hint, ac.i18n.Text) and CHINESE.search(hint.zh), f"{ex.id} hint {number}"
    ac.set_language("zh")
    assert CHINESE.search(ex.name()) and CHINESE.search(ex.question()) and CHINESE.search(ex.hint(1))
    assert ex.hint(len(ex.hints) + 1).startswith(f"练习 {ex.id} 共有 {len(ex.hints)} 条提示")


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_hints_and_solution(ex):
    assert ex.hint(1)
    assert ex.solution().strip()
    count = len(ex.hints)
    hints = f"{count} hint" if count == 1 else f"{count} hints"
    # One hint too many is a question, not a mistake: one line that points on, no traceback.
    last = f'exercise {ex.id} has {hints}, and hint {count} was the last; the worked answer: ac.solution("{ex.id}")'
    assert ex.hint(count + 1) == ex.hint(count + 5) == last
    with pytest.raises(ValueError, match=re.escape(f"hint number must be an int >= 1 (exercise {ex.id} has {hints})")):
        ex.hint(0)
    wrong_type = f"hint number must be an int (exercise {ex.id} has {hints}), got '1' (str)"
    with pytest.raises(TypeError, match=re.escape(wrong_type)):
        ex.hint("1")


def test_a_function_that_still_raises_not_implemented_is_not_attempted():
    ex = ac.exercises.Exercise(
        "99.x",
        "t",
        "write",
        "p",
        judge=lambda fn: None if fn(2) == 4 else "no",
        hints=["h"],
        solution_text="s",
        reference=lambda n: n * 2,
    )

    def placeholder(n):
        raise NotImplementedError

    assert ex.check(placeholder).outcome is Outcome.NOT_ATTEMPTED
    assert repr(ex.check(lambda n: 1 / 0)) == (
        "❌ [99.x] incorrect: your code raised ZeroDivisionError: division by zero"
    )


def test_unknown_exercise_id_lists_the_ids():
    with pytest.raises(ValueError, match=re.escape("no exercise 'nope'; the ids are: ")):
        ac.exercises.get("nope")


# -- answers in any reasonable form, and errors inside exception groups ----------------------------------------------


def test_answer_readers_accept_reasonable_forms_and_refuse_the_rest():
    from fractions import Fraction

    from asyncomm.course.exercises._core import as_list, clean_text, real_number, whole_number

    assert clean_text(" 'Later  1S' ") == clean_text('"later 1s"') == "later 1s"
    assert [whole_number(x) for x in (15, 15.0, 6 * 5 / 2, 14.5, True, "15", float("inf"))] == [
        15,
        15,
        15,
        None,
        None,
        None,
        None,
    ]
    assert [real_number(x) for x in (Fraction(1, 15), 2, 0.5, False, "0.5", float("nan"))] == [
        1 / 15,
        2.0,
        0.5,
        None,
        None,
        None,
    ]
    assert as_list(("a", "b")) == as_list(["a", "b"]) == ["a", "b"]
    assert as_list("a b") is None and as_list({"a"}) is None


def _takes_nothing():
    return None


def test_an_exception_group_from_learner_code_shows_the_first_error_inside_it():
    def trigger_with_a_failing_listener(_answer):
        bus = ac.EventBus()
        bus.register("done", _takes_nothing)
        bus.trigger("done", msg="a")  # the listener takes no keyword: TriggerFailed wraps the TypeError

    ex = ac.exercises.Exercise(
        "99.g", "t", "write", "p", judge=trigger_with_a_failing_listener, hints=["h"], solution_text="s", reference=None
    )
    assert ex.check(print).message == (
        "your code raised TriggerFailed: 1 of 1 listener for event 'done' raised (1 sub-exception); "
        "the first inside it: TypeError: _takes_nothing() got an unexpected keyword argument 'msg'"
    )

    def nested(_answer):
        raise ExceptionGroup("outer", [ExceptionGroup("inner", [KeyError("k")]), ValueError("v")])

    nested_ex = ac.exercises.Exercise(
        "99.n", "t", "write", "p", judge=nested, hints=["h"], solution_text="s", reference=None
    )
    assert nested_ex.check(print).message == (
        "your code raised ExceptionGroup: outer (2 sub-exceptions); the first inside it: KeyError: 'k'"
    )


# -- worked solutions paste into the notebook's own cell -----------------------------------------------------------


def _checked_names() -> dict[str, str]:
    """For each exercise, the name its notebook's answer cell passes to ac.check (answer, fixed, total_time, ...)."""
    import json
    from pathlib import Path

    names: dict[str, str] = {}
    for path in sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                for exercise_id, name in re.findall(r'^ac\.check\("([^"]+)", (\w+)\)', source, re.MULTILINE):
                    names.setdefault(exercise_id, name)
    return names


CHECKED_NAMES = _checked_names()


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_the_solution_pasted_into_a_cell_defines_what_the_notebook_checks_and_passes(ex, language):
    import asyncio

    name = CHECKED_NAMES[ex.id]
    if ex.kind == "predict":
        assert name == "answer"
        assert ex.solution().startswith("answer = "), "a predict solution opens with its pasteable answer"
    namespace = {"ac": ac, "asyncio": asyncio}
    exec(ex.solution(), namespace)  # prose is in # comments: the whole text runs
    assert ex.check(namespace[name]).outcome is Outcome.CORRECT


# -- the calls a notebook cell makes: each names its exercise ---------------------------------------------------------


def test_the_cell_calls_name_their_exercise_and_print_what_a_learner_reads(capsys):
    ac.exercise("02b.fifo-order")
    assert capsys.readouterr().out == ac.exercises.get("02b.fifo-order").question() + "\n"
    assert repr(ac.check("02b.fifo-order", ["c", "d", "f"])) == "✅ [02b.fifo-order] correct: well done!"
    assert repr(ac.check("02b.five-clicks", ["c", "d", "f"])).startswith("❌ [02b.five-clicks] incorrect: ")
    ac.hint("02b.fifo-order")
    ac.hint("02b.fifo-order", 3)
    ac.solution("02b.fifo-order")
    assert capsys.readouterr().out == (
        f"{ac.exercises.get('02b.fifo-order').hints[0]}\n"
        "exercise 02b.fifo-order has 2 hints, and hint 2 was the last; "
        'the worked answer: ac.solution("02b.fifo-order")\n'
        f"{ac.exercises.get('02b.fifo-order').solution()}\n"
    )


@pytest.mark.parametrize("call", [ac.exercise, ac.hint, ac.solution, lambda wrong: ac.check(wrong, "02b.fifo-order")])
def test_an_id_that_is_not_a_string_says_what_the_first_argument_is(call):
    message = (
        "the first argument is the exercise's id, a string such as '02b.fifo-order', got ['c', 'd'] (list); "
        "copy the id from the cell above"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        call(["c", "d"])
    with pytest.raises(ValueError, match=re.escape("no exercise '2.fifo-order'; the ids are: 00.try-me, ")):
        ac.check("2.fifo-order", ...)


def test_the_cell_calls_load_the_exercises_on_first_use_only():
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, asyncomm as ac; before = 'asyncomm.course.exercises' in sys.modules; "
        "ac.check; print(json.dumps([before, 'asyncomm.course.exercises' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [False, True]


HEX_OUTSIDE_VAR = re.compile(r"(?<!, )#[0-9a-fA-F]{3,8}\b")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_feedback_in_jupyterlab_wraps_at_word_boundaries_and_says_the_outcome_in_words(language):
    ac.set_language(language)
    try:
        wrong = ac.check("00.try-me", "jam")
        long_token = ac.course.exercises.Result("99.demo", Outcome.INCORRECT, "x" * 300 + " <locals> & more")
        right, pending = ac.check("00.try-me", "tea"), ac.check("00.try-me", ...)
    finally:
        ac.set_language("en")
    page = wrong._repr_html_()
    style = re.search(r'style="([^"]*)"', page).group(1)
    declarations = dict(d.split(":", 1) for d in style.split(";") if d)
    # JupyterLab's <pre> for plain output says word-break: break-all; the feedback's own box undoes it.
    assert declarations["word-break"] == "normal" and declarations["white-space"] == "pre-wrap"
    assert declarations["overflow-wrap"] == "break-word"  # only a token longer than the line is broken
    assert "break-all" not in page and "anywhere" not in page
    assert not HEX_OUTSIDE_VAR.search(style), "colours come from JupyterLab's theme variables"
    assert "var(--jp-error-color1" in style and "var(--jp-success-color1" in right._repr_html_()
    assert "var(--jp-warn-color1" in pending._repr_html_()
    # The words say the outcome (not the colour alone), and the line is the one `progress` reads as text.
    assert ("❌ [00.try-me] incorrect: " if language == "en" else "❌ [00.try-me] 不正确：") in page
    assert page.endswith(f"{html.escape(repr(wrong))}</div>")
    assert "&lt;locals&gt; &amp; more" in long_token._repr_html_()


def test_in_a_kernel_questions_hints_and_solutions_come_with_html_that_keeps_words_whole():
    """Run in a real kernel, as JupyterLab does: printed text would land in its break-all <pre>."""
    import nbformat
    from nbclient import NotebookClient

    cells = [
        'import asyncomm as ac\nac.exercise("05a.queue-length")',
        'ac.hint("00.try-me", 1)',
        'ac.solution("00.try-me")',
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    kinds = ["question", "hint", "solution"]
    texts = [
        ac.exercises.get("05a.queue-length").question(),
        *(
            get_text()
            for get_text in (
                lambda: ac.exercises.get("00.try-me").hint(1),
                lambda: ac.exercises.get("00.try-me").solution(),
            )
        ),
    ]
    for cell, kind, text in zip(notebook.cells, kinds, texts, strict=True):
        (output,) = cell.outputs
        assert output.output_type == "display_data"
        assert output.data["text/plain"] == text  # what a terminal shows, and what `progress` reads
        page = output.data["text/html"]
        assert page.startswith(f'<div class="ac-exercise-{kind}" style="white-space:pre-wrap;word-break:normal;')
        assert "overflow-wrap:break-word" in page and "break-all" not in page
        assert page.endswith(f">{html.escape(text)}</div>")
