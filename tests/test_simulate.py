"""simulate_pipeline on the virtual clock: exact, hand-derived results and pinned argument errors."""

# SIM300 takes `r.L == approx(...)` for a Yoda condition: L, W are the textbook names, not constants.
# ruff: noqa: SIM300

from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest

import asyncomm as ac
from asyncomm.labs.queueing import MM1, MM1K, simulate_queue
from asyncomm.labs.simulate import (
    MessageRecord,
    estimate_bytes,
    measure_schedule,
    poisson_arrivals,
    random_service_times,
    regular_arrivals,
    simulate_pipeline,
)


def test_a_producer_twice_as_fast_as_its_consumer_grows_the_queue_linearly() -> None:
    # Arrivals at 0, 1, 2, ...; message k starts at 2k. At time t (t < 61): floor(t) + 1 sent,
    # floor(t / 2) + 1 taken, so floor(t) - floor(t / 2) wait: about t / 2, the rate difference 1 - 1/2.
    run = simulate_pipeline(regular_arrivals(1.0, 61), service_time=2)
    for half_seconds in range(0, 121):
        t = half_seconds / 2
        assert run.length_at(t) == math.floor(t) - math.floor(t / 2), t
    assert run.length_at(60) == 30


def test_records_of_a_slow_consumer() -> None:
    run = simulate_pipeline(regular_arrivals(1.0, 4), service_time=2)
    assert run.messages == [
        MessageRecord(
            k, sent=float(k), enqueued=float(k), started=2.0 * k, finished=2.0 * k + 2, consumer=0, outcome="done"
        )
        for k in range(4)
    ]
    assert [m.wait for m in run.messages] == [0.0, 1.0, 2.0, 3.0]
    assert run.lengths == [(0.0, 0), (1.0, 1), (3.0, 2), (4.0, 1), (6.0, 0)]
    s = run.summary()
    assert (s.sent, s.done, s.dropped, s.lost) == (4, 4, 0, 0)
    assert (s.duration, s.throughput, s.mean_wait, s.max_wait, s.max_producer_wait, s.peak_length) == (
        8.0,
        0.5,
        1.5,
        3.0,
        0.0,
        2,
    )


def test_a_burst_is_queued_at_its_instant() -> None:
    run = simulate_pipeline([0, 0, 0], service_time=1)
    assert run.lengths == [(0.0, 2), (1.0, 1), (2.0, 0)]  # message 0 went straight to the consumer
    assert run.length_at(0) == 2 and run.length_at(0.99) == 2 and run.length_at(100) == 0


def test_two_consumers_keep_up_with_twice_the_rate() -> None:
    run = simulate_pipeline(regular_arrivals(1.0, 10), service_time=2, consumers=2)
    assert [m.consumer for m in run.messages] == [0, 1] * 5
    assert all(m.wait == 0 for m in run.messages)
    assert run.summary().peak_length == 0


def test_block_policy_holds_the_producer_back() -> None:
    # maxsize 5: message k enters when message k - 5 is taken (at 2(k - 5)) or when it arrives, if later.
    run = simulate_pipeline(regular_arrivals(1.0, 30), service_time=2, maxsize=5, policy="block")
    assert [m.enqueued for m in run.messages] == [max(k, 2 * (k - 5)) for k in range(30)]
    s = run.summary()
    assert s.dropped == 0 and s.peak_length == 5 and s.max_producer_wait == 29 - 10


def test_drop_policy_discards_what_finds_the_queue_full() -> None:
    # Full from t = 11 on; then the consumer frees one slot every 2 s, and since it goes first at an
    # instant it shares with an arrival, every even message gets in and every odd one is dropped.
    run = simulate_pipeline(regular_arrivals(1.0, 61), service_time=2, maxsize=5, policy="drop")
    dropped = [m.id for m in run.messages if m.dropped]
    assert dropped == list(range(11, 61, 2))
    assert all(m.enqueued is None and m.started is None for m in run.messages if m.dropped)
    s = run.summary()
    assert (s.dropped, s.done, s.max_producer_wait, s.peak_length) == (25, 36, 0.0, 5)


def test_competing_consumers_lose_the_order() -> None:
    run = simulate_pipeline(regular_arrivals(1.0, 6), service_time=[3, 1, 1, 3, 1, 1], consumers=2)
    assert run.finish_order() == [1, 0, 2, 4, 3, 5]
    one = simulate_pipeline(regular_arrivals(1.0, 6), service_time=[3, 1, 1, 3, 1, 1])
    assert one.finish_order() == list(range(6))


