"""Command line: ``python -m asyncomm lab [--lang en|zh] [DIR]`` opens the course in JupyterLab.

The chapters are copied into ``DIR`` (default ``./asyncomm-course``) so the
learner edits a copy, never the installed package. Running it again brings in
new chapters but keeps any chapter the learner changed, unless they agree to
replace it (their version is then saved as ``NAME.bak``). ``--lang zh`` copies the
Chinese edition (中文版); the default follows the locale (``LANG=zh_CN.UTF-8`` gives Chinese).

``python -m asyncomm bench [--out DIR] [--tasks N] [--latency S] [--quick]``
runs the timing lab on the real clock and writes CSV and PNG files into ``DIR``
(default ``./asyncomm-bench``); see :mod:`asyncomm.labs.bench`.

``python -m asyncomm progress [--lang en|zh] [DIR]`` lists every exercise with its last saved
outcome in the course folder ``DIR``, in the language of the chapters there (or ``--lang``);
see :mod:`asyncomm.course.progress`.

``python -m asyncomm site [OUT]`` builds a static website of both editions into ``OUT`` (default
``./asyncomm-site``) from the shipped notebooks, without running them; see :mod:`asyncomm.course.site`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from asyncomm.course.locator import copy_course, folder_problem
from asyncomm.i18n import LANGUAGES, language_from_locale, set_language, tr

FIRST_CHAPTER = "00-start-here.ipynb"
# Not the docstring's first line: ``python -OO`` strips docstrings, and --help must work there too.
DESCRIPTION = (
    "asyncomm's command line: open the course in JupyterLab, run the timing lab, list your progress, "
    "build the course's website."
)


def _ask_to_replace(edited: list[str]) -> bool:
    if not sys.stdin.isatty():
        return False
    names = ", ".join(edited)
    print(tr(f"You have edited {len(edited)} chapter file(s): {names}", f"你修改过 {len(edited)} 个章节文件：{names}"))
    answer = input(
        tr(
            "Replace them with the shipped versions? Yours are kept as NAME.bak [y/N] ",
            "用随课程发布的版本替换它们吗？你的版本会保存为 NAME.bak [y/N] ",
        )
    )
    return answer.strip().lower() in ("y", "yes", "是")


def lab(directory: Path, *, overwrite: bool, launch: bool, extra: Sequence[str], language: str = "en") -> int:
    """Copy the course (the edition in ``language``) into ``directory`` and open it; 1 (and no JupyterLab) if
    some file could not be copied because a symbolic link stands in its place: the learner decides what to do
    with it first."""
    set_language(language)  # what this command prints, too
    problem = folder_problem(directory.expanduser(), link_allowed=True)  # a file, or a link to no folder
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    report = copy_course(directory, overwrite=overwrite, language=language)
    if report.kept and not overwrite and not report.refused and _ask_to_replace(report.kept):
        report = copy_course(directory, overwrite=True, language=language)
    target = report.target.resolve()
    print(tr(f"Course folder: {target}", f"课程文件夹：{target}"))
    print(
        tr(
            f"  new: {len(report.copied)}, up to date: {len(report.unchanged)}, "
            f"yours kept: {len(report.kept)}, replaced (backup .bak): {len(report.replaced)}",
            f"  新增：{len(report.copied)}，已是最新：{len(report.unchanged)}，"
            f"保留你的修改：{len(report.kept)}，已替换（备份为 .bak）：{len(report.replaced)}",
        )
    )
    if report.switched:
        edition = tr("the English edition", "中文版")
        print(tr(f"  switched to {edition}: {len(report.switched)}", f"  已换成{edition}：{len(report.switched)}"))
    for name in report.kept:
        print(
            tr(
                f"  kept your edited copy of {name} (run with --overwrite to replace it)",
                f"  保留了你修改过的 {name}（要替换它，加上 --overwrite 再运行）",
            )
        )
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


def _language_of_folder(directory: Path) -> str | None:
    """The edition a course folder holds, read from its first chapter's language line (None if unknown)."""
    import json

    from asyncomm.course.editions import language_of_code, source_of

    try:
        cells = json.loads((directory / FIRST_CHAPTER).read_text(encoding="utf-8"))["cells"]
        return next((language_of_code(source_of(c)) for c in cells if c["cell_type"] == "code"), None)
    except (OSError, ValueError, LookupError, TypeError, AttributeError):  # not there, or not a notebook
        return None


def show_progress(directory: Path, language: str | None = None) -> int:
    """Print the progress report (in ``language``; by default that of the chapters in ``directory``, else the
    locale's); exit status 1 if the folder is missing or some notebook was unreadable (each named on stderr,
    the report made of the others), else 0."""
    from asyncomm.course.progress import progress, report

    set_language(language or _language_of_folder(directory) or language_from_locale())

    unreadable: list[str] = []
    try:
        rows = progress(directory, unreadable=unreadable)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for problem in unreadable:  # named, and the report is made of the other notebooks
        print(f"skipped {problem}", file=sys.stderr)
    print(tr(f"Course folder: {directory.resolve()}", f"课程文件夹：{directory.resolve()}"))
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


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (its own function so that tests can check the commands the docs show)."""
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
    lab_parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="the edition: en (English) or zh (中文); default: the locale's (LANG=zh_CN.UTF-8 gives zh)",
    )
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
    progress_parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="the report's language; default: that of the chapters in DIR, else the locale's",
    )
    site_parser = commands.add_parser("site", help="build a static website of both editions into OUT")
    site_parser.add_argument(
        "out",
        nargs="?",
        default="asyncomm-site",
        type=Path,
        metavar="OUT",
        help="folder for the website, new or made by this command before (default: ./asyncomm-site)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "site":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        from asyncomm.course.site import run_command as build_site  # deferred: only this command needs it

        set_language(language_from_locale())  # what this command prints
        return build_site(args.out)
    if args.command == "progress":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        return show_progress(args.directory, args.lang)
    if args.command == "bench":
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        from asyncomm.labs.bench import run_command  # deferred: the lab command must not load the timing lab's plots

        return run_command(args.out, tasks=args.tasks, latency=args.latency, quick=args.quick)
    if args.command == "lab":
        language = args.lang or language_from_locale()
        return lab(args.directory, overwrite=args.overwrite, launch=not args.no_launch, extra=extra, language=language)
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse rejects it first
    return 2


if __name__ == "__main__":
    sys.exit(main())
