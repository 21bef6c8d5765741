"""The queueing lab: M/M/c and M/M/c/K closed forms, the multi-consumer simulation, the lab model and its view."""

# SIM300 takes `q.L == approx(...)` for a Yoda condition: L, W are the textbook names, not constants.
# ruff: noqa: SIM300

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from asyncomm.labs.queueing import MM1, MM1K, simulate_mm1, simulate_mm1k, simulate_queue
from asyncomm.labs.queueing_lab import SETTINGS, MMc, MMcK, QueueingLab, simulate_servers, theory_for
from asyncomm.labs.simulate import simulate_pipeline
from asyncomm.widgets import QueueingLabWidget, queueing_lab
from asyncomm.widgets.queueing_view import render_plot, render_table

QUANTITIES = ["L", "Lq", "W", "Wq", "blocking_probability", "effective_arrival_rate", "utilization"]


def _times(arrival_rate: float, service_rate: float, customers: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.exponential(1 / arrival_rate, customers)), rng.exponential(1 / service_rate, customers)


# --- M/M/c -------------------------------------------------------------------------------------------------


def test_mmc_textbook_values() -> None:
    # lambda = 2, mu = 1, c = 3: a = 2, Erlang C = 4/9, Lq = C rho / (1 - rho) = 8/9, Wq = 4/9, W = 13/9.
    q = MMc(2.0, 1.0, servers=3)
    assert q.rho == pytest.approx(2 / 3) and q.offered_load == 2.0 and q.utilization == q.rho
    assert q.probability_of_waiting == pytest.approx(4 / 9)
    assert (q.Lq, q.Wq, q.W, q.L) == pytest.approx((8 / 9, 4 / 9, 13 / 9, 26 / 9))
    assert q.blocking_probability == 0.0 and q.effective_arrival_rate == 2.0
    assert q.p(0) == pytest.approx(1 / 9)  # 1 / (1 + 2 + 2 + (8/6) * 3)
    assert sum(q.p(n) for n in range(400)) == pytest.approx(1.0)
    assert sum(n * q.p(n) for n in range(400)) == pytest.approx(q.L)
    assert sum(q.p(n) for n in range(3, 400)) == pytest.approx(q.probability_of_waiting)


def test_mmc_with_one_server_is_mm1() -> None:
    for lam in (0.1, 0.5, 0.9, 0.99):
        a, b = MMc(lam, 1.0, servers=1), MM1(lam, 1.0)
        for name in QUANTITIES:
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12), (lam, name)
        assert a.probability_of_waiting == pytest.approx(lam)
        for p in (10, 50, 90, 99, 99.9):
            assert a.W_percentile(p) == pytest.approx(b.W_percentile(p), rel=1e-9), (lam, p)
            assert a.Wq_percentile(p) == pytest.approx(b.Wq_percentile(p), rel=1e-9, abs=1e-12), (lam, p)


def test_mmc_wait_percentile_is_the_closed_form_and_w_percentile_inverts_its_survival() -> None:
    q = MMc(2.5, 1.0, servers=3)
    c_wait, theta = q.probability_of_waiting, 3 * 1.0 - 2.5
    assert q.Wq_percentile(99) == pytest.approx(math.log(c_wait / 0.01) / theta)
    assert q.Wq_percentile(100 * (1 - c_wait) - 1) == 0.0  # fewer than 1 - C find every consumer busy
    # theta = mu here (0.5 vs 1.0 is not equal; use another load for the d -> 0 limit): P(W > t) = e^{-t}(1 + C t)
    r = MMc(2.0, 1.0, servers=3)  # theta = 1 = mu
    t = r.W_percentile(90)
    assert math.exp(-t) * (1 + r.probability_of_waiting * t) == pytest.approx(0.1, rel=1e-9)


def test_mmc_against_the_multi_consumer_simulation() -> None:
    arrivals, services = _times(2.5, 1.0, 300_000, seed=2)
    r = simulate_servers(arrivals, services, 3)
    q = MMc(2.5, 1.0, servers=3)
    assert r.L == pytest.approx(q.L, rel=0.05)
    assert r.W == pytest.approx(q.W, rel=0.05)
    assert r.utilization == pytest.approx(q.utilization, rel=0.01)
    for p in ("p50", "p90", "p99"):
        assert getattr(r.W_percentiles, p) == pytest.approx(q.W_percentile(int(p[1:])), rel=0.05), p
    assert r.Wq_percentiles.p90 == pytest.approx(q.Wq_percentile(90), rel=0.1)  # a wait's tail is noisier
    assert r.L == pytest.approx(r.effective_arrival_rate * r.W, rel=0.02)  # Little, measured