def test_a_consumer_crash_loses_the_message_it_held() -> None:
    run = simulate_pipeline(regular_arrivals(1.0, 6), service_time=1.5, crash_on={2})
    lost = run.messages[2]
    assert (lost.outcome, lost.started, lost.finished, lost.consumer) == ("lost", 3.0, None, 0)
    assert run.messages[3].started == 3.75  # the restarted consumer takes the next one at once
    s = run.summary()
    assert (s.done, s.lost) == (5, 1)
    assert run.finish_order() == [0, 1, 3, 4, 5]


def test_the_run_keeps_the_queue_trace() -> None:
    run = simulate_pipeline([0, 0, 0], service_time=1, maxsize=1, policy="drop")
    assert [(row.time, row.operation, row.item, row.size, row.outcome) for row in run.trace] == [
        (0.0, "send", 0, 1, "ok"),
        (0.0, "receive", 0, 0, "ok"),
        (0.0, "send", 1, 1, "ok"),
        (0.0, "send", 2, 1, "QueueFull"),
        (0.0, "close", None, 1, "ok"),
        (1.0, "receive", 1, 0, "ok"),
        (2.0, "receive", None, 0, "QueueClosed"),
    ]


def test_a_given_virtual_clock_is_used_and_times_stay_relative() -> None:
    clock = ac.VirtualClock(start=100)
    run = simulate_pipeline(regular_arrivals(1.0, 4), service_time=2, clock=clock)
    fresh = simulate_pipeline(regular_arrivals(1.0, 4), service_time=2)
    assert run.messages == fresh.messages and run.lengths == fresh.lengths
    assert clock.now() == 108


def test_to_frame_has_one_row_per_message() -> None:
    frame = simulate_pipeline([0, 0, 0], service_time=1, maxsize=1, policy="drop").to_frame()
    assert list(frame.columns) == ["id", "sent", "enqueued", "started", "finished", "consumer", "outcome"]
    assert list(frame["outcome"]) == ["done", "done", "dropped"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"arrivals": []}, ValueError, "arrivals is empty: give at least one arrival time"),
        ({"arrivals": [0, -1]}, ValueError, "arrivals[1] must be a finite number of seconds >= 0, got -1"),
        ({"arrivals": [2, 1]}, ValueError, "arrivals must not decrease: arrivals[1] = 1 comes before arrivals[0] = 2"),
        ({"arrivals": [0, math.inf]}, ValueError, "arrivals[1] must be a finite number of seconds >= 0, got inf"),
        ({"arrivals": "012"}, TypeError, "arrivals must be a sequence of times in seconds, got '012'"),
        ({"service_time": 0}, ValueError, "service_time must be a finite number of seconds > 0, got 0"),
        (
            {"service_time": [1, 2]},
            ValueError,
            "service_time has 2 values but there are 3 arrivals; give one per message, or a single number for all",
        ),
        ({"service_time": "1"}, TypeError, "service_time must be a number of seconds or one per message, got '1'"),
        ({"consumers": 0}, ValueError, "consumers must be an int >= 1, got 0"),
        ({"consumers": True}, TypeError, "consumers must be an int, got True (bool)"),
        ({"maxsize": -1}, ValueError, "maxsize must be an int >= 0 (0 means unbounded), got -1"),
        (
            {"policy": "wait"},
            ValueError,
            "policy must be 'block' (wait for room) or 'drop' (discard when full), got 'wait'",
        ),
        (
            {"policy": "drop"},
            ValueError,
            "policy='drop' needs a bounded queue: an unbounded one (maxsize=0) is never full; give a maxsize > 0",
        ),
        ({"crash_on": {3}}, ValueError, "crash_on names message 3, but the messages are numbered 0 to 2"),
        ({"clock": "virtual"}, TypeError, "clock must be an asyncomm clock such as VirtualClock(), got 'virtual'"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, error: type[Exception], message: str) -> None:
    arguments = {"arrivals": [0, 1, 2], "service_time": 1} | kwargs
    with pytest.raises(error, match=re.escape(message)):
        simulate_pipeline(**arguments)


def test_length_at_refuses_negative_times() -> None:
    run = simulate_pipeline([0], service_time=1)
    with pytest.raises(ValueError, match=re.escape("t must be >= 0 seconds since the run began, got -1")):
        run.length_at(-1)


def test_regular_arrivals() -> None:
    assert regular_arrivals(0.5, 4) == [0.0, 0.5, 1.0, 1.5]
    assert regular_arrivals(2, 3, start=1) == [1, 3, 5]
    with pytest.raises(ValueError, match=re.escape("interval must be a finite number of seconds > 0, got 0")):
        regular_arrivals(0, 3)
    with pytest.raises(ValueError, match=re.escape("count must be an int >= 1, got 0")):
        regular_arrivals(1, 0)


