"""The timing lab on the real clock, as run by ``python -m asyncomm bench``.

One *lab* is three sets of runs, every one of them with all four strategies
(sequential, asyncio, threads with one thread per task, processes with one per
CPU core):

* ``tasks`` tasks that wait ``latency`` seconds: the Gantt chart and the totals;
* the same for fewer tasks, ``n`` = 1, 2, 5, 10, 20, 50 ... up to ``tasks``:
  speedup against ``n``, with the model's line;
* ``cpu_tasks`` tasks that compute ``cpu_seconds`` (4 x ``latency``) each:
  the contrast between waiting and computing. The longer work lets the
  processes earn back the time it takes to start them.

:func:`write_results` saves the runs (``runs.csv``, readable with
:func:`asyncomm.labs.timing.read_csv`), their summary and speedups, a description of
the machine, and the four plots as PNG files. The course ships one lab made on
its authors' machine as ``data/reference_timing.csv``
(``data/make_reference_timing.py`` made it).

>>> lab = plan(quick=True)
>>> lab.tasks, lab.latency, lab.ns, lab.cpu_tasks, lab.cpu_seconds
(10, 0.01, (1, 2, 5, 10), 4, 0.04)
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from asyncomm._checks import check_int, is_number
from asyncomm._lazy import requires_extra
from asyncomm.labs.timing import STRATEGIES, TimingRun, speedups, summary, sweep, write_csv

__all__ = ["LabPlan", "machine", "machine_markdown", "plan", "progress_bar", "run_command", "run_lab", "write_results"]

# The files write_results makes, in the order it makes them.
FILES = ("runs.csv", "summary.csv", "speedup.csv", "machine.md", "gantt.png", "totals.png", "speedup.png", "cpu.png")


@dataclass(frozen=True)
class LabPlan:
    """What one lab runs; make it with :func:`plan`.

    >>> LabPlan(tasks=4, latency=0.5, ns=(1, 4), cpu_tasks=2, cpu_seconds=2.0).runs   # 4 x (2 sizes + 1)
    12
    """

    tasks: int
    latency: float
    ns: tuple[int, ...]
    cpu_tasks: int
    cpu_seconds: float

    @property
    def runs(self) -> int:
        """How many runs the lab makes."""
        return len(STRATEGIES) * (len(self.ns) + 1)


def _sizes(tasks: int) -> tuple[int, ...]:
    ns, step = [], 1
    while step < tasks:
        ns += [n for n in (step, 2 * step, 5 * step) if n < tasks]
        step *= 10
    return (*ns, tasks)


def plan(*, tasks: int | None = None, latency: float | None = None, quick: bool = False) -> LabPlan:
    """The lab for ``tasks`` tasks of ``latency`` seconds (defaults: 100 of
    0.05 s, or 10 of 0.01 s with ``quick=True``: a smoke run of a second or two).

    >>> plan().ns, plan(tasks=30).ns
    ((1, 2, 5, 10, 20, 50, 100), (1, 2, 5, 10, 20, 30))
    """
    tasks = (10 if quick else 100) if tasks is None else tasks
    latency = (0.01 if quick else 0.05) if latency is None else latency
    tasks = check_int(tasks, "tasks", minimum=1)
    if not is_number(latency):
        raise TypeError(f"latency must be a number of seconds > 0, got {latency!r} ({type(latency).__name__})")
    if not latency > 0:  # NaN too
        raise ValueError(f"latency must be a number of seconds > 0, got {latency!r}")
    return LabPlan(tasks, float(latency), _sizes(tasks), 4 if quick else 8, 4 * float(latency))


def run_lab(lab: LabPlan, *, progress: Callable[[int, int, TimingRun], None] | None = None) -> list[TimingRun]:
    """Run ``lab`` on the real clock: the waiting tasks for every ``n`` of
    ``lab.ns`` (the last is ``lab.tasks``), then the computing tasks.
    ``progress(done, count, run)`` is called after each run.

    >>> runs = run_lab(plan(tasks=2, latency=0.001))       # a tiny lab: about half a second
    >>> len(runs), sorted({run.strategy for run in runs})
    (12, ['asyncio', 'processes', 'sequential', 'threads'])
    """
    from asyncomm.clock import RealClock

    done = 0

    def step(_: int, __: int, run: TimingRun) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, lab.runs, run)

    clock = RealClock()
    waiting = sweep(lab.ns, lab.latency, clock=clock, progress=step)
    computing = sweep([lab.cpu_tasks], lab.cpu_seconds, clock=clock, work="cpu", progress=step)
    return [*waiting, *computing]


def progress_bar(stream: IO[str] | None = None, width: int = 24) -> Callable[[int, int, TimingRun], None]:
    """A text progress bar for :func:`run_lab`, written to ``stream`` (default
    ``sys.stderr``): redrawn in place on a terminal, one line per run elsewhere.

    >>> import io
    >>> from asyncomm.labs.timing import run_tasks
    >>> out = io.StringIO()
    >>> progress_bar(out, width=8)(1, 4, run_tasks(3, 0.5, "asyncio"))
    >>> out.getvalue()
    '[##------]  1/4  asyncio, 3 tasks that wait 0.5 s: 0.5 s\\n'
    """

    def show(done: int, count: int, run: TimingRun) -> None:
        out = sys.stderr if stream is None else stream
        filled = width * done // count
        line = (
            f"[{'#' * filled}{'-' * (width - filled)}] {done:>{len(str(count))}}/{count}  {run.strategy}, "
            f"{run.n} task{'s' if run.n != 1 else ''} that {'wait' if run.work == 'wait' else 'compute'} "
            f"{run.latency:g} s: "
            f"{run.total:.3g} s"
        )
        if out.isatty():
            out.write(f"\r\033[K{line}" + ("\n" if done == count else ""))
        else:
            out.write(line + "\n")
        out.flush()

    return show


def _read(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, str]:
    """What the timings depend on: the processor (from ``/proc/cpuinfo`` where
    there is one), the cores, the memory, the operating system, the Python
    build and whether it has a GIL.

    >>> list(machine())
    ['processor', 'cores (os.cpu_count)', 'memory', 'operating system', 'python', 'GIL']
    """
    processor = _read("/proc/cpuinfo", "model name") or platform.processor() or platform.machine()
    memory = _read("/proc/meminfo", "MemTotal")
    gil_check = getattr(sys, "_is_gil_enabled", None)
    gil = "yes" if gil_check is None or gil_check() else "no (free-threaded build)"
    return {
        "processor": processor,
        "cores (os.cpu_count)": str(os.cpu_count()),
        "memory": f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory else "unknown",
        "operating system": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()} ({platform.machine()})",
        "GIL": gil,
    }


def machine_markdown(runs: list[TimingRun] | None = None, *, note: str = "") -> str:
    """The machine described in Markdown, with the totals of ``runs`` as a table.

    >>> from asyncomm.labs.timing import compare
    >>> print(machine_markdown(compare(2, 1.0, processes=2)).split("## Totals")[1])
    <BLANKLINE>
    <BLANKLINE>
    | strategy | work | tasks | workers | total (s) | first task after (s) | speedup |
    |---|---|---:|---:|---:|---:|---:|
    | sequential | wait | 2 | 1 | 2 | 0.0000 | 1.00 |
    | asyncio | wait | 2 | 1 | 1 | 0.0000 | 2.00 |
    | threads | wait | 2 | 2 | 1 | 0.0000 | 2.00 |
    | processes | wait | 2 | 2 | 1 | 0.0000 | 2.00 |
    <BLANKLINE>
    """
    lines = ["# The machine", ""]
    lines += [f"- **{key}**: {value}" for key, value in machine().items()]
    if note:
        lines += ["", note]
    if runs:
        table = summary(runs).merge(
            speedups(runs)[["strategy", "work", "tasks", "speedup"]], on=["strategy", "work", "tasks"]
        )
        lines += [
            "",
            "## Totals",
            "",
            "| strategy | work | tasks | workers | total (s) | first task after (s) | speedup |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {row.strategy} | {row.work} | {row.tasks} | {row.workers} | {row.total:.4g} | "
            f"{row.startup:.4f} | {row.speedup:.2f} |"
            for row in table.itertuples()
        ]
    return "\n".join(lines) + "\n"


def write_results(runs: list[TimingRun], out: str | Path, *, note: str = "") -> list[Path]:
    """Write the lab's tables, machine description and plots into the folder
    ``out`` (made if needed) and return the paths, named as in ``FILES``.

    >>> import tempfile
    >>> from asyncomm.course.locator import data_path
    >>> from asyncomm.labs.timing import read_csv
    >>> paths = write_results(read_csv(data_path("reference_timing.csv")), tempfile.mkdtemp())
    >>> [path.name for path in paths] == list(FILES)
    True
    """
    with requires_extra():
        import matplotlib.pyplot as plt

    from asyncomm.labs import plots

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = [write_csv(runs, folder / "runs.csv")]
    for name, table in (("summary.csv", summary(runs)), ("speedup.csv", speedups(runs))):
        table.to_csv(folder / name, index=False)
        paths.append(folder / name)
    (folder / "machine.md").write_text(machine_markdown(runs, note=note), encoding="utf-8")
    paths.append(folder / "machine.md")
    tasks = max(run.n for run in runs if run.work == "wait")
    largest = [run for run in runs if run.work == "wait" and run.n == tasks]
    figures = [
        ("gantt.png", plots.gantt(largest)),
        ("totals.png", plots.total_bars(largest)),
        ("speedup.png", plots.speedup_vs_n(runs)),
        ("cpu.png", plots.cpu_contrast(runs)),
    ]
    for name, figure in figures:
        figure.savefig(folder / name, dpi=110)
        plt.close(figure)
        paths.append(folder / name)
    return paths


def run_command(
    out: str | Path,
    *,
    tasks: int | None = None,
    latency: float | None = None,
    quick: bool = False,
    stream: IO[str] | None = None,
) -> int:
    """What ``python -m asyncomm bench`` does: plan, run with a progress bar,
    write the files, say where. Returns the exit status.

    >>> import io, tempfile
    >>> messages = io.StringIO()
    >>> run_command(tempfile.mkdtemp(), tasks=2, latency=0.001, stream=messages)   # real timings: not shown
    Wrote 8 files to ...
    0
    >>> messages.getvalue().splitlines()[0]
    'timing lab on the real clock: 12 runs of up to 2 tasks that wait 0.001 s and 8 that compute 0.004 s ...'
    """
    err = sys.stderr if stream is None else stream
    try:
        import matplotlib
        import pandas  # noqa: F401  (checked here so a missing one fails before minutes of measuring)
    except ImportError as missing:
        err.write(
            f"the bench command needs matplotlib and pandas ({missing}); install them with: "
            f"pip install 'asyncomm[course]'\n"
        )
        return 1
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")  # only files are written: no window, no display needed
    lab = plan(tasks=tasks, latency=latency, quick=quick)
    err.write(
        f"timing lab on the real clock: {lab.runs} runs of up to {lab.tasks} tasks that wait {lab.latency:g} s "
        f"and {lab.cpu_tasks} that compute {lab.cpu_seconds:g} s (each run starts its own pool; processes: "
        f"one per core, {os.cpu_count()})\n"
    )
    runs = run_lab(lab, progress=progress_bar(err))
    paths = write_results(runs, out)
    table = speedups([run for run in runs if run.n == lab.tasks and run.work == "wait"])
    print(f"Wrote {len(paths)} files to {Path(out).resolve()}:")
    for path in paths:
        print(f"  {path.name}")
    print(f"{lab.tasks} tasks that wait {lab.latency:g} s - total and speedup over sequential:")
    for row in table.itertuples():
        print(f"  {row.strategy:<10} {row.total:8.3f} s  {row.speedup:6.1f}x")
    return 0
