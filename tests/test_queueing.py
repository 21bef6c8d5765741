"""Queueing models: closed forms against known values, and simulations against the closed forms."""

# SIM300 takes `q.L == approx(...)` for a Yoda condition: L, W are the textbook names, not constants.
# ruff: noqa: SIM300

from __future__ import annotations

import asyncio
import bisect
import functools
import heapq
import math
import re
import subprocess
import sys
from collections import deque
from fractions import Fraction

import numpy as np
import pytest

import asyncomm as ac
from asyncomm.labs.queueing import (
    MM1,
    MM1K,
    Percentiles,
    SimulationResult,
    littles_law,
    simulate_mm1,
    simulate_mm1k,
    simulate_queue,
)

MILLION = 1_000_000


# --- closed forms ------------------------------------------------------------------------------------------


def test_mm1_known_values() -> None:
    q = MM1(arrival_rate=0.8, service_rate=1.0)
    assert q.rho == pytest.approx(0.8)
    assert q.utilization == pytest.approx(0.8)
    assert (q.L, q.Lq, q.W, q.Wq) == (pytest.approx(4.0), pytest.approx(3.2), pytest.approx(5.0), pytest.approx(4.0))
    assert q.p(0) == pytest.approx(0.2)
    assert q.p(3) == pytest.approx(0.2 * 0.8**3)
    assert (q.blocking_probability, q.effective_arrival_rate) == (0.0, 0.8)


def test_mm1_distribution_sums_to_one_and_its_mean_is_L() -> None:
    q = MM1(0.9, 1.0)
    probabilities = [q.p(n) for n in range(2000)]
    assert math.fsum(probabilities) == pytest.approx(1.0)
    assert math.fsum(n * p for n, p in enumerate(probabilities)) == pytest.approx(q.L)
    assert q.L == pytest.approx(littles_law(arrival_rate=0.9, W=q.W))
    assert q.Lq == pytest.approx(littles_law(arrival_rate=0.9, W=q.Wq))


def test_mm1_percentiles_invert_the_exponential_laws() -> None:
    lam, mu = 0.8, 1.0
    q = MM1(lam, mu)
    for p in (10, 50, 90, 99, 99.9):
        t = q.W_percentile(p)
        assert 1 - math.exp(-(mu - lam) * t) == pytest.approx(p / 100)
    for p in (50, 90, 99, 99.9):  # above 1 - rho = 20 %, the share that does not wait
        tq = q.Wq_percentile(p)
        assert 1 - (lam / mu) * math.exp(-(mu - lam) * tq) == pytest.approx(p / 100)
    assert q.Wq_percentile(20) == 0.0  # 20% find the consumer free and do not wait at all
    assert q.W_percentile(0) == 0.0


def test_mm1k_known_values() -> None:
    q = MM1K(arrival_rate=0.8, service_rate=1.0, capacity=5)
    assert q.blocking_probability == pytest.approx(0.08882, abs=5e-6)
    assert q.L == pytest.approx(1.8683, abs=5e-5)
    assert q.effective_arrival_rate == pytest.approx(0.8 * (1 - q.blocking_probability))
    assert q.utilization == pytest.approx(q.effective_arrival_rate / 1.0)
    assert q.W == pytest.approx(q.L / q.effective_arrival_rate)
    assert q.Lq == pytest.approx(q.L - (1 - q.p(0)))
    assert q.Wq == pytest.approx(q.W - 1.0)  # waiting = time in system minus one mean service
    assert q.p(6) == 0.0


def _exact_truncated_geometric(rho: Fraction, capacity: int) -> tuple[float, list[float]]:
    weights = [rho**n for n in range(capacity + 1)]
    total = sum(weights)
    return float(sum(n * w for n, w in enumerate(weights)) / total), [float(w / total) for w in weights]


