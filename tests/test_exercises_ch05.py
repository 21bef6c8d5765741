"""Chapter 05a and 05b exercises: references agree with the simulation, the labs and hand derivations."""

from __future__ import annotations

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch05a import BURSTS, MAX_PRODUCER_WAIT, QUEUE_LENGTH_AT
from asyncomm.course.exercises.ch05b import GUARANTEES, IDEMPOTENT_SCENARIO, _redeliveries
from asyncomm.labs.faults import compare_guarantees, run_lab
from asyncomm.labs.queueing import MM1K, simulate_mm1k
from asyncomm.labs.simulate import (
    poisson_arrivals,
    random_service_times,
    regular_arrivals,
    simulate_pipeline,
)

IDS = [
    "05a.queue-length",
    "05a.utilisation",
    "05a.size-the-queue",
    "05a.send-or-shed",
    "05a.blocking-probability",
    "05b.acking-consumer",
    "05b.choose-guarantee",
    "05b.idempotent-consumer",
    "05b.fair-dispatch",
]


def test_queue_length_reference_matches_the_hand_count_and_the_simulation() -> None:
    # Sent by t = 10.25: t = 0, 0.5, ..., 10 -> 21. Taken: started at 0, 1.5, ..., 9 -> 7. Waiting: 14.
    assert QUEUE_LENGTH_AT == 10.25
    sent = len([k for k in range(100) if 0.5 * k <= QUEUE_LENGTH_AT])
    taken = len([k for k in range(100) if 1.5 * k <= QUEUE_LENGTH_AT])
    ex = ac.exercises.get("05a.queue-length")
    assert ex.reference == sent - taken
    assert simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(QUEUE_LENGTH_AT) == ex.reference


def test_queue_length_hints() -> None:
    ex = ac.exercises.get("05a.queue-length")
    assert ex.check(15).message.startswith("you counted the message the consumer is handling")
    assert ex.check(21).message.startswith("that is how many were sent")
    assert ex.check(True).message == "give a whole number of messages, e.g. answer = 7"
    # 13 leaves out the message sent at t = 10: the prompt asks at t = 10.25, when nothing happens, so no
    # convention about simultaneous events decides it
    assert ex.check(13).message == "count the message sent at t = 10 too: by t = 10.25 it is in the queue"
    assert "10.25" in ex.prompt and "not the one the consumer is handling" in ex.prompt


def test_utilisation_hints_and_a_learner_function() -> None:
    ex = ac.exercises.get("05a.utilisation")

    def utilisation(arrival_rate: float, service_time: float, consumers: int = 1) -> float:
        service_rate = consumers / service_time
        return arrival_rate / service_rate

    def not_written(arrival_rate: float, service_time: float, consumers: int = 1) -> float:
        raise NotImplementedError

    assert ex.check(utilisation).outcome is Outcome.CORRECT
    assert ex.check(not_written).outcome is Outcome.NOT_ATTEMPTED
    assert ex.check(lambda r, s, c=1: r / s / c).message.startswith("service_time is seconds per message")
    assert ex.check(lambda r, s, c=1: r * s).message.startswith("with more consumers")


def test_size_the_queue_reference_is_the_smallest_that_meets_both_goals() -> None:
    def ok(maxsize: int, policy: str) -> bool:
        s = simulate_pipeline(BURSTS, 1.0, maxsize=maxsize, policy=policy).summary()
        return s.dropped == 0 and s.max_producer_wait <= MAX_PRODUCER_WAIT

    ex = ac.exercises.get("05a.size-the-queue")
    maxsize, policy = ex.reference
    assert ok(maxsize, policy)
    assert not any(ok(m, p) for m in range(1, maxsize) for p in ("block", "drop"))
    # the hand derivation in the solution: with 'block', message 7 waits 7 - maxsize seconds
    assert simulate_pipeline(BURSTS, 1.0, maxsize=3, policy="block").summary().max_producer_wait == 4
    assert simulate_pipeline(BURSTS, 1.0, maxsize=6, policy="drop").summary().dropped == 2


def test_size_the_queue_prompt_names_the_quantity_the_judge_checks() -> None:
    # the goal is stated as max_producer_wait (accepted - wanted to send), which is what the judge compares
    ex = ac.exercises.get("05a.size-the-queue")
    assert "accepted more than 3 s after the producer wanted to send it (max_producer_wait" in ex.prompt
    run = simulate_pipeline(BURSTS, 1.0, maxsize=4, policy="block")
    assert max(m.enqueued - m.sent for m in run.messages) == run.summary().max_producer_wait == MAX_PRODUCER_WAIT


