"""The course as shipped: notebooks executed in order, copying for learners, the lab command, the wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import asyncomm as ac
from asyncomm.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = [
    "00-start-here",
    "01-background",
    "02a-async-basics",
    "02b-three-patterns",
    "03a-mechanisms",
    "03b-queueing-models",
    "04-code-example",
    "05a-bottlenecks-and-backpressure",
    "05b-delivery-guarantees",
    "06-faq",
    "07-summary",
    "08-real-broker",
]


def test_every_chapter_exists():
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_was_run_top_to_bottom_on_python3(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: cells not executed in order: {counts}"
    for cell in code:
        source = "".join(cell["source"])
        for out in cell["outputs"]:
            if out["output_type"] == "error":
                # Cells that teach an error carry JupyterLab's "raises-exception" tag (nbval honours it too),
                # so "Run All" goes on past them instead of stopping the learner there.
                assert "raises-exception" in cell["metadata"].get("tags", []), (
                    f"{path.name}: stale error output in {source[:60]!r}"
                )
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", f"{path.name}: stderr output in {source[:60]!r}"


def test_chapter_titles_carry_the_seed_chinese_title():
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        title = "".join(nb["cells"][0]["source"]).splitlines()[0]
        assert title.startswith("# ") and any("\u4e00" <= ch <= "\u9fff" for ch in title), title


def test_glossary_is_bilingual():
    rows = ac.course.glossary()
    assert len(rows) >= 20
    for row in rows:
        assert row["term"] and row["中文"] and row["definition"], row


def test_copy_course_keeps_edited_files_unless_asked(tmp_path):
    report = ac.course.copy_course(tmp_path)
    assert sorted(n for n in report.copied if n.endswith(".ipynb")) == [f"{name}.ipynb" for name in EXPECTED]
    assert "data/glossary.csv" in report.copied
    edited = tmp_path / "02b-three-patterns.ipynb"
    edited.write_text("my notes", encoding="utf-8")
    again = ac.course.copy_course(tmp_path)
    assert again.kept == ["02b-three-patterns.ipynb"] and not again.copied
    assert edited.read_text(encoding="utf-8") == "my notes"
    forced = ac.course.copy_course(tmp_path, overwrite=True)
    assert forced.replaced == ["02b-three-patterns.ipynb"]
    assert (tmp_path / "02b-three-patterns.ipynb.bak").read_text(encoding="utf-8") == "my notes"
    assert edited.read_bytes() == (ROOT / "notebooks" / "02b-three-patterns.ipynb").read_bytes()


def test_copy_course_refuses_a_file_as_target(tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file; choose a folder for the course"):
        ac.course.copy_course(target)


def test_lab_command_copies_without_launching(tmp_path, capsys):
    assert main(["lab", str(tmp_path / "course"), "--no-launch"]) == 0
    out = capsys.readouterr().out
    assert f"Course folder: {(tmp_path / 'course').resolve()}" in out
    assert (tmp_path / "course" / "00-start-here.ipynb").is_file()


def test_installed_wheel_ships_the_course_and_the_lab_command_works(tmp_path):
    # Build the wheel as pip would, offline (hatchling is a test dependency), install it apart from the
    # source tree, and run the lab command from a folder where no checkout is in sight.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("asyncomm-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for name in EXPECTED:
        assert f"asyncomm/course/notebooks/{name}.ipynb" in names
        assert f"asyncomm/course/notebooks/zh/{name}.ipynb" in names  # the Chinese edition, same file names
    assert "asyncomm/course/data/glossary.csv" in names
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "asyncomm", "lab", "my-course", "--no-launch"],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert (elsewhere / "my-course" / "00-start-here.ipynb").is_file()
    assert (elsewhere / "my-course" / "data" / "glossary.csv").is_file()
    chinese = subprocess.run(
        [sys.executable, "-m", "asyncomm", "lab", "--lang", "zh", "zh-course", "--no-launch"],
        cwd=elsewhere,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert chinese.returncode == 0, chinese.stderr
    assert chinese.stdout.startswith("课程文件夹：")
    assert 'ac.set_language(\\"zh\\")' in (elsewhere / "zh-course" / "00-start-here.ipynb").read_text(encoding="utf-8")