@pytest.mark.parametrize("capacity", [1, 2, 5, 60])
@pytest.mark.parametrize("rho", [0.001, 0.5, 0.999, 1 - 1e-6, 1 - 1e-12, 1.0, 1 + 1e-12, 1 + 1e-6, 1.001, 2.0, 40.0])
def test_mm1k_matches_exact_rational_arithmetic_also_near_and_above_rho_1(rho: float, capacity: int) -> None:
    q = MM1K(rho, 1.0, capacity)
    mean, probabilities = _exact_truncated_geometric(Fraction(q.rho), capacity)
    assert q.L == pytest.approx(mean, rel=1e-11)
    for n, p in enumerate(probabilities):
        assert q.p(n) == pytest.approx(p, rel=1e-11, abs=1e-300)
    assert q.utilization == pytest.approx(q.effective_arrival_rate / q.service_rate, rel=1e-11)
    assert q.effective_arrival_rate * q.W == pytest.approx(q.L, rel=1e-12)


def test_mm1k_at_rho_1_uses_the_limits_and_is_continuous_there() -> None:
    q = MM1K(2.0, 2.0, capacity=4)
    assert [q.p(n) for n in range(5)] == [0.2] * 5
    assert q.L == 2.0
    assert q.blocking_probability == 0.2
    for rho in (1 - 1e-9, 1 + 1e-9):
        near = MM1K(rho, 1.0, capacity=4)
        assert abs(near.L - 2.0) < 1e-8
        assert abs(near.blocking_probability - 0.2) < 1e-8


def test_mm1k_with_a_huge_load_or_capacity_stays_finite() -> None:
    q = MM1K(1000.0, 1.0, capacity=2000)  # rho**K would overflow a float
    assert q.L == pytest.approx(2000 - 1 / 999)  # K minus the mean of the mirrored distribution
    assert q.blocking_probability == pytest.approx(1 - 1 / 1000)
    assert q.effective_arrival_rate == pytest.approx(1.0)  # throughput is capped by the service rate
    assert MM1K(0.001, 1.0, capacity=2000).L == pytest.approx(0.001 / 0.999)


def test_mm1k_tends_to_mm1_as_the_capacity_grows() -> None:
    bounded, unbounded = MM1K(0.5, 1.0, capacity=200), MM1(0.5, 1.0)
    assert bounded.L == pytest.approx(unbounded.L)
    assert bounded.W == pytest.approx(unbounded.W)
    assert bounded.Wq == pytest.approx(unbounded.Wq)
    for p in (50, 90, 99):
        assert bounded.W_percentile(p) == pytest.approx(unbounded.W_percentile(p), rel=1e-9)
        assert bounded.Wq_percentile(p) == pytest.approx(unbounded.Wq_percentile(p), rel=1e-9, abs=1e-12)


def test_mm1k_percentiles_with_room_for_one_are_a_single_service() -> None:
    q = MM1K(3.0, 2.0, capacity=1)  # nobody waits: an arrival either gets the consumer or is dropped
    for p in (10, 50, 99):
        assert q.W_percentile(p) == pytest.approx(-math.log(1 - p / 100) / 2.0, rel=1e-9)
        assert q.Wq_percentile(p) == 0.0


def test_mm1k_percentiles_are_the_erlang_mixture() -> None:
    # K = 2, rho = 1: an admitted customer finds 0 or 1 inside with equal chance, so the time in system is
    # Exp(mu) or Erlang(2, mu) with probability 1/2 each: P(W > t) = e^-t (1 + t/2) for mu = 1.
    q = MM1K(1.0, 1.0, capacity=2)
    for p in (25, 50, 90, 99):
        t = q.W_percentile(p)
        assert math.exp(-t) * (1 + t / 2) == pytest.approx(1 - p / 100, rel=1e-9)
    # ... and the wait is 0 (half of them) or Exp(mu): P(Wq > t) = e^-t / 2.
    assert q.Wq_percentile(50) == 0.0
    assert q.Wq_percentile(90) == pytest.approx(math.log(5), rel=1e-9)


def test_from_queue_adds_the_message_in_service() -> None:
    assert MM1K.from_queue(4, arrival_rate=0.8, service_rate=1.0) == MM1K(0.8, 1.0, capacity=5)
    assert MM1K.from_queue(1, 1, 2).capacity == 2


