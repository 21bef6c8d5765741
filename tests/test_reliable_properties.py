"""Property tests of the delivery guarantees.

First, the ReliableQueue against a small model of its rules (random sends,
receives by several consumers, acks, nacks, time passing, consumers declared
dead): every message is always in exactly one place, and the queue's answers,
errors included, are the model's. Then the promises of the issue, on random
fault-lab runs:

* at-least-once loses no message, whatever the crash schedule;
* at-least-once with an idempotent consumer processes each message exactly once;
* a poison message is dead-lettered after exactly ``max_deliveries`` attempts;
* at-most-once loses exactly the messages whose consumer crashed before processing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import asyncomm as ac
from asyncomm.labs.faults import CRASH_POINTS, run_lab
from asyncomm.reliable import DeadLetter, Delivery, PrefetchLimitReached, ReliableQueue, StaleDelivery

CONSUMERS = st.sampled_from(["c1", "c2", "c3"])
VISIBILITY = 5.0


class ReliableQueueModel(RuleBasedStateMachine):
    """The at-least-once queue against a model written from its documented rules."""

    @initialize(max_deliveries=st.sampled_from([None, 1, 2, 3]), prefetch=st.integers(0, 3))
    def start(self, max_deliveries: int | None, prefetch: int) -> None:
        self.clock = ac.VirtualClock()
        self.queue = ReliableQueue(
            visibility_timeout=VISIBILITY, max_deliveries=max_deliveries, prefetch=prefetch, clock=self.clock
        )
        self.max_deliveries, self.prefetch = max_deliveries, prefetch
        self.next_id = 1
        self.ready: list[int] = []  # ids, in delivery order
        self.leases: dict[int, tuple[str, int, float]] = {}  # id -> (consumer, delivery count, deadline)
        self.count: Counter[int] = Counter()
        self.acked: set[int] = set()
        self.dead: list[DeadLetter] = []
        self.deliveries: list[Delivery] = []  # every delivery handed out, settled or not

    # -- the model's rules ----------------------------------------------------------------------
    def put_back(self, id: int) -> None:
        if self.max_deliveries is not None and self.count[id] >= self.max_deliveries:
            self.dead.append(DeadLetter(id, f"m{id}", "max deliveries", self.count[id]))
        else:
            self.ready = sorted([*self.ready, id])

    def expire(self) -> None:
        now = self.clock.now()
        for id, _ in sorted(
            ((id, lease) for id, lease in self.leases.items() if lease[2] <= now),
            key=lambda item: (item[1][2], item[0]),
        ):
            del self.leases[id]
            self.put_back(id)

    def held(self, consumer: str) -> int:
        return sum(lease[0] == consumer for lease in self.leases.values())

    # -- rules ----------------------------------------------------------------------------------
    @rule()
    def send(self) -> None:
        assert self.queue.send(f"m{self.next_id}") == self.next_id
        self.ready.append(self.next_id)
        self.next_id += 1

    @rule(consumer=CONSUMERS)
    def receive(self, consumer: str) -> None:
        self.expire()
        if 0 < self.prefetch <= self.held(consumer):
            with pytest.raises(PrefetchLimitReached):
                self.queue.receive_nowait(consumer=consumer)
            return
        if not self.ready:
            with pytest.raises(ac.QueueEmpty):
                self.queue.receive_nowait(consumer=consumer)
            return
        d = self.queue.receive_nowait(consumer=consumer)
        id = self.ready.pop(0)
        self.count[id] += 1
        assert (d.id, d.message, d.delivery_count, d.redelivered) == (id, f"m{id}", self.count[id], self.count[id] > 1)
        self.leases[id] = (consumer, self.count[id], self.clock.now() + VISIBILITY)
        self.deliveries.append(d)

    @rule(data=st.data(), verb=st.sampled_from(["ack", "nack", "reject"]))
    def settle(self, data: st.DataObject, verb: str) -> None:
        if not self.deliveries:
            return
        d = data.draw(st.sampled_from(self.deliveries))
        self.expire()
        current = self.leases.get(d.id)
        if current is None or current[:2] != (d.consumer, d.delivery_count):
            with pytest.raises(StaleDelivery):
                d.ack() if verb == "ack" else d.nack(requeue=verb == "nack")
            return
        del self.leases[d.id]
        if verb == "ack":
            d.ack()
            self.acked.add(d.id)
        elif verb == "nack":
            d.nack()
            self.put_back(d.id)
        else:
            d.nack(requeue=False)
            self.dead.append(DeadLetter(d.id, f"m{d.id}", "rejected", self.count[d.id]))

    @rule(seconds=st.sampled_from([0.5, 1.0, 2.5, 5.0]))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(consumer=CONSUMERS)
    def consumer_dies(self, consumer: str) -> None:
        self.expire()
        ids = sorted(id for id, lease in self.leases.items() if lease[0] == consumer)
        assert self.queue.consumer_died(consumer) == len(ids)
        for id in ids:
            del self.leases[id]
            self.put_back(id)

    # -- invariants -----------------------------------------------------------------------------
    @invariant()
    def agrees_with_the_model(self) -> None:
        self.expire()
        assert self.queue.snapshot() == [f"m{id}" for id in self.ready]
        assert self.queue.in_flight() == len(self.leases)
        assert self.queue.dead_letters() == self.dead

    @invariant()
    def every_message_is_in_exactly_one_place(self) -> None:
        places = [*self.ready, *self.leases, *self.acked, *(row.id for row in self.dead)]
        assert sorted(places) == list(range(1, self.next_id))  # at-least-once: nothing disappears

    @invariant()
    def dead_letters_follow_the_rules(self) -> None:
        for row in self.queue.dead_letters():
            assert row.reason == "rejected" or row.deliveries == self.max_deliveries


ReliableQueueModel.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
TestReliableQueueModel = ReliableQueueModel.TestCase


# -- the fault lab ------------------------------------------------------------------------------------------
@st.composite
def crash_schedules(draw: st.DrawFn, *, points: tuple[str, ...] = CRASH_POINTS) -> dict[str, Any]:
    """Random lab settings with random crashes: rate, point, and an explicit list."""
    messages = draw(st.integers(1, 15))
    numbers = st.integers(1, messages)
    keys = draw(st.integers(0, 3))
    return {
        "messages": messages,
        "burst": draw(st.integers(1, 4)),
        "interval": draw(st.sampled_from([0.25, 1.0])),
        "consumers": draw(st.integers(1, 3)),
        "jitter": draw(st.sampled_from([0.0, 0.5])),
        "keys": keys,
        "partitioned": keys > 0 and draw(st.booleans()),
        "crash_rate": draw(st.sampled_from([0.0, 0.1, 0.3, 0.5])),
        "crash_point": draw(st.sampled_from(points)),
        "crash_on": draw(st.dictionaries(numbers, st.sampled_from(points), max_size=4)),
        "heartbeat_timeout": draw(st.sampled_from([None, 0.5, 3.0])),
        "slow_rate": draw(st.sampled_from([0.0, 0.2])),
        "slow_factor": draw(st.sampled_from([2.0, 30.0])),
        "seed": draw(st.integers(0, 10_000)),
    }


@settings(max_examples=100, deadline=None)
@given(lab=crash_schedules(), max_deliveries=st.integers(1, 6))
def test_at_least_once_loses_no_message(lab: dict[str, Any], max_deliveries: int) -> None:
    run = run_lab(delivery="at-least-once", max_deliveries=max_deliveries, **lab)
    assert run.tally.lost == 0 and run.numbers("lost") == []
    for row in run.dead_letters:  # a message crashed on every delivery is parked, not lost
        assert (row.reason, row.deliveries) == ("max deliveries", max_deliveries)
    assert all(m.processed or m.dead_lettered for m in run.messages)


@settings(max_examples=100, deadline=None)
@given(lab=crash_schedules())
def test_at_least_once_with_an_idempotent_consumer_processes_each_message_exactly_once(lab: dict[str, Any]) -> None:
    run = run_lab(delivery="at-least-once", idempotent=True, max_deliveries=None, **lab)
    assert Counter(number for _, number, _ in run.effects) == Counter(range(1, lab["messages"] + 1))
    assert (run.tally.processed, run.tally.duplicated, run.tally.lost) == (lab["messages"], 0, 0)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    max_deliveries=st.integers(1, 6),
    consumers=st.integers(1, 3),
    slow_rate=st.sampled_from([0.0, 0.3]),
    heartbeat=st.sampled_from([None, 2.0]),
    seed=st.integers(0, 999),
)
def test_poison_messages_are_dead_lettered_after_exactly_max_deliveries_attempts(
    data: st.DataObject, max_deliveries: int, consumers: int, slow_rate: float, heartbeat: float | None, seed: int
) -> None:
    messages = data.draw(st.integers(1, 12))
    poison = data.draw(st.sets(st.integers(1, messages), min_size=1))
    run = run_lab(
        messages=messages,
        poison=poison,
        max_deliveries=max_deliveries,
        consumers=consumers,
        slow_rate=slow_rate,
        heartbeat_timeout=heartbeat,
        seed=seed,
    )
    dead = {row.id: row for row in run.dead_letters}
    for number in poison:
        assert (dead[number].reason, dead[number].deliveries) == ("max deliveries", max_deliveries)
        assert run.messages[number - 1].attempts == max_deliveries  # a slow attempt that expired still counts
    assert run.numbers("dead-lettered") == sorted(poison)
    assert all(m.processed for m in run.messages if m.number not in poison) and run.tally.lost == 0
    if slow_rate == 0:  # a good message too slow for its visibility timeout on every delivery is parked too
        assert sorted(dead) == sorted(poison)


@settings(max_examples=100, deadline=None)
@given(lab=crash_schedules(), poison=st.sets(st.integers(1, 15), max_size=3))
def test_at_most_once_loses_exactly_the_messages_whose_consumer_crashed_before_processing(
    lab: dict[str, Any], poison: set[int]
) -> None:
    run = run_lab(delivery="at-most-once", poison=poison, **lab)
    crashed_before = {c.message for c in run.crashes if c.point == "before-processing"}
    failed = {n for n in poison if n <= lab["messages"]}  # a failing handler cannot ask for a retry either
    assert set(run.numbers("lost")) == crashed_before | failed
    assert run.tally.duplicated == 0 and run.tally.redeliveries == 0 and run.dead_letters == []
    assert all(m.deliveries == 1 for m in run.messages)