def test_size_the_queue_hints() -> None:
    ex = ac.exercises.get("05a.size-the-queue")
    assert ex.check((3, "block")).message == (
        "a message was accepted more than 3 s after the producer wanted to "
        "send it (max_producer_wait = 4 s): allow a longer queue"
    )
    assert ex.check((4, "drop")).message == (
        "6 of the 16 messages were dropped: that queue is too small for that policy"
    )
    assert ex.check((7, "drop")).message.startswith("no message is lost and the producer waits little enough")
    assert ex.check((4, "fifo")).message == "policy must be one of 'block', 'drop'"


def test_blocking_probability_reference_is_mm1k_with_k_maxsize_plus_one_and_what_a_real_queue_drops() -> None:
    ex = ac.exercises.get("05a.blocking-probability")
    assert ex.reference == pytest.approx(MM1K(1.0, 2.0, capacity=3).blocking_probability)
    assert ex.reference == pytest.approx(1 / 15)
    assert simulate_mm1k(1.0, 2.0, 3, customers=400_000, seed=1).blocking_fraction == pytest.approx(
        ex.reference, rel=0.05
    )
    # ... and a real AsyncMessageQueue(maxsize=2) with a consumer, on the virtual clock, drops about as many
    run = simulate_pipeline(
        poisson_arrivals(1.0, 20_000, seed=4), random_service_times(2.0, 20_000, seed=4), maxsize=2, policy="drop"
    )
    assert run.summary().dropped / 20_000 == pytest.approx(ex.reference, rel=0.1)
    assert ex.check(0.0667) and ex.check(0.067)


@pytest.mark.parametrize(
    ("answer", "hint"),
    [
        (1 / 7, "K counts every message in the system"),
        (1 / 16, "that is p(K) of an unbounded queue"),
        (1 / 8, "that is P(at least K inside)"),
        (6.67, "give a share between 0 and 1"),
        (0.2, "M/M/1/K: p(n) ="),
        (True, "answer with a number between 0 and 1"),
    ],
)
def test_blocking_probability_hints(answer: object, hint: str) -> None:
    assert ac.exercises.get("05a.blocking-probability").check(answer).message.startswith(hint)


def test_choose_guarantee_reference_matches_what_the_lab_shows() -> None:
    # at-most-once loses but never duplicates; at-least-once duplicates; + idempotent does neither
    rows = {row["guarantee"]: row for row in compare_guarantees("crashes")}
    assert set(rows) == set(GUARANTEES)
    assert rows["at-most-once"]["lost"] > 0 and rows["at-most-once"]["duplicated"] == 0
    assert rows["at-least-once"]["lost"] == 0 and rows["at-least-once"]["duplicated"] > 0
    both = rows["at-least-once + idempotent consumer"]
    assert both["lost"] == 0 and both["duplicated"] == 0
    ex = ac.exercises.get("05b.choose-guarantee")
    assert ex.reference == {"payment": "at-least-once + idempotent consumer", "metrics": "at-most-once"}


def test_choose_guarantee_hints() -> None:
    ex = ac.exercises.get("05b.choose-guarantee")
    best = "at-least-once + idempotent consumer"
    assert ex.check({"payment": "at-least-once", "metrics": "at-most-once"}).message.startswith(
        "payment: a consumer that pays and crashes before its ack"
    )
    assert ex.check({"payment": best, "metrics": best}).message.startswith("metrics: that works, but it is not")
    assert ex.check({"payment": best}).message == "answer with a dict of two entries: {'payment': ..., 'metrics': ...}"


def test_idempotent_consumer_check_replays_real_duplicates() -> None:
    # the lab's at-least-once run really redelivers messages whose first delivery was processed
    for seed in (0, 1):
        deliveries = _redeliveries(seed)
        run = run_lab(IDEMPOTENT_SCENARIO, delivery="at-least-once", seed=seed)
        assert len(deliveries) == len(run.effects) > len({d for d in deliveries}) == run.tally.sent
        assert run.tally.duplicated > 0