def _drop_when_full_on_a_real_queue(arrivals: list[float], services: list[float], maxsize: int) -> list[int]:
    """Producer with send_nowait (drop on QueueFull), one consumer, AsyncMessageQueue, virtual clock."""

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        origin = loop.time()
        queue = ac.AsyncMessageQueue(maxsize)
        dropped: list[int] = []

        async def until(t: float) -> None:
            future = loop.create_future()
            loop.call_at(origin + t, future.set_result, None)
            await future

        async def consumer() -> None:
            while (i := await queue.receive()) is not None:
                await asyncio.sleep(services[i])

        task = asyncio.create_task(consumer())
        for i, t in enumerate(arrivals):
            await until(t)
            try:
                queue.send_nowait(i)
            except ac.QueueFull:
                dropped.append(i)
        await queue.send(None)
        await task
        return dropped

    return ac.VirtualClock().run(main())


def test_a_queue_of_maxsize_m_with_one_consumer_drops_like_capacity_m_plus_1() -> None:
    rng = np.random.default_rng(7)
    arrivals = np.cumsum(rng.exponential(1.0, 400))
    services = rng.exponential(1.2, 400)  # rho = 1.2: plenty of drops
    for maxsize in (1, 3):
        on_queue = _drop_when_full_on_a_real_queue(arrivals.tolist(), services.tolist(), maxsize)
        model = simulate_queue(arrivals, services, capacity=MM1K.from_queue(maxsize, 1.0, 1 / 1.2).capacity)
        assert len(on_queue) > 20
        assert model.dropped == len(on_queue)
        kept_by_model = simulate_queue(np.delete(arrivals, on_queue), np.delete(services, on_queue))
        assert model.W == pytest.approx(kept_by_model.W)  # same customers kept, so same times


def test_littles_law_solves_for_the_missing_one() -> None:
    assert littles_law(arrival_rate=0.8, W=5.0) == pytest.approx(4.0)
    assert littles_law(L=4.0, arrival_rate=0.8) == pytest.approx(5.0)
    assert littles_law(L=4.0, W=5.0) == pytest.approx(0.8)
    assert littles_law(L=0, arrival_rate=2) == 0.0


# --- errors -----------------------------------------------------------------------------------------------


def test_mm1_refuses_a_load_of_1_or_more() -> None:
    for lam, shown in ((1.0, "1"), (1.5, "1.5")):
        message = (
            f"M/M/1 has no steady state when arrival_rate >= service_rate (rho = {shown} >= 1): the queue grows "
            "without bound. Make arrivals slower or service faster, add consumers, or bound the queue and use MM1K"
        )
        with pytest.raises(ValueError, match=re.escape(message)):
            MM1(lam, 1.0)


@pytest.mark.parametrize("model", [lambda lam, mu: MM1(lam, mu), lambda lam, mu: MM1K(lam, mu, 3)])
def test_rates_must_be_positive_finite_numbers(model) -> None:  # type: ignore[no-untyped-def]
    for bad in (0, -1.0, math.nan, math.inf):
        message = f"arrival_rate must be a positive, finite number of customers per second, got {bad!r}"
        with pytest.raises(ValueError, match=re.escape(message)):
            model(bad, 1.0)
        message = f"service_rate must be a positive, finite number of customers per second, got {bad!r}"
        with pytest.raises(ValueError, match=re.escape(message)):
            model(0.5, bad)
    with pytest.raises(
        TypeError,
        match=re.escape("arrival_rate must be a positive, finite number of customers per second, got '0.5' (str)"),
    ):
        model("0.5", 1.0)
    with pytest.raises(
        TypeError,
        match=re.escape("service_rate must be a positive, finite number of customers per second, got True (bool)"),
    ):
        model(0.5, True)


def test_capacity_must_be_a_positive_int() -> None:
    for bad in (0, -3):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"capacity must be an int >= 1 (the most customers in the system: waiting plus in service), got {bad}"
            ),
        ):
            MM1K(0.5, 1.0, bad)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "capacity must be an int (the most customers in the system: waiting plus in service), got 5.0 (float)"
        ),
    ):
        MM1K(0.5, 1.0, 5.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("got 5.0 (float)")):
        simulate_mm1k(0.5, 1.0, 5.0, customers=10)  # type: ignore[arg-type]


