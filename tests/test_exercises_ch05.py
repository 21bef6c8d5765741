"""Chapter 05 exercises: references agree with the simulation and with hand derivations."""

from __future__ import annotations

import pytest

import asyncomm as ac
from asyncomm.exercises import Outcome
from asyncomm.exercises.ch05 import BURSTS, MAX_PRODUCER_WAIT
from asyncomm.simulate import regular_arrivals, simulate_pipeline

IDS = ["05.queue-length", "05.utilisation", "05.size-the-queue"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_placeholder_and_wrong_answers(exercise_id: str) -> None:
    ex = ac.exercises.get(exercise_id)
    assert ex.check(ex.reference).outcome is Outcome.CORRECT
    assert ex.check(...).outcome is Outcome.NOT_ATTEMPTED
    assert ex.wrong_answers
    for wrong in ex.wrong_answers:
        assert ex.check(wrong).outcome is Outcome.INCORRECT, wrong


def test_queue_length_reference_matches_the_hand_count_and_the_simulation() -> None:
    # Sent by t = 10: t = 0, 0.5, ..., 10 -> 21. Taken: started at 0, 1.5, ..., 9 -> 7. Waiting: 14.
    sent = len([k for k in range(100) if 0.5 * k <= 10])
    taken = len([k for k in range(100) if 1.5 * k <= 10])
    ex = ac.exercises.get("05.queue-length")
    assert ex.reference == sent - taken
    assert simulate_pipeline(regular_arrivals(0.5, 41), 1.5).length_at(10) == ex.reference


def test_queue_length_hints() -> None:
    ex = ac.exercises.get("05.queue-length")
    assert ex.check(15).message.startswith("you counted the message the consumer is handling")
    assert ex.check(21).message.startswith("that is how many were sent")
    assert ex.check(True).message == "give a whole number of messages, e.g. answer = 7"


def test_utilisation_hints_and_a_learner_function() -> None:
    ex = ac.exercises.get("05.utilisation")

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

    ex = ac.exercises.get("05.size-the-queue")
    maxsize, policy = ex.reference
    assert ok(maxsize, policy)
    assert not any(ok(m, p) for m in range(1, maxsize) for p in ("block", "drop"))
    # the hand derivation in the solution: with 'block', message 7 waits 7 - maxsize seconds
    assert simulate_pipeline(BURSTS, 1.0, maxsize=3, policy="block").summary().max_producer_wait == 4
    assert simulate_pipeline(BURSTS, 1.0, maxsize=6, policy="drop").summary().dropped == 2


def test_size_the_queue_hints() -> None:
    ex = ac.exercises.get("05.size-the-queue")
    assert ex.check((3, "block")).message.startswith("the producer had to wait longer than 3 s")
    assert ex.check((4, "drop")).message == ("6 of the 16 messages were dropped: that queue is too small for "
                                             "that policy")
    assert ex.check((7, "drop")).message.startswith("no message is lost and the producer waits little enough")
    assert ex.check((4, "fifo")).message == "policy must be one of 'block', 'drop'"