def test_idempotent_consumer_accepts_the_library_helper_and_the_solution() -> None:
    ex = ac.exercises.get("05b.idempotent-consumer")

    def with_the_library(handler):  # type: ignore[no-untyped-def]
        consumer = ac.IdempotentConsumer(handler)
        return lambda message_id, body: consumer((message_id, body))

    assert ex.check(with_the_library).outcome is Outcome.CORRECT
    namespace: dict = {}
    exec(ex.solution(), namespace)  # the whole text pastes: its prose is in comments
    assert ex.check(namespace["make_idempotent"]).outcome is Outcome.CORRECT
    # the wrapper the solution shows in its comment passes too
    wrapper = "\n".join(line.removeprefix("#     ") for line in ex.solution().splitlines() if line.startswith("#     "))
    assert wrapper.startswith("def make_idempotent(handler):")
    library: dict = {"ac": ac}
    exec(wrapper, library)
    assert ex.check(library["make_idempotent"]).outcome is Outcome.CORRECT

    def not_written(handler):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert ex.check(not_written).outcome is Outcome.NOT_ATTEMPTED


def test_idempotent_consumer_hints() -> None:
    ex = ac.exercises.get("05b.idempotent-consumer")
    messages = [ex.check(wrong).message for wrong in ex.wrong_answers]
    assert messages[0] == (
        "in the lab run (seed 0) 3 deliveries were redeliveries of messages already processed, "
        "and your consumer processed 3 of them again"
    )
    assert messages[1].startswith("messages 1 and 2 are two payments that happen to have the same body")
    assert messages[2].startswith("the handler failed the first time, so the redelivery must run it again")
    assert messages[3].startswith("when the handler raises, let the exception out")
    assert ex.check(lambda handler: "consume").message == (
        "make_idempotent(handler) must return a function consume(message_id, body)"
    )


def test_the_chapter_registers_exactly_these_exercises():
    assert sorted(ex.id for ex in ac.exercises.all_exercises() if ex.id.startswith("05")) == sorted(IDS)


# -- answers in any reasonable form; hints that name the mistake -----------------------------------------------------


def test_queue_length_accepts_a_float_that_is_a_whole_number() -> None:
    ex = ac.exercises.get("05a.queue-length")
    assert ex.check(21 - 7.0).outcome is Outcome.CORRECT
    assert ex.check(21.0).message.startswith("that is how many were sent")
    assert ex.check(14.5).message == "give a whole number of messages, e.g. answer = 7"


@pytest.mark.parametrize("answer", [[4, "block"], (4, "Block"), (4, " block "), (4.0, "'block'")])
def test_size_the_queue_accepts_a_list_case_spaces_and_a_whole_float(answer: object) -> None:
    assert ac.exercises.get("05a.size-the-queue").check(answer).outcome is Outcome.CORRECT


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (("block", 4), "the number comes first: answer = (maxsize, policy)"),
        ((4.5, "block"), "maxsize must be a whole number >= 0"),
        (("4", "block"), "maxsize must be a whole number >= 0"),
        ((4, "block", "drop"), "answer with a pair: (maxsize, policy), e.g. (10, 'drop')"),
        (
            [3, "Block"],
            "a message was accepted more than 3 s after the producer wanted to send it "
            "(max_producer_wait = 4 s): allow a longer queue",
        ),
    ],
)
def test_size_the_queue_wrong_forms(answer: object, expected: str) -> None:
    assert ac.exercises.get("05a.size-the-queue").check(answer).message == expected


def test_blocking_probability_accepts_any_real_number_within_two_percent() -> None:
    from fractions import Fraction

    from asyncomm.course.exercises.ch05a import BLOCKING_REL_TOL

    ex = ac.exercises.get("05a.blocking-probability")
    assert BLOCKING_REL_TOL == 0.02
    for answer in (Fraction(1, 15), 0.0667, 0.067, 0.066, 0.068):
        assert ex.check(answer).outcome is Outcome.CORRECT, answer
    close = (
        "close, but more than 2 % off: keep more digits through the calculation (round only the result, "
        "to 3 significant digits)"
    )
    assert ex.check(0.065).message == close
    assert ex.check(0.07).message == close
    assert ex.check("6.67%").message == (
        "give the share as a number between 0 and 1, not as a percentage string: 0.25 rather than '25%'"
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"payment": "At least once + idempotent consumer", "metrics": "At most once"},
        {"Payment": "at-least-once+idempotent consumer", "metrics": "AT-MOST-ONCE"},
        {"payment": "at least once + idempotent", "metrics": " 'at-most-once' "},
    ],
)
def test_choose_guarantee_ignores_case_and_hyphens_versus_spaces(answer: dict) -> None:
    assert ac.exercises.get("05b.choose-guarantee").check(answer).outcome is Outcome.CORRECT