# --- M/M/c/K -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.3, 0.8, 1.0, 1.7, 6.0])
def test_mmck_with_one_server_is_mm1k(lam: float) -> None:
    a, b = MMcK(lam, 1.0, servers=1, capacity=6), MM1K(lam, 1.0, capacity=6)
    for name in QUANTITIES:
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-9), name
    for n in range(8):
        assert a.p(n) == pytest.approx(b.p(n), rel=1e-9, abs=1e-15)
    for p in (50, 90, 99):
        assert a.W_percentile(p) == pytest.approx(b.W_percentile(p), rel=1e-8)
        assert a.Wq_percentile(p) == pytest.approx(b.Wq_percentile(p), rel=1e-8, abs=1e-12)


def test_mmck_known_values() -> None:
    assert MM1K(0.8, 1.0, 5).blocking_probability == pytest.approx(0.08882, abs=1e-5)  # the anchor
    assert MMcK(0.8, 1.0, 1, 5).blocking_probability == pytest.approx(0.08882, abs=1e-5)
    # K = c: a loss system, blocking = Erlang B. c = 3, a = 2: (8/6) / (1 + 2 + 2 + 8/6) = 4/19.
    q = MMcK(2.0, 1.0, servers=3, capacity=3)
    assert q.blocking_probability == pytest.approx(4 / 19)
    assert q.Lq == 0 and q.Wq == 0 and q.Wq_percentile(99) == 0.0
    assert q.W == pytest.approx(1.0)  # only the service
    assert q.W_percentile(50) == pytest.approx(math.log(2))


def test_mmck_is_consistent() -> None:
    q = MMcK(5.0, 1.0, servers=3, capacity=7)
    assert sum(q.p(n) for n in range(8)) == pytest.approx(1.0) and q.p(8) == 0.0
    assert q.W == pytest.approx(q.L / q.effective_arrival_rate)
    assert q.utilization == pytest.approx((q.L - q.Lq) / 3)  # busy consumers = in system - waiting
    assert q.effective_arrival_rate <= 3.0  # never more than c mu
    assert MMcK.from_queue(4, 5.0, 1.0, servers=3) == q


def test_mmck_with_a_large_capacity_is_mmc() -> None:
    a, b = MMcK(2.5, 1.0, servers=3, capacity=400), MMc(2.5, 1.0, servers=3)
    for name in ("L", "Lq", "W", "Wq"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-9), name
    for p in (50, 90, 99):
        assert a.W_percentile(p) == pytest.approx(b.W_percentile(p), rel=1e-8)
        assert a.Wq_percentile(p) == pytest.approx(b.Wq_percentile(p), rel=1e-8)


def test_mmck_percentiles_match_sampling_the_mixture_they_describe() -> None:
    # Draw the time in the system directly: n from what an admitted customer finds, then the wait for
    # n - c + 1 departures at rate c mu if all consumers are busy, then the service. Independent of the
    # survival-function algebra the class uses.
    q = MMcK(4.0, 1.0, servers=3, capacity=9)
    rng = np.random.default_rng(7)
    seen = np.array([q.p(n) for n in range(9)]) / (1 - q.blocking_probability)
    n = rng.choice(9, size=400_000, p=seen)
    waits = np.where(n >= 3, rng.gamma(np.maximum(n - 2, 1), 1 / 3.0), 0.0)
    times = waits + rng.exponential(1.0, size=n.size)
    for p in (50, 90, 99):
        assert q.W_percentile(p) == pytest.approx(np.percentile(times, p), rel=0.02), p
        assert q.Wq_percentile(p) == pytest.approx(np.percentile(waits, p), rel=0.02, abs=0.01), p


def test_mmck_against_the_multi_consumer_simulation() -> None:
    arrivals, services = _times(5.0, 1.0, 300_000, seed=3)
    r = simulate_servers(arrivals, services, 3, capacity=7)
    q = MMcK(5.0, 1.0, servers=3, capacity=7)
    assert r.blocking_fraction == pytest.approx(q.blocking_probability, rel=0.03)
    assert r.L == pytest.approx(q.L, rel=0.02)
    assert r.W_percentiles.p90 == pytest.approx(q.W_percentile(90), rel=0.03)


# --- theory_for --------------------------------------------------------------------------------------------