def test_from_queue_errors() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "maxsize=0 means an unbounded queue, which drops nothing: model it with MM1(arrival_rate, service_rate) "
            "instead"
        ),
    ):
        MM1K.from_queue(0, 0.5, 1.0)
    with pytest.raises(ValueError, match=re.escape("maxsize must be an int >= 0 (0 means unbounded), got -1")):
        MM1K.from_queue(-1, 0.5, 1.0)


def test_p_and_percentile_arguments() -> None:
    for model in (MM1(0.5, 1.0), MM1K(0.5, 1.0, 3)):
        with pytest.raises(
            ValueError, match=re.escape("n must be an int >= 0 (a number of customers in the system), got -1")
        ):
            model.p(-1)
        with pytest.raises(
            TypeError, match=re.escape("n must be an int (a number of customers in the system), got 1.5 (float)")
        ):
            model.p(1.5)  # type: ignore[arg-type]
        assert model.p(np.int64(2)) == model.p(2)  # numpy's ints are whole numbers too
        rule = (
            "percentile must be a number >= 0 and < 100 (50 is the median; 100 would be the maximum, "
            "which has no finite value here), got "
        )
        for bad_p in (100, -1, math.nan):
            with pytest.raises(ValueError, match=re.escape(f"{rule}{bad_p!r}")):
                model.W_percentile(bad_p)
            with pytest.raises(ValueError, match=re.escape(f"{rule}{bad_p!r}")):
                model.Wq_percentile(bad_p)
        with pytest.raises(TypeError, match=re.escape(f"{rule}'50' (str)")):
            model.W_percentile("50")  # type: ignore[arg-type]


def test_littles_law_errors() -> None:
    def needs(got: str) -> str:
        return re.escape(f"littles_law needs exactly two of L, arrival_rate and W (it returns the third), got {got}")

    with pytest.raises(ValueError, match=needs("none")):
        littles_law()
    with pytest.raises(ValueError, match=needs("W")):
        littles_law(W=2.0)
    with pytest.raises(ValueError, match=needs("L and arrival_rate and W")):
        littles_law(L=1.0, arrival_rate=1.0, W=1.0)
    with pytest.raises(
        ValueError, match=re.escape("L must be a finite number >= 0 (the mean number in the system), got -1.0")
    ):
        littles_law(L=-1.0, W=2.0)
    with pytest.raises(
        ValueError,
        match=re.escape("W must be a positive, finite number of seconds (the mean time in the system), got 0"),
    ):
        littles_law(L=1.0, W=0)
    with pytest.raises(
        ValueError, match=re.escape("arrival_rate must be a positive, finite number of customers per second, got 0")
    ):
        littles_law(L=1.0, arrival_rate=0)
    with pytest.raises(
        TypeError, match=re.escape("L must be a finite number >= 0 (the mean number in the system), got '1' (str)")
    ):
        littles_law(L="1", W=2.0)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=re.escape(
            "W must be a positive, finite number of seconds (the mean time in the system), got True (bool)"
        ),
    ):
        littles_law(L=1.0, W=True)


def test_simulation_argument_errors() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "arrival_times and service_times must be two flat sequences of the same, non-zero length, "
            "got shapes (2,) and (3,)"
        ),
    ):
        simulate_queue([0, 1], [1, 1, 1])
    with pytest.raises(
        ValueError, match=re.escape("arrival_times must be finite seconds >= 0, in order (not decreasing)")
    ):
        simulate_queue([0, 2, 1], [1, 1, 1])
    with pytest.raises(
        ValueError,
        match=re.escape("the last arrival time must be > 0: rates and time averages need a window of some length"),
    ):
        simulate_queue([0, 0], [1, 1])
    with pytest.raises(ValueError, match=re.escape("service_times must be finite seconds >= 0")):
        simulate_queue([0, 1], [1, -1])
    with pytest.raises(ValueError, match=re.escape("samples must be an int >= 2, got 1")):
        simulate_queue([0, 1], [1, 1], samples=1)
    with pytest.raises(ValueError, match=re.escape("customers must be an int >= 1, got 0")):
        simulate_mm1(0.5, 1.0, customers=0)
    with pytest.raises(
        ValueError, match=re.escape("service_rate must be a positive, finite number of customers per second, got -1")
    ):
        simulate_mm1(0.5, -1)


