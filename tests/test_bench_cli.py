"""``python -m asyncomm bench``: run in-process on a small lab, the files it writes, its arguments; the bench
module's pieces (plan, progress bar, machine description); the reference run shipped in data/."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import asyncomm as ac
from asyncomm.__main__ import main
from asyncomm.labs import bench, timing


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "results"
    stdout, stderr = io.StringIO(), io.StringIO()
    old = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        code = main(["bench", "--quick", "--tasks", "4", "--latency", "0.005", "--out", str(out)])
    finally:
        sys.stdout, sys.stderr = old
    plt.close("all")
    return code, out, stdout.getvalue(), stderr.getvalue()


def test_bench_writes_every_file_and_says_where(quick_run):
    code, out, stdout, _ = quick_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(bench.FILES)
    lines = stdout.splitlines()
    assert lines[0] == f"Wrote 8 files to {out.resolve()}:"
    assert [line.strip() for line in lines[1:9]] == list(bench.FILES)
    assert lines[9] == "4 tasks that wait 0.005 s - total and speedup over sequential:"
    assert [line.split()[0] for line in lines[10:]] == ["sequential", "asyncio", "threads", "processes"]


def test_bench_csv_files_parse_and_hold_the_lab(quick_run):
    _, out, _, _ = quick_run
    runs = timing.read_csv(out / "runs.csv")
    lab = bench.plan(tasks=4, latency=0.005, quick=True)
    assert len(runs) == lab.runs == 16
    assert [(r.n, r.work, r.strategy) for r in runs] == [
        (n, "wait", s) for n in (1, 2, 4) for s in timing.STRATEGIES
    ] + [(4, "cpu", s) for s in timing.STRATEGIES]
    assert all(not r.virtual and len(r.records) == r.n for r in runs)
    assert {r.latency for r in runs} == {0.005, 0.02}  # computing tasks: 4 x latency
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == [
        "strategy",
        "work",
        "tasks",
        "latency",
        "workers",
        "total",
        "startup",
        "throughput",
        "mean_response",
    ]
    assert summary["total"].tolist() == [r.total for r in runs]
    speedup = pd.read_csv(out / "speedup.csv")
    assert len(speedup) == 16 and (speedup[speedup["strategy"] == "sequential"]["speedup"] == 1.0).all()
    machine = (out / "machine.md").read_text(encoding="utf-8")
    assert machine.startswith("# The machine\n") and "| processes | cpu | 4 |" in machine


def test_bench_pngs_are_images(quick_run):
    _, out, _, _ = quick_run
    for name in ("gantt.png", "totals.png", "speedup.png", "cpu.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
        height, width, _ = plt.imread(out / name).shape
        assert height > 200 and width > 300, name


def test_bench_shows_progress_on_stderr(quick_run):
    _, _, _, stderr = quick_run
    lines = stderr.splitlines()
    assert lines[0] == (
        "timing lab on the real clock: 16 runs of up to 4 tasks that wait 0.005 s and 4 that "
        f"compute 0.02 s (each run starts its own pool; processes: one per core, {os.cpu_count()})"
    )
    assert [re.match(r"\[[#-]+\] +(\d+)/16 ", line).group(1) for line in lines[1:]] == [str(i) for i in range(1, 17)]
    assert lines[-1].startswith("[########################] 16/16  processes, 4 tasks that compute 0.02 s: ")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bench", "--tasks", "0"], "argument --tasks: must be at least 1, got 0"),
        (["bench", "--tasks", "many"], "argument --tasks: not a whole number: 'many'"),
        (["bench", "--latency", "-1"], "argument --latency: must be a number of seconds > 0, got -1"),
        (["bench", "--latency", "soon"], "argument --latency: not a number of seconds: 'soon'"),
        (["bench", "--quick", "--fast"], "unrecognized arguments: --fast"),
    ],
)
def test_bench_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_bench_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` raise ImportError
    err = io.StringIO()
    assert bench.run_command(tmp_path / "out", quick=True, stream=err) == 1
    assert err.getvalue().endswith("install them with: pip install 'asyncomm[course]'\n")
    assert not (tmp_path / "out").exists()


def test_python_dash_m_asyncomm_bench_help():
    run = subprocess.run(
        [sys.executable, "-m", "asyncomm", "bench", "--help"], capture_output=True, text=True, check=True
    )
    assert " ".join(run.stdout.split()).startswith(
        "usage: python -m asyncomm bench [-h] [--out DIR] [--tasks N] [--latency S] [--quick]"
    )


def test_importing_the_cli_and_bench_stays_light():
    code = (
        "import sys, asyncomm.__main__, asyncomm.labs.bench; "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# --- the pieces ----------------------------------------------------------------------------------------------------


def test_plan_defaults_and_sizes():
    assert bench.plan() == bench.LabPlan(100, 0.05, (1, 2, 5, 10, 20, 50, 100), 8, 0.2)
    assert bench.plan(quick=True) == bench.LabPlan(10, 0.01, (1, 2, 5, 10), 4, 0.04)
    assert bench.plan(tasks=1).ns == (1,)
    assert bench.plan(tasks=7, latency=1).ns == (1, 2, 5, 7)
    assert bench.plan(tasks=250).ns == (1, 2, 5, 10, 20, 50, 100, 200, 250)
    assert bench.plan().runs == 32
    with pytest.raises(ValueError, match=re.escape("tasks must be an int >= 1, got 0")):
        bench.plan(tasks=0)
    with pytest.raises(TypeError, match=re.escape("tasks must be an int, got 2.0 (float)")):
        bench.plan(tasks=2.0)
    with pytest.raises(ValueError, match=re.escape("latency must be a number of seconds > 0, got 0")):
        bench.plan(latency=0)
    with pytest.raises(ValueError, match=re.escape("latency must be a number of seconds > 0, got nan")):
        bench.plan(latency=float("nan"))
    with pytest.raises(TypeError, match=re.escape("latency must be a number of seconds > 0, got '1' (str)")):
        bench.plan(latency="1")


def test_progress_bar_redraws_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    show = bench.progress_bar(out, width=4)
    run = timing.run_tasks(1, 2.0, "sequential", work="cpu")
    show(1, 2, run)
    show(2, 2, run)
    assert out.getvalue() == (
        "\r\033[K[##--] 1/2  sequential, 1 task that compute 2 s: 2 s"
        "\r\033[K[####] 2/2  sequential, 1 task that compute 2 s: 2 s\n"
    )


def test_machine_description_reads_the_processor_and_python():
    described = bench.machine()
    assert sys.version.split()[0] in described["python"]
    assert described["cores (os.cpu_count)"] == str(os.cpu_count())
    assert described["GIL"] in ("yes", "no (free-threaded build)")
    if sys.platform == "linux":
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
        assert described["processor"] == model
        assert described["memory"].endswith(" GiB")
    text = bench.machine_markdown(note="A note.")
    assert text.startswith("# The machine\n\n- **processor**: ") and text.endswith("\nA note.\n")
    assert "## Totals" not in text


# --- the shipped reference run -------------------------------------------------------------------------------------


def test_reference_run_is_a_whole_lab_on_the_real_clock():
    runs = timing.read_csv(ac.course.data_path("reference_timing.csv"))
    lab = bench.plan()
    assert len(runs) == lab.runs
    assert [(r.n, r.work, r.strategy) for r in runs] == [(n, "wait", s) for n in lab.ns for s in timing.STRATEGIES] + [
        (8, "cpu", s) for s in timing.STRATEGIES
    ]
    assert all(not r.virtual and len(r.records) == r.n for r in runs)
    for run in runs:  # what a real run must look like, whatever the machine
        assert all(0 <= r.start <= r.end <= run.total for r in run.records)
        assert all(r.duration >= run.latency - 1e-6 for r in run.records)  # CSV keeps microseconds
    table = timing.speedups(runs)
    at_100 = dict(
        zip(
            table[(table["tasks"] == 100) & (table["work"] == "wait")]["strategy"],
            table[(table["tasks"] == 100) & (table["work"] == "wait")]["speedup"],
            strict=True,
        )
    )
    assert at_100["sequential"] == 1.0 and at_100["asyncio"] > 10 and at_100["threads"] > 10


def test_reference_description_names_the_machine_and_the_generator():
    text = ac.course.data_path("reference_timing.md").read_text(encoding="utf-8")
    assert text.startswith("# Reference timing run: the machine\n")
    for key in ("processor", "cores (os.cpu_count)", "memory", "operating system", "python", "GIL"):
        assert f"- **{key}**: " in text
    assert "`python data/make_reference_timing.py`" in text
    assert "| processes | cpu | 8 | " in text
    assert ac.course.data_path("make_reference_timing.py").is_file()
