"""``python -m asyncomm`` in the ways it can be started: here, under ``python -OO`` (no docstrings)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_optimized(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -OO -m asyncomm ...``: -OO strips every docstring, so nothing may rely on ``__doc__``."""
    return subprocess.run([sys.executable, "-OO", "-m", "asyncomm", *args], capture_output=True, text=True, timeout=60)


def test_help_works_without_docstrings():
    run = run_optimized("--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: python -m asyncomm [-h] {lab,bench,progress} ...")
    assert "asyncomm's command line: open the course in JupyterLab" in " ".join(run.stdout.split())


@pytest.mark.parametrize("command", ["lab", "bench", "progress"])
def test_each_command_help_works_without_docstrings(command):
    run = run_optimized(command, "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: python -m asyncomm {command} [-h]")


def test_progress_of_a_missing_folder_works_without_docstrings(tmp_path):
    run = run_optimized("progress", str(tmp_path / "nowhere"))
    assert run.returncode == 1
    assert run.stderr.startswith("error: ")
    assert "Traceback" not in run.stderr
