"""The timing lab on the real clock: 100 tasks of 50 ms I/O, four strategies side by side.

Run ``python benchmarks/bench_timing.py`` (about 40 s) or add ``--quick`` for a smoke run (20 tasks, one
repeat). No extra dependency.

What is measured, with ``asyncomm.labs.timing.compare`` on a ``RealClock``:

* 100 tasks that each wait 50 ms (``time.sleep`` / ``asyncio.sleep``), run sequentially, as asyncio
  coroutines, on a thread pool of one thread per task, and on a process pool of one process per core;
  the target: **asyncio's total within 1.3x of 50 ms** (one wait, plus the event loop's overhead);
* 8 tasks that each compute 0.2 s (a loop that spins on the thread's own CPU time), the same four ways:
  threads gain nothing under the GIL, processes gain up to one core each.

Method: ``repeats`` rounds; each round runs the four strategies one after the other (so a noisy neighbour
slows one round, not one strategy). Totals are reported as the median and the best over rounds; the
speedup is the median sequential total over the median total of the strategy. Process pools are started
afresh in every run and their startup (the time until the first task began: spawning interpreters and
importing asyncomm) is part of their total and shown on its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from asyncomm import RealClock
from asyncomm.labs import bench, timing


def _expect(condition: bool, what: str) -> None:
    # Not `assert`: a benchmark that silently measured the wrong thing under `python -O` is worse than none.
    if not condition:
        raise RuntimeError(f"benchmark sanity check failed: {what}")


def measure(n: int, seconds: float, work: str, repeats: int) -> dict[str, list[timing.TimingRun]]:
    by_strategy: dict[str, list[timing.TimingRun]] = {strategy: [] for strategy in timing.STRATEGIES}
    for round_ in range(repeats):
        print(
            f"  {n} tasks that {'wait' if work == 'wait' else 'compute'} {seconds:g} s: round {round_ + 1} of "
            f"{repeats} ...",
            file=sys.stderr,
            flush=True,
        )
        for run in timing.compare(n, seconds, clock=RealClock(), work=work):
            _expect(
                len(run.records) == n and all(r.duration >= seconds * 0.999 for r in run.records),
                f"{run.strategy}: every task must have run for its full {seconds} s",
            )
            by_strategy[run.strategy].append(run)
    return by_strategy


def table(by_strategy: dict[str, list[timing.TimingRun]]) -> list[str]:
    sequential = statistics.median(run.total for run in by_strategy["sequential"])
    rows = [
        "| strategy | workers | total, median (s) | best (s) | first task after (s) | speedup | model |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for strategy, runs in by_strategy.items():
        median = statistics.median(run.total for run in runs)
        startup = statistics.median(run.startup for run in runs)
        model = runs[0].model
        model_speedup = timing.model_total(runs[0].n, runs[0].latency, "sequential", work=runs[0].work) / model
        rows.append(
            f"| {strategy} | {runs[0].workers} | {median:.4f} | {min(r.total for r in runs):.4f} | "
            f"{startup:.4f} | {sequential / median:.1f}x | {model_speedup:.0f}x |"
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 tasks, one round (a smoke run)")
    args = parser.parse_args(argv)
    n, repeats = (20, 1) if args.quick else (100, 3)
    latency, cpu_tasks, cpu_seconds = 0.05, 8, 0.2
    waiting = measure(n, latency, "wait", repeats)
    computing = measure(cpu_tasks, cpu_seconds, "cpu", repeats)

    described = bench.machine()
    print(f"# Timing lab on the real clock ({repeats} round{'s' if repeats != 1 else ''})")
    print(
        f"{described['processor']}, {described['cores (os.cpu_count)']} cores; {described['python']}; "
        f"GIL: {described['GIL']}; {described['operating system']}"
    )
    print()
    print(f"## {n} tasks that each wait {latency * 1000:g} ms")
    print("\n".join(table(waiting)))
    print()
    print(f"## {cpu_tasks} tasks that each compute {cpu_seconds:g} s")
    print("\n".join(table(computing)))
    print()
    asyncio_totals = [run.total for run in waiting["asyncio"]]
    ratio, best_ratio = statistics.median(asyncio_totals) / latency, min(asyncio_totals) / latency
    print(
        f"asyncio, {n} tasks of {latency * 1000:g} ms: total {statistics.median(asyncio_totals) * 1000:.1f} ms = "
        f"{ratio:.3f}x one wait (best {best_ratio:.3f}x); target <= 1.3x: {'met' if ratio <= 1.3 else 'NOT met'}"
    )
    sequential = statistics.median(run.total for run in waiting["sequential"])
    speedups = ", ".join(
        f"{strategy} {sequential / statistics.median(run.total for run in runs):.1f}x"
        for strategy, runs in waiting.items()
    )
    print(f"speedups over sequential, same run: {speedups}")
    sys.stdout.flush()


if __name__ == "__main__":  # also keeps the worker processes (started with "spawn") from running it again
    main()
