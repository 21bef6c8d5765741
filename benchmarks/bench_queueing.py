"""Time the fast M/M/1 simulation against SimPy on the same model.

Run ``python benchmarks/bench_queueing.py`` (about fifteen seconds) or add ``--quick`` for a smoke run. Needs
``simpy`` (a benchmark-only extra: ``pip install simpy``).

What is timed:

* ``asyncomm.labs.queueing.simulate_mm1`` with a million customers (arrival rate 0.8, service rate 1), end to
  end: drawing the random times, Lindley's recursion, and every measurement (L, W, percentiles, the
  queue-length series); for context also ``simulate_mm1k`` (capacity 5), whose admission test is a loop;
* SimPy, the usual process-based simulator, on the same model: a source process, one ``Resource`` of
  capacity 1, one process per customer. It is fed the *same* arrival and service times (drawn beforehand,
  outside the timing, which favours SimPy), and its mean time in the system is checked to equal the fast
  simulation's on those same customers, so both really did the same work.

SimPy takes about seven seconds per million customers, so the full run times it once, at the same million
customers (that one run also produces the W checked above). ``--quick`` times SimPy on 10 000 customers and
extrapolates linearly to 100 000 (fair: its cost is a fixed number of events per customer and its event heap
stays small), and says so next to the figure.

Method: ``time.perf_counter``; one warm-up run each (numpy's import and first-call costs are not the
simulation's), then the minimum of ``repeats`` runs (noise only ever adds time). Importing this module runs
nothing; ``main()`` does.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
from importlib.metadata import version
from time import perf_counter

import numpy as np
import simpy

from asyncomm.labs.queueing import MM1, MM1K, simulate_mm1, simulate_mm1k, simulate_queue

ARRIVAL_RATE, SERVICE_RATE, CAPACITY = 0.8, 1.0, 5


def _expect(condition: bool, what: str) -> None:
    # Not `assert`: a benchmark that silently measured the wrong thing under `python -O` is worse than none.
    if not condition:
        raise RuntimeError(f"benchmark sanity check failed: {what}")


def _best_of(repeats: int, run) -> float:  # type: ignore[no-untyped-def]
    run()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = perf_counter()
        run()
        best = min(best, perf_counter() - start)
    return best


def simpy_mm1(arrivals: list[float], services: list[float]) -> float:
    """Mean time in the system of an M/M/1 queue run by SimPy on the given times."""
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)
    total = [0.0]

    def customer(service: float):  # type: ignore[no-untyped-def]
        arrived = env.now
        with server.request() as request:
            yield request
            yield env.timeout(service)
        total[0] += env.now - arrived

    def source():  # type: ignore[no-untyped-def]
        previous = 0.0
        for arrival, service in zip(arrivals, services, strict=True):
            yield env.timeout(arrival - previous)
            previous = arrival
            env.process(customer(service))

    env.process(source())
    env.run()
    return total[0] / len(arrivals)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats (a smoke run)")
    args = parser.parse_args(argv)
    fast_customers, simpy_customers, repeats = (100_000, 10_000, 2) if args.quick else (1_000_000, 1_000_000, 3)
    scale = fast_customers / simpy_customers

    # Same model, same customers: SimPy's answer must equal ours on the times it was given.
    rng = np.random.default_rng(1)
    arrivals = np.cumsum(rng.exponential(1 / ARRIVAL_RATE, simpy_customers))
    services = rng.exponential(1 / SERVICE_RATE, simpy_customers)
    arrival_list, service_list = arrivals.tolist(), services.tolist()
    gc.collect()
    start = perf_counter()
    simpy_w = simpy_mm1(arrival_list, service_list)
    slow = perf_counter() - start  # one run: seconds long, so a warm-up or repeats would add little
    ours_w = simulate_queue(arrivals, services).W
    _expect(abs(simpy_w - ours_w) <= 1e-9 * ours_w, f"SimPy W {simpy_w} != fast W {ours_w} on the same customers")

    run = simulate_mm1(ARRIVAL_RATE, SERVICE_RATE, fast_customers, seed=1)
    theory = MM1(ARRIVAL_RATE, SERVICE_RATE)
    _expect(abs(run.L / theory.L - 1) < 0.05, f"simulated L {run.L} far from theory {theory.L}")

    fast = _best_of(repeats, lambda: simulate_mm1(ARRIVAL_RATE, SERVICE_RATE, fast_customers, seed=1))
    bounded = _best_of(repeats, lambda: simulate_mm1k(ARRIVAL_RATE, SERVICE_RATE, CAPACITY, fast_customers, seed=1))
    slow_extrapolated = slow * scale
    ratio = slow_extrapolated / fast
    how_simpy = (
        f"same {fast_customers:,} customers, same run"
        if scale == 1
        else f"SimPy timed at {simpy_customers:,} and extrapolated linearly to {fast_customers:,}"
    )

    print(f"# M/M/1, arrival rate {ARRIVAL_RATE}, service rate {SERVICE_RATE} (rho {theory.rho:g})")
    print(
        f"python {platform.python_version()}, numpy {version('numpy')}, simpy {version('simpy')}, "
        f"{platform.machine()}, {os.cpu_count()} cpus; asyncomm: best of {repeats} after a warm-up; SimPy: one run"
    )
    print()
    print("| simulation | customers | seconds | per customer |")
    print("|---|---:|---:|---:|")
    print(
        f"| asyncomm `simulate_mm1` (numpy, Lindley) | {fast_customers:,} | {fast:.3f} | "
        f"{fast / fast_customers * 1e9:.0f} ns |"
    )
    print(
        f"| asyncomm `simulate_mm1k` (K={CAPACITY}, loop) | {fast_customers:,} | {bounded:.3f} | "
        f"{bounded / fast_customers * 1e9:.0f} ns |"
    )
    print(f"| SimPy, measured | {simpy_customers:,} | {slow:.3f} | {slow / simpy_customers * 1e9:.0f} ns |")
    if scale != 1:
        print(f"| SimPy, extrapolated linearly (x{scale:g}) | {fast_customers:,} | {slow_extrapolated:.2f} | (same) |")
    print()
    print(
        f"fast M/M/1 at {fast_customers:,} customers: {fast:.3f} s (target < 1 s: {'met' if fast < 1 else 'NOT met'})"
    )
    print(f"speed-up over SimPy ({how_simpy}): {ratio:.0f}x (target >= 50x: {'met' if ratio >= 50 else 'NOT met'})")
    print(
        f"same answers: on the same {simpy_customers:,} customers SimPy's W = {simpy_w:.6f}, ours = {ours_w:.6f}; "
        f"on {fast_customers:,}: L = {run.L:.4f} (theory {theory.L:g}), W = {run.W:.4f} (theory {theory.W:g}); "
        f"M/M/1/{CAPACITY} blocking theory {MM1K(ARRIVAL_RATE, SERVICE_RATE, CAPACITY).blocking_probability:.5f}"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