def test_theory_for_picks_the_model() -> None:
    assert theory_for(0.8, 1.0) == MM1(0.8, 1.0)
    assert theory_for(0.8, 1.0, maxsize=4) == MM1K(0.8, 1.0, 5)
    assert theory_for(2.0, 1.0, consumers=3) == MMc(2.0, 1.0, 3)
    assert theory_for(5.0, 1.0, consumers=3, maxsize=4) == MMcK(5.0, 1.0, 3, 7)
    assert theory_for(1.0, 1.0) is None and theory_for(3.0, 1.0, consumers=3) is None
    assert theory_for(3.0, 1.0, consumers=2, maxsize=1) == MMcK(3.0, 1.0, 2, 3)  # bounded: any load


# --- simulate_servers --------------------------------------------------------------------------------------


def test_simulate_servers_by_hand() -> None:
    # Two consumers, 2 s each: customers at 0, 0, 0, 1. Third starts at 2 (waits 2), fourth at 2 (waits 1).
    r = simulate_servers([0.0, 0.0, 0.0, 1.0], [2.0] * 4, servers=2, samples=5)
    assert (r.W, r.Wq, r.dropped, r.admitted) == (2.75, 0.75, 0, 4)
    assert r.in_system.tolist() == [3, 3, 3, 3, 4]  # grid 0, .25, .5, .75, 1
    # Capacity 2: the third finds two inside and is dropped; at t = 1 the fourth finds two inside too.
    bounded = simulate_servers([0.0, 0.0, 0.0, 1.0], [2.0] * 4, servers=2, capacity=2)
    assert (bounded.dropped, bounded.W, bounded.capacity) == (2, 2.0, 2)
    # A departure at the instant of an arrival happens first: the customer at t = 2 gets in.
    tie = simulate_servers([0.0, 0.0, 2.0], [2.0] * 3, servers=2, capacity=2)
    assert tie.dropped == 0 and tie.Wq == 0.0


def test_simulate_servers_with_one_server_is_simulate_queue() -> None:
    arrivals, services = _times(0.9, 1.0, 20_000, seed=4)
    for capacity in (None, 3):
        a = simulate_servers(arrivals, services, 1, capacity=capacity)
        b = simulate_queue(arrivals, services, capacity=capacity)
        assert (a.dropped, a.admitted) == (b.dropped, b.admitted)
        for name in ("L", "Lq", "W", "Wq", "utilization"):
            assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-9), (capacity, name)
        assert np.array_equal(a.in_system, b.in_system) and np.array_equal(a.waiting, b.waiting)