def test_poisson_arrivals_are_seeded_increasing_and_average_the_rate() -> None:
    times = poisson_arrivals(2.0, 2000, seed=7)
    assert times == poisson_arrivals(2.0, 2000, seed=7)
    assert times != poisson_arrivals(2.0, 2000, seed=8)
    assert times == sorted(times) and times[0] > 0
    assert 0.9 < len(times) / times[-1] / 2.0 < 1.1
    with pytest.raises(ValueError, match=re.escape("rate must be a finite number of arrivals per second > 0, got -1")):
        poisson_arrivals(-1, 10, seed=0)


def test_estimate_bytes_grows_with_the_number_of_distinct_messages() -> None:
    one = 8 + sys.getsizeof(bytes(1000))
    assert estimate_bytes([]) == 0
    assert estimate_bytes([bytes(1000) for _ in range(50)]) == 50 * one
    shared = bytes(1000)
    assert estimate_bytes([shared] * 50) == 50 * 8 + sys.getsizeof(shared)  # one object, 50 references


def test_utilisation_decides_growth_with_random_arrivals() -> None:
    # rho = arrival rate x service time: below 1 the queue stays short, above 1 it keeps growing.
    calm = simulate_pipeline(poisson_arrivals(0.8, 400, seed=1), service_time=1)
    busy = simulate_pipeline(poisson_arrivals(1.2, 400, seed=1), service_time=1)
    assert calm.summary().peak_length < 20
    last = busy.messages[-1].sent
    assert busy.length_at(last) > 0.1 * last  # roughly (1.2 - 1) per second
    assert busy.length_at(last) > busy.length_at(last / 2) > 0


def test_it_also_runs_in_real_time_on_a_real_clock() -> None:
    run = simulate_pipeline([0, 0, 0], service_time=0.01, clock=ac.RealClock())
    assert [m.outcome for m in run.messages] == ["done"] * 3
    assert run.finish_order() == [0, 1, 2]
    starts = [m.started for m in run.messages]
    assert starts == sorted(starts) and all(m.finished > m.started for m in run.messages)
    assert run.lengths[0][0] >= 0 and run.summary().peak_length == 2


# --- measure(): the event-driven run reports what the fast simulation reports -------------------------------

COUNTS = ["customers", "admitted", "dropped", "capacity"]
SCALARS = ["duration", "L", "Lq", "W", "Wq", "utilization", "effective_arrival_rate"]


def _mm1_times(arrival_rate: float, service_rate: float, customers: int, seed: int) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, customers))
    services = rng.exponential(1 / service_rate, customers)
    return arrivals.tolist(), services.tolist()


def _assert_same(event_driven, fast) -> None:  # type: ignore[no-untyped-def]
    for name in COUNTS:
        assert getattr(event_driven, name) == getattr(fast, name), name
    for name in SCALARS:
        assert getattr(event_driven, name) == pytest.approx(getattr(fast, name), rel=1e-9, abs=1e-12), name
    for name in ("W_percentiles", "Wq_percentiles"):
        for p in ("p50", "p90", "p99"):
            got, want = getattr(getattr(event_driven, name), p), getattr(getattr(fast, name), p)
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (name, p)
    assert np.array_equal(event_driven.times, fast.times)
    assert np.array_equal(event_driven.in_system, fast.in_system)
    assert np.array_equal(event_driven.waiting, fast.waiting)


def test_event_driven_mm1_agrees_with_the_fast_simulation_on_the_same_times_and_with_theory() -> None:
    arrivals, services = _mm1_times(0.8, 1.0, 4000, seed=11)
    run = simulate_pipeline(arrivals, services)
    measured = run.measure()
    _assert_same(measured, simulate_queue(arrivals, services))
    # The queue-length series is the queue's own len(q), read from its trace, at every sample instant.
    assert [run.length_at(t) for t in measured.times] == measured.waiting.tolist()
    theory = MM1(0.8, 1.0)  # L = 4, W = 5: 4000 customers at rho 0.8 give the right size, not 3 digits
    assert measured.L == pytest.approx(theory.L, rel=0.25)
    assert measured.W == pytest.approx(theory.W, rel=0.25)
    assert measured.utilization == pytest.approx(theory.rho, rel=0.05)
    assert measured.L == pytest.approx(measured.effective_arrival_rate * measured.W, rel=0.02)  # Little