# --- simulation: exact on small cases -------------------------------------------------------------------------


def _event_by_event(
    arrivals: list[float], services: list[float], capacity: int | None, horizon: float, grid: list[float]
) -> dict[str, object]:
    """A plain discrete-event simulation: a heap of events, a waiting line, the area under N(t) step by step."""
    events = [(a, 1, i) for i, a in enumerate(arrivals)]  # kind 0 (departure) sorts before 1 (arrival)
    heapq.heapify(events)
    waiting: deque[int] = deque()
    serving: int | None = None
    start, depart, dropped = {}, {}, []
    area = busy_area = now = 0.0
    log: list[tuple[float, int, int]] = [(0.0, 0, 0)]  # (time, in system, waiting) after each event
    while events:
        t, kind, i = heapq.heappop(events)
        inside = len(waiting) + (serving is not None)
        if now < horizon:
            area += inside * (min(t, horizon) - now)
            busy_area += (serving is not None) * (min(t, horizon) - now)
        now = t
        if kind == 0:
            serving = None
            if waiting:
                serving = waiting.popleft()
                start[serving] = t
                heapq.heappush(events, (t + services[serving], 0, serving))
        elif capacity is not None and inside >= capacity:
            dropped.append(i)
        elif serving is None:
            serving, start[i] = i, t
            heapq.heappush(events, (t + services[i], 0, i))
        else:
            waiting.append(i)
        if kind == 0:
            depart[i] = t
        log.append((t, len(waiting) + (serving is not None), len(waiting)))
    times = [entry[0] for entry in log]
    sampled = [log[bisect.bisect_right(times, g) - 1] for g in grid]
    kept = sorted(depart)
    return {
        "dropped": dropped,
        "L": area / horizon,
        "utilization": busy_area / horizon,
        "W": sum(depart[i] - arrivals[i] for i in kept) / len(kept),
        "Wq": sum(start[i] - arrivals[i] for i in kept) / len(kept),
        "in_system": [s[1] for s in sampled],
        "waiting": [s[2] for s in sampled],
    }