@pytest.mark.parametrize(("maxsize", "policy"), [(0, "block"), (3, "drop")])
def test_simulate_servers_agrees_with_the_event_driven_run_of_three_consumers(maxsize: int, policy: str) -> None:
    # Same times, same FIFO rule: three asyncio consumers on an AsyncMessageQueue (virtual clock) and the heap.
    arrivals, services = _times(2.7, 1.0, 3000, seed=6)
    run = simulate_pipeline(arrivals.tolist(), services.tolist(), consumers=3, maxsize=maxsize, policy=policy)
    a = run.measure()
    b = simulate_servers(arrivals, services, 3, capacity=maxsize + 3 if maxsize else None)
    assert (a.dropped, a.admitted, a.capacity) == (b.dropped, b.admitted, b.capacity)
    for name in ("L", "Lq", "W", "Wq", "utilization"):
        assert getattr(a, name) == pytest.approx(getattr(b, name), rel=1e-12), name
    assert np.array_equal(a.in_system, b.in_system) and np.array_equal(a.waiting, b.waiting)
    if maxsize:
        assert a.dropped > 0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            ([0.0, 1.0], [1.0], 1),
            {},
            ValueError,
            "arrival_times and service_times must be two flat sequences of the "
            "same, non-zero length, got shapes (2,) and (1,)",
        ),
        (([1.0, 0.0], [1.0, 1.0], 1), {}, ValueError, "arrival_times must be finite seconds >= 0, in order"),
        (([0.0, 1.0], [1.0, -1.0], 1), {}, ValueError, "service_times must be finite seconds >= 0"),
        (([0.0, 1.0], [1.0, 1.0], 0), {}, ValueError, "servers must be an int >= 1 (the number of consumers), got 0"),
        (
            ([0.0, 1.0], [1.0, 1.0], 2.0),
            {},
            TypeError,
            "servers must be an int (the number of consumers), got 2.0 (float)",
        ),
        (
            ([0.0, 1.0], [1.0, 1.0], 3),
            {"capacity": 2},
            ValueError,
            "capacity must be >= servers (the system holds at least the 3 being served), got capacity=2",
        ),
    ],
)
def test_simulate_servers_refuses_bad_arguments(
    args: tuple, kwargs: dict, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        simulate_servers(*args, **kwargs)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: MMc(3.0, 1.0, 3),
            ValueError,
            "M/M/c has no steady state when arrival_rate >= servers * service_rate "
            "(rho = 1 >= 1): the queue grows without bound. Add consumers, make "
            "service faster, or bound the queue and use MMcK",
        ),
        (lambda: MMc(1.0, 1.0, True), TypeError, "servers must be an int (the number of consumers), got True (bool)"),
        (
            lambda: MMc(0.0, 1.0, 2),
            ValueError,
            "arrival_rate must be a positive, finite number of customers per second, got 0.0",
        ),
        (
            lambda: MMcK(1.0, 1.0, 3, 2),
            ValueError,
            "capacity must be >= servers (the system holds at least the 3 being served), got capacity=2",
        ),
        (
            lambda: MMcK.from_queue(0, 1.0, 1.0, 2),
            ValueError,
            "maxsize=0 means an unbounded queue, which drops "
            "nothing: model it with MMc(arrival_rate, service_rate, "
            "servers) instead",
        ),
        (
            lambda: MMcK.from_queue(-1, 1.0, 1.0, 2),
            ValueError,
            "maxsize must be an int >= 0 (0 means unbounded), got -1",
        ),
        (lambda: MMc(1.0, 1.0, 2).W_percentile(100), ValueError, "percentile must be a number >= 0 and < 100"),
        (lambda: MMcK(1.0, 1.0, 2, 4).p(-1), ValueError, "n must be an int >= 0"),
        (lambda: theory_for(1.0, 1.0, consumers=0), ValueError, "consumers must be an int >= 1, got 0"),
        (
            lambda: theory_for(1.0, 1.0, maxsize=-2),
            ValueError,
            "maxsize must be an int >= 0 (0 means unbounded), got -2",
        ),
        (
            lambda: theory_for(1.0, 1.0, maxsize=1.5),
            TypeError,
            "maxsize must be an int (0 means unbounded), got 1.5 (float)",
        ),
    ],
)
def test_closed_forms_refuse_bad_arguments(make, error: type[Exception], message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=re.escape(message)):
        make()


# --- the lab model -----------------------------------------------------------------------------------------


def test_lab_with_one_consumer_is_simulate_mm1_and_mm1k_with_the_same_seed() -> None:
    lab = QueueingLab(0.8, 1.0, customers=20_000, seed=4)
    fast = simulate_mm1(0.8, 1.0, 20_000, seed=4)
    out = lab.outcome
    assert (out.simulation.L, out.simulation.W, out.simulation.W_percentiles) == (fast.L, fast.W, fast.W_percentiles)
    assert out.theory == MM1(0.8, 1.0) and out.model_name == "M/M/1" and out.capacity is None
    bounded = lab.update(maxsize=4)
    fast = simulate_mm1k(0.8, 1.0, 5, 20_000, seed=4)
    assert (bounded.simulation.dropped, bounded.simulation.L) == (fast.dropped, fast.L)
    assert bounded.theory == MM1K(0.8, 1.0, 5) and bounded.capacity == 5
    assert bounded.model_name == "M/M/1/K (K = 5)"


def test_lab_rows_compare_simulation_and_theory() -> None:
    out = QueueingLab(2.0, 1.0, consumers=3, customers=50_000, seed=1).outcome
    assert out.model_name == "M/M/3 (Erlang C)" and out.rho == pytest.approx(2 / 3)
    rows = {row.quantity: row for row in out.rows()}
    assert list(rows) == [
        "L: mean number in the system",
        "Lq: mean number waiting",
        "W: mean time in the system (s)",
        "Wq: mean wait for a consumer (s)",
        "W p50 (s)",
        "W p90 (s)",
        "W p99 (s)",
        "share dropped",
        "consumer utilisation",
    ]
    assert rows["L: mean number in the system"].theory == pytest.approx(26 / 9)
    assert rows["W p90 (s)"].theory == MMc(2.0, 1.0, 3).W_percentile(90)
    assert rows["W p90 (s)"].simulated == out.simulation.W_percentiles.p90
    for row in out.rows():
        assert row.simulated == pytest.approx(row.theory, rel=0.1, abs=0.01), row
    assert out.note == "ρ < 1: a steady state exists, and simulation and theory should agree."
    frame = out.to_frame()
    assert list(frame.columns) == ["simulated", "theory"] and frame.index.name == "quantity"


