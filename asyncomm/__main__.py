"""Command line: ``python -m asyncomm lab [DIR]`` opens the course in JupyterLab.

The chapters are copied into ``DIR`` (default ``./asyncomm-course``) so the
learner edits a copy, never the installed package. Running it again brings in
new chapters but keeps any chapter the learner changed, unless they agree to
replace it (their version is then saved as ``NAME.bak``).

``python -m asyncomm bench [--out DIR] [--tasks N] [--latency S] [--quick]``
runs the timing lab on the real clock and writes CSV and PNG files into ``DIR``
(default ``./asyncomm-bench``); see :mod:`asyncomm.labs.bench`.

``python -m asyncomm progress [DIR]`` lists every exercise with its last saved
outcome in the course folder ``DIR``; see :mod:`asyncomm.course.progress`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from asyncomm.course.locator import copy_course

FIRST_CHAPTER = "00-start-here.ipynb"
# Not the docstring's first line: ``python -OO`` strips docstrings, and --help must work there too.
DESCRIPTION = "asyncomm's command line: open the course in JupyterLab, run the timing lab, list your progress."


def _ask_to_replace(edited: list[str]) -> bool:
    if not sys.stdin.isatty():
        return False
    print(f"You have edited {len(edited)} chapter file(s): {', '.join(edited)}")
    answer = input("Replace them with the shipped versions? Yours are kept as NAME.bak [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def lab(directory: Path, *, overwrite: bool, launch: bool, extra: Sequence[str]) -> int:
    """Copy the course into ``directory`` and open it; 1 (and no JupyterLab) if some file could not be
    copied because a symbolic link stands in its place: the learner decides what to do with it first."""
    report = copy_course(directory, overwrite=overwrite)
    if report.kept and not overwrite and not report.refused and _ask_to_replace(report.kept):
        report = copy_course(directory, overwrite=True)
    target = report.target.resolve()
    print(f"Course folder: {target}")
    print(
        f"  new: {len(report.copied)}, up to date: {len(report.unchanged)}, "
        f"yours kept: {len(report.kept)}, replaced (backup .bak): {len(report.replaced)}"
    )
    for name in report.kept:
        print(f"  kept your edited copy of {name} (run with --overwrite to replace it)")
    for reason in report.refused:
        print(f"refused: {reason}", file=sys.stderr)
    if report.refused:
        return 1
    if not launch:
        return 0
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={target}",
        f"--LabApp.default_url=/lab/tree/{FIRST_CHAPTER}",
        *extra,
    ]
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def show_progress(directory: Path) -> int:
    """Print the progress report; exit status 1 if the folder is missing or some notebook was unreadable
    (each named on stderr, the report made of the others), else 0."""
    from asyncomm.course.progress import progress, report

    unreadable: list[str] = []
    try:
        rows = progress(directory, unreadable=unreadable)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for problem in unreadable:  # named, and the report is made of the other notebooks
        print(f"skipped {problem}", file=sys.stderr)
    print(f"Course folder: {directory.resolve()}")
    print(report(rows))
    return 1 if unreadable else 0  # 1: the report is complete for every notebook but the ones named


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m asyncomm", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", required=True)
    lab_parser = commands.add_parser("lab", help="copy the course into DIR and open it in JupyterLab")
    lab_parser.add_argument(
        "directory",
        nargs="?",
        default="asyncomm-course",
        type=Path,
        help="folder for your copy of the course (default: ./asyncomm-course)",
    )
    lab_parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace chapters you edited with the shipped ones (yours are kept as .bak)",
    )
    lab_parser.add_argument("--no-launch", action="store_true", help="only copy the files; do not start JupyterLab")
    bench_parser = commands.add_parser("bench", help="run the timing lab on the real clock; write CSV and PNG files")
    bench_parser.add_argument(
        "--out",
        default="asyncomm-bench",
        type=Path,
        metavar="DIR",
        help="folder for the results (default: ./asyncomm-bench)",
    )
    bench_parser.add_argument(
        "--tasks",
        type=_positive_int,
        metavar="N",
        help="number of tasks of the largest run (default: 100; 10 with --quick)",
    )
    bench_parser.add_argument(
        "--latency",
        type=_positive_seconds,
        metavar="S",
        help="seconds each task waits or computes (default: 0.05; 0.01 with --quick)",
    )
    bench_parser.add_argument("--quick", action="store_true", help="a small lab of a second or two (a smoke run)")
    progress_parser = commands.add_parser("progress", help="list every exercise with its last saved outcome in DIR")
    progress_parser.add_argument(
        "directory",
        nargs="?",
        default="asyncomm-course",
        type=Path,
        help="a learner's course folder (default: ./asyncomm-course)",
    )
    args, extra = parser.parse_known_args(argv)
    if args.command == "progress":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return show_progress(args.directory)
    if args.command == "bench":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        from asyncomm.labs.bench import run_command  # deferred: the lab command must not load the timing lab's plots

        return run_command(args.out, tasks=args.tasks, latency=args.latency, quick=args.quick)
    if args.command == "lab":
        return lab(args.directory, overwrite=args.overwrite, launch=not args.no_launch, extra=extra)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it first
    return 2


if __name__ == "__main__":
    sys.exit(main())