def test_choose_guarantee_reads_wrong_choices_the_same_way() -> None:
    ex = ac.exercises.get("05b.choose-guarantee")
    assert ex.check({"Payment": "At least once", "Metrics": "at most once"}).message.startswith(
        "payment: a consumer that pays and crashes before its ack"
    )
    assert ex.check({"payment": "at-least-once + idempotent consumer", "metrics": None}).message == (
        "each choice must be one of: 'at-most-once', 'at-least-once', 'at-least-once + idempotent consumer'; got None"
    )


def test_idempotent_consumer_says_why_the_library_class_is_not_a_drop_in() -> None:
    assert ac.exercises.get("05b.idempotent-consumer").check(ac.IdempotentConsumer).message == (
        "ac.IdempotentConsumer is called with one (message_id, body) pair, not with two arguments, so it is not a "
        "drop-in for make_idempotent: return a function consume(message_id, body) that calls it with the pair"
    )


# -- 05a.send-or-shed -----------------------------------------------------------------------------------------------


def test_send_or_shed_reference_sheds_what_the_hand_derivation_says() -> None:
    from asyncomm.course.exercises.ch05a import SHED_MAXSIZE, SHED_PATIENCE, _reference_send_all, _shed_run

    shed, returned_at, accepted = _shed_run(_reference_send_all, SHED_MAXSIZE, SHED_PATIENCE)
    # 0-2 fit at t = 0; 3 waits 0.8 s and is shed; 4 fits at t = 1; 5 is shed at 1.8; 6 fits at 2; 7 shed at 2.8
    assert shed == [3, 5, 7] and accepted == [0, 1, 2, 4, 6] and returned_at == pytest.approx(2.8)
    assert "[3, 5, 7]" in ac.exercises.get("05a.send-or-shed").solution()


def test_send_or_shed_accepts_the_solution_and_wait_for() -> None:
    import asyncio

    ex = ac.exercises.get("05a.send-or-shed")
    namespace: dict = {"asyncio": asyncio}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["send_all"]).outcome is Outcome.CORRECT

    async def with_wait_for(queue, items, patience):  # type: ignore[no-untyped-def]
        shed = []
        for item in items:
            try:
                await asyncio.wait_for(queue.put(item), patience)
            except TimeoutError:
                shed.append(item)
        return shed

    assert ex.check(with_wait_for).outcome is Outcome.CORRECT

    async def not_written(queue, items, patience):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert ex.check(not_written).outcome is Outcome.NOT_ATTEMPTED


def test_send_or_shed_hints_name_each_mistake() -> None:
    ex = ac.exercises.get("05a.send-or-shed")
    messages = [ex.check(wrong).message for wrong in ex.wrong_answers]
    assert messages[0].startswith("you shed every item that found the queue full, at once")
    assert messages[1].startswith("patience is per item")
    assert messages[2].startswith("nothing was shed: your producer waited for room as long as it took (until t = 5 s)")
    assert messages[3] == "send_all must return the list of items it shed (dropped), got 3"
    assert messages[4] == "send_all must be an `async def` function taking (queue, items, patience)"

    import asyncio

    async def waits_for_ever(queue, items, patience):  # type: ignore[no-untyped-def]
        await asyncio.Event().wait()  # nobody sets it: nothing can happen any more
        return []

    assert ex.check(waits_for_ever).message.startswith("your send_all waited for something that never happens")

    async def sheds_and_keeps(queue, items, patience):  # type: ignore[no-untyped-def]
        for item in items:
            await queue.put(item)
        return [items[-1]]

    assert ex.check(sheds_and_keeps).message.startswith("every item must either go into the queue or be returned")
    assert asyncio  # the learner's notebook has asyncio imported; so does this test


# -- 05b.acking-consumer --------------------------------------------------------------------------------------------


