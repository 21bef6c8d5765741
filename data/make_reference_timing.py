"""Make the course's reference timing run: ``reference_timing.csv`` and ``reference_timing.md`` beside this file.

    python data/make_reference_timing.py [--note "what else ran on the machine"]

It runs the same lab as ``python -m asyncomm bench`` (100 tasks that wait 0.05 s, the sizes 1 ... 100, and
8 tasks that compute 0.2 s; four strategies each) on the real clock, and saves every task of every run (to
the microsecond; read it back with ``asyncomm.timing.read_csv``) and a description of the machine with the
totals. Chapter 01 compares the learner's own run with it. The numbers belong to the machine that made
them: run this again on another machine and they change.
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

from asyncomm import bench, timing

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--note", default="", help="a sentence about the conditions (load, power settings ...)")
    args = parser.parse_args(argv)
    lab = bench.plan()
    runs = bench.run_lab(lab, progress=bench.progress_bar())
    timing.write_csv(runs, HERE / "reference_timing.csv", decimals=6)  # microseconds: plenty, and half the size
    made = (f"Made on {datetime.date.today().isoformat()} by `python data/make_reference_timing.py` (the lab of "
            f"`python -m asyncomm bench`): {lab.tasks} tasks that wait {lab.latency:g} s, the sizes "
            f"{', '.join(map(str, lab.ns))}, and {lab.cpu_tasks} tasks that compute {lab.cpu_seconds:g} s, each "
            f"with the four strategies on the real clock. Every task of every run is in `reference_timing.csv`.")
    note = made + (f"\n\n{args.note}" if args.note else "")
    text = bench.machine_markdown(runs, note=note).replace("# The machine", "# Reference timing run: the machine", 1)
    (HERE / "reference_timing.md").write_text(text, encoding="utf-8")
    print(f"wrote {HERE / 'reference_timing.csv'} and {HERE / 'reference_timing.md'}")


if __name__ == "__main__":  # also keeps the worker processes (started with "spawn") from running it again
    main()