@pytest.mark.parametrize("capacity", [None, 1, 2, 3, 8])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_simulation_matches_an_event_by_event_run(capacity: int | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    if seed == 3:  # whole seconds: many arrivals and departures at the same instant
        arrivals = np.cumsum(rng.integers(0, 3, n)).astype(float) + 1
        services = rng.integers(0, 4, n).astype(float)
    else:
        arrivals = np.cumsum(rng.exponential(1.0, n))
        services = rng.exponential(0.9, n)
    result = simulate_queue(arrivals, services, capacity=capacity, samples=97)
    expected = _event_by_event(
        arrivals.tolist(), services.tolist(), capacity, float(arrivals[-1]), result.times.tolist()
    )
    assert result.dropped == len(expected["dropped"])  # type: ignore[arg-type]
    assert result.admitted == n - result.dropped
    for name in ("L", "utilization", "W", "Wq"):
        assert getattr(result, name) == pytest.approx(expected[name], rel=1e-9), name
    assert result.Lq == pytest.approx(expected["L"] - expected["utilization"], rel=1e-9, abs=1e-12)  # type: ignore[operator]
    assert result.in_system.tolist() == expected["in_system"]
    assert result.waiting.tolist() == expected["waiting"]
    if capacity is not None:
        assert result.dropped > 0 or capacity == 8


def test_simulated_series_fit_the_window_and_the_capacity() -> None:
    r = simulate_mm1k(1.5, 1.0, capacity=4, customers=20_000, seed=3, samples=500)
    assert r.times[0] == 0.0 and r.times[-1] == r.duration and len(r.times) == 500
    assert r.in_system.min() >= 0 and r.in_system.max() == 4
    assert set((r.in_system - r.waiting).tolist()) == {0, 1}  # the consumer holds at most one
    assert r.capacity == 4 and r.customers == 20_000
    assert r.arrival_rate == pytest.approx(1.5, rel=0.03)


def test_seeded_simulations_repeat_and_seeds_differ() -> None:
    a, b, c = (simulate_mm1(0.7, 1.0, customers=10_000, seed=s) for s in (5, 5, 6))
    assert (a.L, a.W, a.W_percentiles) == (b.L, b.W, b.W_percentiles)
    assert a.in_system.tolist() == b.in_system.tolist()
    assert a.L != c.L
    assert isinstance(a, SimulationResult) and isinstance(a.Wq_percentiles, Percentiles)


# --- simulation: a million customers against the theory -----------------------------------------------------


@functools.cache
def _mm1_run(rho: float) -> SimulationResult:
    return simulate_mm1(rho, 1.0, customers=MILLION, seed=2024)


@functools.cache
def _mm1k_run() -> SimulationResult:
    return simulate_mm1k(0.8, 1.0, capacity=5, customers=MILLION, seed=2024)


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_mm1_simulation_agrees_with_theory(rho: float) -> None:
    run, theory = _mm1_run(rho), MM1(rho, 1.0)
    assert run.L == pytest.approx(theory.L, rel=0.03)
    assert run.W == pytest.approx(theory.W, rel=0.03)
    assert run.Lq == pytest.approx(theory.Lq, rel=0.05)
    assert run.utilization == pytest.approx(rho, rel=0.01)
    assert run.dropped == 0 and run.capacity is None
    for p in (50, 90, 99):
        assert getattr(run.W_percentiles, f"p{p}") == pytest.approx(theory.W_percentile(p), rel=0.05), p
    for p in (90, 99):  # the median wait at rho = 0.5 sits on the jump at 0, where any tiny error is 100 %
        assert getattr(run.Wq_percentiles, f"p{p}") == pytest.approx(theory.Wq_percentile(p), rel=0.05), p


def test_mm1k_simulation_agrees_with_theory() -> None:
    run, theory = _mm1k_run(), MM1K(0.8, 1.0, capacity=5)
    assert run.blocking_fraction == pytest.approx(theory.blocking_probability, rel=0.05)
    assert run.L == pytest.approx(theory.L, rel=0.03)
    assert run.W == pytest.approx(theory.W, rel=0.03)
    assert run.effective_arrival_rate == pytest.approx(theory.effective_arrival_rate, rel=0.01)
    for p in (50, 90, 99):
        assert getattr(run.W_percentiles, f"p{p}") == pytest.approx(theory.W_percentile(p), rel=0.05), p
        assert getattr(run.Wq_percentiles, f"p{p}") == pytest.approx(theory.Wq_percentile(p), rel=0.05), p


def test_mm1k_simulation_above_rho_1_agrees_with_theory() -> None:
    run, theory = simulate_mm1k(2.0, 1.0, capacity=10, customers=200_000, seed=11), MM1K(2.0, 1.0, 10)
    assert run.blocking_fraction == pytest.approx(theory.blocking_probability, rel=0.05)
    assert run.L == pytest.approx(theory.L, rel=0.03)


@pytest.mark.parametrize("which", ["mm1 0.5", "mm1 0.8", "mm1k"])
def test_littles_law_holds_on_simulated_data(which: str) -> None:
    run = _mm1k_run() if which == "mm1k" else _mm1_run(float(which.split()[1]))
    # L is a time average of the queue-length curve; W an average over customers: two different measurements.
    assert run.L == pytest.approx(littles_law(arrival_rate=run.effective_arrival_rate, W=run.W), rel=0.02)
    assert run.Lq == pytest.approx(littles_law(arrival_rate=run.effective_arrival_rate, W=run.Wq), rel=0.02)


def test_the_closed_forms_load_without_numpy() -> None:
    # numpy is imported inside the simulations only, so asyncomm can expose this module without getting heavy.
    code = (
        "import sys, asyncomm.labs.queueing as q; q.MM1(0.5, 1).L; q.MM1K(0.8, 1, 5).L; "
        "q.MM1K(0.8, 1, 5).W_percentile(90); "
        "q.littles_law(L=1, W=2); print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