def test_acking_consumer_reference_handles_each_good_message_once_and_dead_letters_the_poison() -> None:
    from asyncomm.course.exercises.ch05b import ACK_MAX_DELIVERIES, _acking_run, _reference_consume

    run = _acking_run(_reference_consume)
    assert run["error"] is None and run["in_flight"] == 0 and run["ready"] == 0
    assert sorted(run["done"]) == ["a", "b", "c", "d"]
    assert run["dead"] == {"poison": "max deliveries"}
    assert run["calls"].count("poison") == ACK_MAX_DELIVERIES and run["calls"].count("c") == 2


def test_acking_consumer_accepts_the_solution_and_a_receive_nowait_loop() -> None:
    ex = ac.exercises.get("05b.acking-consumer")
    namespace: dict = {}
    exec(ex.solution(), namespace)
    assert ex.check(namespace["consume"]).outcome is Outcome.CORRECT

    def nowait_loop(queue, handler):  # type: ignore[no-untyped-def]
        while True:
            try:
                delivery = queue.receive_nowait()
            except ac.QueueEmpty:
                return
            try:
                handler(delivery.message)
            except Exception:
                delivery.nack()
            else:
                delivery.ack()

    assert ex.check(nowait_loop).outcome is Outcome.CORRECT

    def not_written(queue, handler):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    assert ex.check(not_written).outcome is Outcome.NOT_ATTEMPTED


def test_acking_consumer_hints_name_each_mistake() -> None:
    ex = ac.exercises.get("05b.acking-consumer")
    messages = [ex.check(wrong).message for wrong in ex.wrong_answers]
    assert messages[0].startswith("'a' was acked before its handler ran")
    assert messages[1].startswith("the handler's error escaped from your consumer")
    assert messages[2].startswith("the handler of 'c' raised, and the message never came back")
    assert messages[3].startswith("'c' failed once and went straight to the dead letters")
    assert messages[4].startswith("'a' was handled 3 times and then dead-lettered")
    assert messages[5] == "pass your function itself to ac.check: consume, without quotes or parentheses"


# -- 05b.fair-dispatch ----------------------------------------------------------------------------------------------


def test_fair_dispatch_reference_is_what_the_lab_measures_and_the_hand_count() -> None:
    from asyncomm.course.exercises.ch05b import FAIR_MESSAGES, FAIR_TIMES
    from asyncomm.labs.messaging import fair_dispatch

    ex = ac.exercises.get("05b.fair-dispatch")
    runs = {p: fair_dispatch(FAIR_TIMES, FAIR_MESSAGES, prefetch=p) for p in (0, 1)}
    assert {p: run.total for p, run in runs.items()} == ex.reference == {0: 12, 1: 6}
    # the solution's counts: 4 and 4 round-robin; 6 and 2 with prefetch=1
    assert runs[0].counts() == {"fast": 4, "slow": 4} and runs[1].counts() == {"fast": 6, "slow": 2}
    assert ex.check({"0": 12.0, "1": 6}).outcome is Outcome.CORRECT


def test_fair_dispatch_hints() -> None:
    ex = ac.exercises.get("05b.fair-dispatch")
    assert ex.check({0: 6, 1: 12}).message.startswith("you swapped them")
    assert ex.check({0: 6, 1: 6}).message.startswith("prefetch=0: the broker deals the 8 messages out at once")
    assert ex.check({0: 12, 1: 8}).message.startswith("prefetch=1: a consumer gets its next message only after")
    assert ex.check((12, 6)).message.startswith("answer with a dict of two entries")


@pytest.mark.parametrize("exercise_id", IDS)
def test_chinese_edition_feedback_is_chinese(exercise_id: str) -> None:
    """Under ac.set_language("zh") every wrong answer gets Chinese feedback, not the English one."""
    ex = ac.exercises.get(exercise_id)
    english = [ex.check(wrong).message for wrong in ex.wrong_answers]
    ac.set_language("zh")
    try:
        for name in (ex.name(), ex.question(), ex.solution(), *(ex.hint(n + 1) for n in range(len(ex.hints)))):
            assert any("\u4e00" <= char <= "\u9fff" for char in name), name
        assert ex.check(ex.reference).outcome is Outcome.CORRECT
        for wrong, message in zip(ex.wrong_answers, english, strict=True):
            result = ex.check(wrong)
            assert result.outcome is Outcome.INCORRECT, (wrong, result)
            assert any("\u4e00" <= char <= "\u9fff" for char in result.message), (wrong, result.message)
            assert result.message != message, (wrong, result.message)
    finally:
        ac.set_language("en")
