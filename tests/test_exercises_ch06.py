"""Chapter 06 exercises beyond the generic checks: the hints point at the right property."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch06 import LATENCIES, _concurrent, _sequential, _total_time, busy


def message(exercise_id, answer):
    return ac.exercises.get(exercise_id).check(answer).message


def test_the_gather_experiment_itself():
    assert _total_time(_sequential) == 14.0
    assert _total_time(_concurrent) == 6.0
    assert max(LATENCIES) < _total_time(_concurrent) < sum(LATENCIES)


def test_gather_hints_name_the_mistake():
    assert message("06.gather-time", (12, 6)).startswith("sequential: you added the waiting times")
    assert message("06.gather-time", [14, 5]).startswith("concurrent: gather overlaps the waiting, but not the CPU")
    assert message("06.gather-time", (14, "6")) == "answer with two numbers: (sequential_seconds, concurrent_seconds)"
    assert ac.exercises.get("06.gather-time").check([14, 6.0]).outcome is Outcome.CORRECT


def test_choose_pattern_accepts_lists_aliases_and_string_keys():
    ex = ac.exercises.get("06.choose-pattern")
    assert ex.check(["Message Queue", "event bus", "callbacks"])
    assert ex.check({"1": "queue", "2": " Events ", "3": "callback"})
    assert ex.check("queue").message == 'answer with a dict {1: "queue" | "event" | "callback", 2: ..., 3: ...}'
    assert ex.check({"one": "queue"}).message == "the keys must be the scenario numbers 1, 2 and 3, got 'one'"


def test_choose_pattern_explains_each_wrong_scenario_by_its_property():
    text = message("06.choose-pattern", {1: "event", 2: "event", 3: "queue"})
    assert text.startswith("scenario 1: an event bus calls the listeners that are registered at trigger time")
    assert "; scenario 3: one result, for one caller, once" in text
    assert "scenario 2" not in text


def test_batch_fix_a_receiver_that_waits_for_a_full_batch_is_caught_by_the_deadlock():
    async def waits_when_more_than_one(q, k):
        batch = [await q.receive()]
        if not q.empty():
            while len(batch) < k:
                batch.append(await q.receive())
        return batch

    assert message("06.batch-fix", waits_when_more_than_one) == (
        "with 2 messages queued and k=5 your function waited for ever: take only what is already queued after "
        "the first message, never wait for a full batch"
    )


def test_batch_fix_catching_both_errors_is_also_right():
    async def catches_both(q, k):
        batch = [await q.receive()]
        while len(batch) < k:
            try:
                batch.append(q.receive_nowait())
            except (ac.QueueEmpty, ac.QueueClosed):
                break
        return batch

    assert ac.exercises.get("06.batch-fix").check(catches_both).outcome is Outcome.CORRECT


def test_batch_fix_prompt_shows_the_notebooks_buggy_code():
    prompt = ac.exercises.get("06.batch-fix").prompt
    assert "    async def receive_batch(q, k):" in prompt
    assert "except ac.QueueEmpty:" in prompt


def test_busy_needs_a_virtual_clock():
    with pytest.raises(
        ac.UsageError, match=re.escape("busy() models CPU work on a VirtualClock: call it inside clock.run(...)")
    ):
        busy(1)


@pytest.mark.parametrize(
    "answer",
    [
        {1: "queue", 2: "pub/sub", 3: "callback"},
        {1: "queue", 2: "PubSub", 3: "callback"},
        {1: "queue", 2: "Observer", 3: "callback"},
        {1: "MessageQueue", 2: "EventBus", 3: "CallbackRegistry"},
        ["'queue'", "publish/subscribe", "callback registry"],
    ],
)
def test_choose_pattern_accepts_the_other_names_of_each_pattern(answer):
    assert ac.exercises.get("06.choose-pattern").check(answer).outcome is Outcome.CORRECT


def test_choose_pattern_aliases_map_to_their_pattern_when_wrong_too():
    assert message("06.choose-pattern", {1: "pub/sub", 2: "event", 3: "callback"}).startswith(
        "scenario 1: an event bus calls the listeners that are registered at trigger time"
    )
    assert message("06.choose-pattern", {1: "queue", 2: "CallbackRegistry", 3: "callback"}).startswith(
        "scenario 2: a callback is one-to-one"
    )
    assert message("06.choose-pattern", {1: "queue", 2: "event", 3: "webhook"}) == (
        'scenario 3: \'webhook\' is not one of "queue", "event", "callback"'
    )


def test_gather_time_takes_any_real_numbers():
    from fractions import Fraction

    assert ac.exercises.get("06.gather-time").check((Fraction(14), Fraction(12, 2))).outcome is Outcome.CORRECT


def test_batch_fix_solution_ends_with_the_line_the_notebook_checks():
    ex = ac.exercises.get("06.batch-fix")
    assert ex.solution().rstrip().endswith("\n\nfixed = receive_batch")
    namespace = {"ac": ac}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["fixed"]).outcome is Outcome.CORRECT


def test_decide_reference_covers_every_situation_of_the_guide():
    from asyncomm.course.exercises.ch06 import DECISIONS, choose_pattern

    assert {needs: choose_pattern(set(needs)) for needs in DECISIONS} == DECISIONS
    assert set(DECISIONS.values()) == {"queue", "event", "event + queue", "callback"}


def test_decide_hints_name_the_property_that_was_missed():
    from asyncomm.course.exercises.ch06 import choose_pattern

    def forgets_absent_parties(needs):
        return "event" if "fan out" in needs else choose_pattern(needs)

    def workers_on_a_bus(needs):
        return "event" if needs == {"share work"} else choose_pattern(needs)

    assert message("06.decide", forgets_absent_parties).startswith("a bus keeps nothing")
    assert message("06.decide", workers_on_a_bus).startswith("every listener hears every trigger")
    assert message("06.decide", lambda needs: "broker") == (
        "for ['buffer'] your function returned 'broker'; return one of 'queue', 'event', 'event + queue', 'callback'"
    )
    assert message("06.decide", "queue") == 'pass your function itself: ac.check("06.decide", choose_pattern)'


def test_decide_accepts_other_names_of_each_pattern():
    from asyncomm.course.exercises.ch06 import choose_pattern

    names = {"queue": "Message Queue", "event": "pub/sub", "event + queue": "Event bus + a queue per party"}

    def other_names(needs):
        result = choose_pattern(needs)
        return names.get(result, result)

    assert ac.exercises.get("06.decide").check(other_names).outcome is Outcome.CORRECT


def test_decide_placeholder_is_not_attempted_and_solution_defines_the_checked_name():
    ex = ac.exercises.get("06.decide")

    def choose_pattern(needs):
        raise NotImplementedError

    assert ex.check(choose_pattern).outcome is Outcome.NOT_ATTEMPTED
    namespace = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["choose_pattern"]).outcome is Outcome.CORRECT


def test_the_chapter_registers_exactly_these_exercises():
    ids = sorted(ex.id for ex in ac.exercises.all_exercises() if ex.id.startswith("06."))
    assert ids == ["06.batch-fix", "06.choose-pattern", "06.decide", "06.gather-time"]


_CJK = re.compile(r"[\u4e00-\u9fff]")
IDS = ["06.batch-fix", "06.choose-pattern", "06.decide", "06.gather-time"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_in_chinese_every_wrong_answer_gets_chinese_feedback(exercise_id):
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    ac.set_language("zh")
    try:
        chinese = [ex.check(wrong).message for wrong in ex.wrong_answers]
        for text in (ex.name(), ex.question(), ex.solution(), *(ex.hint(n + 1) for n in range(len(ex.hints)))):
            assert _CJK.search(text), text
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
        namespace = {"ac": ac}
        exec(ex.solution(), namespace)  # the Chinese solution is the same code, with Chinese comments
        checked = {"06.batch-fix": "fixed", "06.decide": "choose_pattern"}.get(exercise_id, "answer")
        assert ex.check(namespace[checked]).outcome is Outcome.CORRECT
    finally:
        ac.set_language("en")
    for en, zh in zip(english, chinese, strict=True):
        assert _CJK.search(zh) and zh != en, (en, zh)


def test_in_chinese_the_prompts_keep_their_code():
    from asyncomm.course.exercises.ch06 import SCENARIOS, SCENARIOS_ZH

    assert set(SCENARIOS_ZH) == set(SCENARIOS)
    ac.set_language("zh")
    try:
        assert "    async def receive_batch(q, k):" in ac.exercises.get("06.batch-fix").prompt
        assert "latencies = [2, 5, 1, 4]" in ac.exercises.get("06.gather-time").prompt
        assert message("06.choose-pattern", {1: "event", 2: "event", 3: "queue"}).startswith("场景 1：")
    finally:
        ac.set_language("en")
