"""How long one click takes in the step-through models (the widget only renders what the model computes).

    python benchmarks/bench_widgets.py

Target (issue "step-through widgets"): a click's model step well under 50 ms. Back is the expensive click: it
rebuilds the pattern objects and replays every earlier action, so it is timed after many clicks.

Target (issue "timing lab and queueing"): the queueing lab re-renders within 200 ms of a slider move. That is
the whole refresh - simulate 50 000 customers, the table, the matplotlib plot as PNG - timed through the
widget itself over a sweep of slider moves; the median and the worst move are reported.
"""

from __future__ import annotations

import statistics
import time

import asyncomm as ac
from asyncomm.teaching.loop_examples import EXAMPLES


def timed(action, repeats: int = 20) -> float:
    """Best of ``repeats`` runs of ``action()``, in milliseconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    rows = []
    queue = ac.QueueStepper(maxsize=4)
    rows.append(("queue: Send + Receive", timed(lambda: (queue.send("m"), queue.receive()))))
    for i in range(200):
        queue.send(i) if i % 2 == 0 else queue.receive()
    rows.append(("queue: Back after 200 clicks", timed(lambda: (queue.back(), queue.forward()))))

    bus = ac.BusStepper()
    for name in ac.BusStepper.MENU[:4]:
        bus.register("order", name)
    rows.append(("bus: Trigger with 4 listeners", timed(lambda: bus.trigger("order", "tea"))))
    rows.append(("bus: Back after ~25 clicks", timed(lambda: (bus.back(), bus.forward()), repeats=5)))

    calls = ac.CallbackStepper()
    calls.register("on_done", "show")
    rows.append(("callbacks: Start + Advance", timed(lambda: (calls.start("job", 1), calls.advance()))))

    def loop_run() -> None:
        stepper = ac.LoopStepper(EXAMPLES["producer and consumers"])
        stepper.run_to_end()

    rows.append(("event loop: all steps of the producer/consumer example", timed(loop_run)))
    stepper = ac.LoopStepper(EXAMPLES["producer and consumers"])
    rows.append(("event loop: one Forward", timed(lambda: stepper.forward() or stepper.reset(), repeats=50)))

    print("| click | model time (ms, best of runs) | target |")
    print("|---|---:|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:.3f} | {'< 50 ms: met' if ms < 50 else '< 50 ms: MISSED'} |")
    print()
    queueing_lab_sweep()


def queueing_lab_sweep() -> None:
    from asyncomm.widgets import queueing_lab  # ipywidgets and matplotlib: only for this part

    lab = queueing_lab()
    moves = [("arrival_rate", v) for v in (0.5, 0.9, 1.5, 0.8)] + [("consumers", c) for c in (2, 3, 1)]
    moves += [("maxsize", m) for m in (4, 10, 0)] + [("service_rate", v) for v in (1.5, 0.9, 1.0)]
    seconds = []
    for name, value in moves:
        getattr(lab, name).value = value  # exactly what dragging the slider does
        seconds.append(lab.render_seconds)
    worst, median = max(seconds) * 1000, statistics.median(seconds) * 1000
    print(f"| queueing lab: slider move -> table + plot, {len(moves)} moves | model + drawing (ms) | target |")
    print("|---|---:|---|")
    print(f"| median | {median:.0f} | {'< 200 ms: met' if median < 200 else '< 200 ms: MISSED'} |")
    print(f"| worst | {worst:.0f} | {'< 200 ms: met' if worst < 200 else '< 200 ms: MISSED'} |")


if __name__ == "__main__":
    main()
