"""The fault-injection lab: small runs whose every number can be worked out by hand.

The default lab: one message a second (message n at t = n - 1), one consumer,
0.5 s per message, visibility timeout 10 s, a crashed consumer back after 1 s.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from asyncomm.labs.faults import (
    SCENARIOS,
    Crash,
    LabPayload,
    Tally,
    compare_guarantees,
    lab_settings,
    run_lab,
    tally_frame,
)
from asyncomm.labs.simulate import estimate_bytes
from asyncomm.reliable import DeadLetter

ONE_MESSAGE = estimate_bytes([LabPayload.make(1, 1000)])
FOREVER = (
    "with max_deliveries=None a poison message (or crash_rate=1, or every delivery slower than the visibility "
    "timeout) would be delivered forever; give max_deliveries a number"
)


def exact(message: str) -> str:
    return "^" + re.escape(message) + "$"


def effects_of(run: Any, number: int) -> list[tuple[float, int, str]]:
    return [effect for effect in run.effects if effect[1] == number]


def test_a_steady_run_processes_everything_in_order() -> None:
    run = run_lab()
    assert run.tally == Tally(
        sent=20,
        processed=20,
        lost=0,
        duplicated=0,
        dead_lettered=0,
        out_of_order=0,
        peak_length=0,
        peak_bytes=ONE_MESSAGE,
        peak_backlog=0,
        dropped=0,
        redeliveries=0,
        late_acks=0,
        duration=19.5,
    )
    assert [effect[1] for effect in run.effects] == list(range(1, 21))
    assert run.effects[0] == (0.5, 1, "c1") and run.crashes == [] and run.dead_letters == []
    assert [m.outcome for m in run.messages] == ["processed"] * 20


def test_runs_are_deterministic() -> None:
    first, second = run_lab("crashes", seed=7), run_lab("crashes", seed=7)
    assert first.tally == second.tally and first.effects == second.effects and first.crashes == second.crashes
    assert [row[1:] for row in first.trace.rows] == [row[1:] for row in second.trace.rows]
    assert run_lab("crashes", seed=8).crashes != first.crashes


# -- crashes ------------------------------------------------------------------------------------------
def test_crash_before_processing_loses_the_message_at_most_once() -> None:
    run = run_lab(crash_on={3: "before-processing"}, delivery="at-most-once")
    assert run.crashes == [Crash(2.0, "c1", 3, 1, "before-processing")]
    assert run.numbers("lost") == [3] and effects_of(run, 3) == []
    assert (run.tally.lost, run.tally.processed, run.tally.redeliveries) == (1, 19, 0)


def test_crash_before_processing_redelivers_after_the_visibility_timeout() -> None:
    run = run_lab(crash_on={3: "before-processing"})
    # received at 2, the worker restarts as c1#2 at 3, the message is back at 2 + 10 = 12.
    assert effects_of(run, 3) == [(12.5, 3, "c1#2")]
    assert (run.tally.lost, run.tally.duplicated, run.tally.redeliveries, run.tally.out_of_order) == (0, 0, 1, 1)
    assert run.messages[2].deliveries == 2 and run.messages[2].attempts == 1


def test_a_heartbeat_brings_the_message_back_sooner() -> None:
    run = run_lab(crash_on={3: "before-processing"}, heartbeat_timeout=2)
    # declared dead at 4; c1#2 is busy with message 5 from 4 to 4.5, then takes 3 back.
    assert effects_of(run, 3) == [(5.0, 3, "c1#2")]
    assert [row.outcome for row in run.trace.where(operation="redeliver")] == ["consumer died"]


def test_crash_after_processing_duplicates_at_least_once_and_not_with_an_idempotent_consumer() -> None:
    plain = run_lab(crash_on={3: "after-processing-before-ack"})
    assert effects_of(plain, 3) == [(2.5, 3, "c1"), (12.5, 3, "c1#2")]
    assert plain.numbers("duplicated") == [3] and plain.tally.duplicated == 1 and plain.tally.lost == 0
    once = run_lab(crash_on={3: "after-processing-before-ack"}, idempotent=True)
    assert effects_of(once, 3) == [(2.5, 3, "c1")] and once.tally.duplicated == 0
    assert once.messages[2].deliveries == 2  # it was still delivered twice; the second time was skipped
    at_most_once = run_lab(crash_on={3: "after-processing-before-ack"}, delivery="at-most-once")
    assert at_most_once.tally.lost == 0 and at_most_once.tally.duplicated == 0


def test_an_idempotent_window_shorter_than_the_redelivery_delay_lets_duplicates_through() -> None:
    # Message 3 comes back 10 s later; by then 9 newer ids were processed.
    assert run_lab(crash_on={3: "after-processing-before-ack"}, idempotent=True, remember=9).tally.duplicated == 1
    assert run_lab(crash_on={3: "after-processing-before-ack"}, idempotent=True, remember=10).tally.duplicated == 0


def test_crash_on_a_collection_uses_the_crash_point_setting() -> None:
    run = run_lab(crash_on=[2, 4], crash_point="after-processing-before-ack")
    assert [(c.message, c.point) for c in run.crashes] == [
        (2, "after-processing-before-ack"),
        (4, "after-processing-before-ack"),
    ]


def test_crash_rate_decides_per_delivery_and_any_mixes_the_points() -> None:
    run = run_lab("crashes")
    assert {c.point for c in run.crashes} == {"before-processing", "after-processing-before-ack"}
    assert {c.delivery for c in run.crashes} >= {1}
    assert run_lab("crashes", crash_rate=0).crashes == []


# -- slow consumers, poison messages --------------------------------------------------------------------
def test_a_slow_consumer_outlives_its_visibility_timeout() -> None:
    run = run_lab(slow_on={2}, consumers=2)
    # c1 takes message 2 at 1 and needs 15 s; at 11 it is back and c2 does it; c1 finishes at 16 and acks late.
    assert effects_of(run, 2) == [(11.5, 2, "c2"), (16.0, 2, "c1")]
    assert (run.tally.duplicated, run.tally.late_acks) == (1, 1)
    assert run_lab(slow_on={2}, consumers=2, idempotent=True).tally.duplicated == 0


def test_poison_messages_are_dead_lettered_after_max_deliveries() -> None:
    run = run_lab(poison={4}, max_deliveries=3)
    assert run.dead_letters == [DeadLetter(4, LabPayload.make(4, 1000), "max deliveries", 3)]
    assert run.messages[3].attempts == 3 and run.messages[3].outcome == "dead-lettered"
    assert (run.tally.dead_lettered, run.tally.lost, run.tally.processed) == (1, 0, 19)
    at_most_once = run_lab(poison={4}, delivery="at-most-once")
    assert at_most_once.numbers("lost") == [4] and at_most_once.dead_letters == []


# -- bursts and backpressure ----------------------------------------------------------------------------
def test_a_burst_fills_an_unbounded_queue() -> None:
    tally = run_lab("burst").tally
    # 500 at t=0, two consumers take one each: 498 wait, 500 are held (2 unacked).
    assert (tally.peak_length, tally.peak_bytes, tally.lost) == (498, 500 * ONE_MESSAGE, 0)
    assert tally.duration == 125.0


def test_a_bounded_queue_that_blocks_moves_the_backlog_to_the_producer() -> None:
    tally = run_lab("burst", maxsize=50).tally
    assert (tally.peak_length, tally.peak_backlog, tally.lost, tally.duration) == (50, 448, 0, 125.0)
    assert tally.peak_bytes == 52 * ONE_MESSAGE


@pytest.mark.parametrize("policy", ["raise", "drop-newest", "drop-oldest"])
def test_a_bounded_queue_that_sheds_loses_messages(policy: str) -> None:
    run = run_lab("burst", maxsize=50, policy=policy)
    assert (run.tally.dropped, run.tally.lost, run.tally.processed, run.tally.peak_backlog) == (450, 450, 50, 0)
    assert all(m.dropped == (m.outcome == "lost") for m in run.messages)
    kept = [m.number for m in run.messages if m.processed]
    # All 500 arrive before a consumer can take one: drop-oldest keeps the last 50, the others the first 50.
    assert kept == ([*range(1, 51)] if policy != "drop-oldest" else [*range(451, 501)])


# -- ordering ----------------------------------------------------------------------------------------
def test_competing_consumers_lose_order_partitions_keep_it_per_key() -> None:
    assert run_lab("competing-consumers", consumers=1).tally.out_of_order == 0
    assert run_lab("competing-consumers", keys=0).tally.out_of_order > 0  # global order
    assert run_lab("competing-consumers").tally.out_of_order > 0  # per key
    partitioned = run_lab("partitioned")
    assert partitioned.tally.out_of_order == 0 and partitioned.tally.processed == 60
    assert {row.name for row in partitioned.trace} <= {"lab[0]", "lab[1]", "lab[2]"}


def test_out_of_order_counts_first_processing_only() -> None:
    run = run_lab(crash_on={3: "after-processing-before-ack"})
    assert run.tally.out_of_order == 0  # 3 was first done in order; its duplicate does not count


# -- the comparison table ---------------------------------------------------------------------------------
def test_compare_guarantees_tells_the_story() -> None:
    rows = compare_guarantees()
    assert [r["guarantee"] for r in rows] == ["at-most-once", "at-least-once", "at-least-once + idempotent consumer"]
    most, least, once = rows
    assert most["lost"] > 0 and most["duplicated"] == 0
    assert least["lost"] == 0 and least["duplicated"] > 0
    assert once["lost"] == 0 and once["duplicated"] == 0 and once["processed"] == once["sent"] == 40
    assert list(most) == ["guarantee", *Tally.__dataclass_fields__]
    assert most == {"guarantee": "at-most-once", **run_lab("crashes", delivery="at-most-once").tally.as_dict()}


def test_compare_guarantees_passes_settings_on_and_refuses_the_two_it_sets() -> None:
    rows = compare_guarantees("steady", messages=5)
    assert {r["sent"] for r in rows} == {5}
    with pytest.raises(TypeError, match=exact("compare_guarantees() sets delivery itself; leave it out")):
        compare_guarantees(delivery="at-most-once")


def test_frames() -> None:
    frame = tally_frame(compare_guarantees())
    assert list(frame.index) == ["at-most-once", "at-least-once", "at-least-once + idempotent consumer"]
    assert frame.loc["at-most-once", "lost"] == compare_guarantees()[0]["lost"]
    assert list(tally_frame([run_lab().tally]).columns) == list(Tally.__dataclass_fields__)
    messages = run_lab(poison={2}, messages=3).to_frame()
    assert list(messages.index) == [1, 2, 3]
    assert list(messages["outcome"]) == ["processed", "dead-lettered", "processed"]


def test_lab_payload_is_real_bytes_with_a_short_repr() -> None:
    payload = LabPayload.make(12, 100)
    assert len(payload) == 100 and payload.startswith(b"m12:") and repr(payload) == "<m12: 100 bytes>"
    assert len(LabPayload.make(12, 2)) == 4  # never shorter than its label


# -- settings -----------------------------------------------------------------------------------------
def test_scenarios_all_run_and_outcomes_add_up() -> None:
    for name in SCENARIOS:
        run = run_lab(name)
        outcomes = Counter(m.outcome for m in run.messages)
        assert outcomes["processed"] + outcomes["duplicated"] == run.tally.processed
        assert outcomes["duplicated"] == run.tally.duplicated and outcomes["lost"] == run.tally.lost
        assert sum(outcomes.values()) == run.tally.sent == lab_settings(name).messages
    assert lab_settings("poison", poison=[1]).poison == frozenset({1})


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"scenario": "chaos"},
            ValueError,
            "unknown scenario 'chaos'; the scenarios are " + ", ".join(map(repr, SCENARIOS)),
        ),
        ({"partitioned": True}, ValueError, "partitioned=True needs keys > 0: partitions keep order per key"),
        ({"poison": {1}, "max_deliveries": None}, ValueError, FOREVER),
        ({"crash_rate": 1, "max_deliveries": None}, ValueError, FOREVER),
        ({"slow_rate": 1, "slow_factor": 20, "max_deliveries": None}, ValueError, FOREVER),
        (
            {"crash_point": "during"},
            ValueError,
            "crash_point must be one of 'before-processing', 'after-processing-before-ack', 'any', got 'during'",
        ),
        (
            {"crash_on": {1: "during"}},
            ValueError,
            "crash points are 'before-processing', 'after-processing-before-ack', 'any', got 'during'",
        ),
        ({"crash_on": [0]}, ValueError, "each message number in crash_on must be an int >= 1, got 0"),
        ({"crash_on": ["3"]}, TypeError, "each message number in crash_on must be an int, got '3' (str)"),
        ({"messages": 2.5}, TypeError, "messages must be an int, got 2.5 (float)"),
        ({"poison": "abc"}, TypeError, "poison must be a collection of message numbers, got 'abc'"),
        ({"jitter": 1}, ValueError, "jitter must be a finite number >= 0 and <= 0.9, got 1"),
        ({"crash_rate": -0.1}, ValueError, "crash_rate must be a finite number >= 0 and <= 1, got -0.1"),
        ({"service_time": 0}, ValueError, "service_time must be a finite number > 0, got 0"),
        ({"heartbeat_timeout": float("nan")}, ValueError, "heartbeat_timeout must be a finite number > 0, got nan"),
        ({"messages": 0}, ValueError, "messages must be an int >= 1, got 0"),
        ({"max_deliveries": 0}, ValueError, "max_deliveries must be an int >= 1, got 0"),
        (
            {"delivery": "exactly-once"},
            ValueError,
            "delivery must be 'at-most-once' or 'at-least-once', got 'exactly-once'",
        ),
        (
            {"policy": "drop"},
            ValueError,
            "policy must be one of 'block', 'raise', 'drop-newest', 'drop-oldest', got 'drop'",
        ),
    ],
)
def test_bad_settings(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=exact(message)):
        run_lab(**kwargs)


def test_unlimited_deliveries_are_fine_when_every_message_can_get_through() -> None:
    # 0.5 s x 19 < 10 s: a slow delivery still beats its visibility timeout, so nothing comes back.
    tally = run_lab(slow_rate=1, slow_factor=19, max_deliveries=None).tally
    assert (tally.processed, tally.redeliveries, tally.duplicated) == (20, 0, 0)


def test_unknown_setting_lists_the_real_ones() -> None:
    with pytest.raises(TypeError, match=re.escape("unknown lab setting(s) ['crashes']; the settings are ['burst', ")):
        run_lab(crashes=3)