def test_lab_without_a_steady_state_shows_the_simulation_only() -> None:
    lab = QueueingLab(1.5, 1.0, customers=5000)
    out = lab.outcome
    assert out.theory is None and out.theory_W_percentiles is None
    assert all(row.theory is None for row in out.rows())
    assert out.simulation.L > 100  # the queue grew
    assert out.note.startswith("ρ ≥ 1 and the queue is unbounded: there is no steady state")
    bounded = lab.update(maxsize=10)
    assert bounded.theory == MM1K(1.5, 1.0, 11)
    assert bounded.note == "ρ ≥ 1, but the queue is bounded: drops keep it stable, and the theory applies."


def test_lab_update_keeps_the_other_settings_and_replays_the_same_customers() -> None:
    lab = QueueingLab(0.5, 1.0, customers=3000, seed=9)
    first = lab.outcome
    changed = lab.update(consumers=2)
    assert (changed.arrival_rate, changed.service_rate, changed.maxsize, changed.consumers) == (0.5, 1.0, 0, 2)
    again = lab.update(consumers=1)
    assert again.simulation.W == first.simulation.W  # same draws: the same numbers come back
    faster = lab.update(service_rate=2.0)  # the same customers, each served in half the time
    assert faster.simulation.W_percentiles.p50 < first.simulation.W_percentiles.p50


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"colour": "red"},
            TypeError,
            "unknown lab setting(s) ['colour']; the settings are arrival_rate, service_rate, consumers, maxsize",
        ),
        ({"consumers": 0}, ValueError, "consumers must be an int >= 1, got 0"),
        ({"consumers": 17}, ValueError, "consumers must be between 1 and 16 in the lab, got 17"),
        ({"arrival_rate": 50}, ValueError, "arrival_rate must be between 0.05 and 10 in the lab, got 50.0"),
        ({"maxsize": -1}, ValueError, "maxsize must be an int >= 0 (0 means unbounded), got -1"),
        (
            {"service_rate": "fast"},
            TypeError,
            "service_rate must be a positive, finite number of customers per second, got 'fast' (str)",
        ),
    ],
)
def test_lab_refuses_bad_settings(kwargs: dict, error: type[Exception], message: str) -> None:
    lab = QueueingLab(customers=100)
    with pytest.raises(error, match=re.escape(message)):
        lab.update(**kwargs)
    assert lab.outcome.consumers == 1  # the lab is left as it was


def test_lab_refuses_a_bad_size() -> None:
    with pytest.raises(ValueError, match=re.escape("customers must be an int >= 2, got 1")):
        QueueingLab(customers=1)
    assert set(SETTINGS) == {"arrival_rate", "service_rate", "consumers", "maxsize"}


# --- the view ----------------------------------------------------------------------------------------------


def test_widget_sliders_drive_the_model_and_redraw() -> None:
    lab = queueing_lab(customers=2000)
    assert isinstance(lab, QueueingLabWidget)
    first_png = lab.png
    assert first_png.startswith(b"\x89PNG") and "M/M/1" in lab.summary.value
    lab.consumers.value = 3
    assert lab.model.outcome.consumers == 3 and "M/M/3 (Erlang C)" in lab.summary.value
    lab.maxsize.value = 4
    assert "M/M/3/K (K = 7)" in lab.summary.value
    lab.arrival_rate.value = 6.0
    assert lab.model.outcome.arrival_rate == 6.0 and "<b>2</b>" in lab.summary.value  # rho = 6 / 3
    assert lab.png != first_png and lab.render_seconds > 0
    classes = {
        cls
        for child in (lab.arrival_rate, lab.service_rate, lab.consumers, lab.maxsize, lab.plot)
        for cls in child._dom_classes
    }
    assert {
        "ac-qlab-arrival-rate",
        "ac-qlab-service-rate",
        "ac-qlab-consumers",
        "ac-qlab-maxsize",
        "ac-qlab-plot",
    } <= classes


def test_render_table_and_plot_without_theory() -> None:
    out = QueueingLab(2.0, 1.0, customers=1000).outcome
    html = render_table(out)
    assert "ρ = λ / (c·μ) = 2 / (1 × 1) = <b>2</b>" in html
    assert html.count("<td>—</td>") == 9  # every theory cell is empty
    assert "there is no steady state" in html
    assert render_plot(out).startswith(b"\x89PNG")