def test_event_driven_bounded_queue_drops_what_mm1k_drops_on_the_same_times() -> None:
    # maxsize m waiting + 1 in the consumer's hands: K = m + 1, as MM1K.from_queue says.
    arrivals, services = _mm1_times(1.2, 1.0, 4000, seed=5)
    run = simulate_pipeline(arrivals, services, maxsize=4, policy="drop")
    measured = run.measure()
    fast = simulate_queue(arrivals, services, capacity=5)
    _assert_same(measured, fast)
    assert measured.capacity == 5 and measured.dropped == run.summary().dropped > 0
    assert [run.length_at(t) for t in measured.times] == measured.waiting.tolist()
    theory = MM1K.from_queue(4, 1.2, 1.0)
    assert measured.blocking_fraction == pytest.approx(theory.blocking_probability, rel=0.15)
    assert measured.L == pytest.approx(theory.L, rel=0.1)


def test_measure_with_several_consumers() -> None:
    # Two consumers, 2 s each, a message per second: nobody waits, both are always busy after t = 1.
    run = simulate_pipeline(regular_arrivals(1.0, 11), service_time=2, consumers=2)
    r = run.measure(samples=11)
    assert (r.W, r.Wq, r.dropped, r.capacity) == (2.0, 0.0, 0, None)
    assert r.in_system.tolist() == [1] + [2] * 10
    assert r.waiting.tolist() == [0] * 11
    assert r.utilization == pytest.approx(19 / 20)  # busy 1 + 2 * 9 consumer-seconds of 2 * 10 over [0, 10]
    # Little's law on the window: the 11th customer stays 2 s, past the window's end at t = 10
    assert r.L == pytest.approx(19 / 10)


def test_measure_of_a_blocking_run_counts_the_producers_wait() -> None:
    # maxsize 5: message k enters at max(k, 2(k - 5)), starts at 2k, leaves at 2k + 2; it "arrived" at k.
    run = simulate_pipeline(regular_arrivals(1.0, 30), service_time=2, maxsize=5, policy="block")
    r = run.measure()
    assert r.capacity is None and r.dropped == 0
    assert r.W == pytest.approx(sum(2 * k + 2 - k for k in range(30)) / 30)
    assert r.Wq == pytest.approx(sum(k for k in range(30)) / 30)


def test_measure_refuses_runs_with_lost_messages() -> None:
    run = simulate_pipeline(regular_arrivals(1.0, 6), service_time=1.5, crash_on={2, 4})
    with pytest.raises(
        ValueError,
        match=re.escape(
            "measure() needs a run without crashes: message(s) [2, 4] were "
            "lost and have no time in the system; leave crash_on empty "
            "to measure a run"
        ),
    ):
        run.measure()


def test_measure_needs_a_window() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "horizon must be the last arrival time, > 0 seconds (time averages need a window of some length), got 0.0"
        ),
    ):
        simulate_pipeline([0, 0], service_time=1).measure()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"arrivals": [0.0, 1.0]},
            "arrivals, starts and departures must be flat and of the same, non-zero length, "
            "got shapes (2,), (1,) and (1,)",
        ),
        (
            {"starts": [-1.0]},
            "each customer must arrive, start and leave in that order, at finite times, and arrivals must not decrease",
        ),
        ({"departures": [math.inf]}, "each customer must arrive, start and leave in that order"),
        ({"offered": 0}, "offered must be an int >= 1 (the admitted customers plus the dropped ones), got 0"),
        ({"horizon": -1}, "horizon must be the last arrival time, > 0 seconds"),
        ({"consumers": 0}, "consumers must be an int >= 1, got 0"),
        ({"samples": 1}, "samples must be an int >= 2, got 1"),
    ],
)
def test_measure_schedule_refuses_bad_arguments(kwargs: dict, message: str) -> None:
    arguments = {"arrivals": [0.0], "starts": [0.0], "departures": [1.0], "offered": 1, "horizon": 1.0} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        measure_schedule(**arguments)


def test_random_service_times_are_seeded_independent_of_arrivals_and_average_one_over_the_rate() -> None:
    times = random_service_times(0.5, 4000, seed=3)
    assert times == random_service_times(0.5, 4000, seed=3) != random_service_times(0.5, 4000, seed=4)
    assert 1.9 < sum(times) / len(times) < 2.1 and min(times) > 0
    arrivals = poisson_arrivals(0.5, 4000, seed=3)
    gaps = [b - a for a, b in zip([0.0, *arrivals], arrivals, strict=False)]
    assert gaps != times  # not the same stream
    assert abs(float(np.corrcoef(gaps, times)[0, 1])) < 0.05
    with pytest.raises(ValueError, match=re.escape("rate must be a finite number of messages per second > 0, got 0")):
        random_service_times(0, 10, seed=0)
