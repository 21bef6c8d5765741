"""``python -m asyncomm`` in the ways it can be started: here, under ``python -OO`` (no docstrings)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

import asyncomm as ac
from asyncomm.__main__ import main


def run_optimized(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -OO -m asyncomm ...``: -OO strips every docstring, so nothing may rely on ``__doc__``."""
    return subprocess.run([sys.executable, "-OO", "-m", "asyncomm", *args], capture_output=True, text=True, timeout=60)


def test_help_works_without_docstrings():
    run = run_optimized("--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: python -m asyncomm [-h] {lab,bench,progress,site} ...")
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


# -- `lab` stays inside its folder -------------------------------------------------------------------------
CHAPTER = "02b-three-patterns.ipynb"
LINK_REFUSED = "is a symbolic link; asyncomm never writes through a link"


def _lab(folder, *extra):
    return main(["lab", str(folder), "--no-launch", *extra])


def test_lab_overwrite_does_not_write_through_a_chapter_that_is_a_symlink(tmp_path, capsys):
    course = tmp_path / "course"
    assert _lab(course) == 0
    outside = tmp_path / "my-notes.ipynb"
    outside.write_text("the learner's own notes, kept elsewhere", encoding="utf-8")
    (course / CHAPTER).unlink()
    (course / CHAPTER).symlink_to(outside)
    capsys.readouterr()
    status = _lab(course, "--overwrite")
    assert outside.read_text(encoding="utf-8") == "the learner's own notes, kept elsewhere"
    assert status == 1
    assert (course / CHAPTER).is_symlink() and not (course / f"{CHAPTER}.bak").exists()
    err = capsys.readouterr().err
    assert f"refused: {CHAPTER} {LINK_REFUSED} (it points to {outside}); " in err
    assert "remove the link and run again to get the shipped chapter" in err


def test_lab_does_not_create_a_file_through_a_dangling_chapter_symlink(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    target = tmp_path / "elsewhere" / "x.ipynb"
    target.parent.mkdir()
    (course / CHAPTER).symlink_to(target)
    status = _lab(course)
    assert not target.exists()
    assert status == 1
    assert f"refused: {CHAPTER} {LINK_REFUSED}" in capsys.readouterr().err
    assert (course / "03a-mechanisms.ipynb").is_file()  # the other chapters were copied


def test_lab_overwrite_does_not_write_the_backup_through_a_symlink(tmp_path, capsys):
    course = tmp_path / "course"
    assert _lab(course) == 0
    (course / CHAPTER).write_text("my edits", encoding="utf-8")
    outside = tmp_path / "precious.txt"
    outside.write_text("precious", encoding="utf-8")
    (course / f"{CHAPTER}.bak").symlink_to(outside)
    status = _lab(course, "--overwrite")
    assert outside.read_text(encoding="utf-8") == "precious"
    assert status == 1
    assert (course / CHAPTER).read_text(encoding="utf-8") == "my edits"  # no backup possible: not replaced
    assert f"refused: {CHAPTER}.bak {LINK_REFUSED}" in capsys.readouterr().err


def test_lab_does_not_write_into_a_symlinked_data_folder(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (course / "data").symlink_to(elsewhere, target_is_directory=True)
    status = _lab(course)
    assert list(elsewhere.iterdir()) == []
    assert status == 1
    err = capsys.readouterr().err
    assert f"refused: data {LINK_REFUSED} (it points to {elsewhere}); " in err
    assert err.count("refused:") == 1  # one line for the folder, not one per data file
    assert (course / "00-start-here.ipynb").is_file()


def test_lab_overwrite_of_an_edited_hard_linked_chapter_leaves_the_other_name_alone(tmp_path):
    course = tmp_path / "course"
    assert _lab(course) == 0
    (course / CHAPTER).write_text("my edits", encoding="utf-8")
    other = tmp_path / "other-name.ipynb"
    os.link(course / CHAPTER, other)
    assert _lab(course, "--overwrite") == 0
    assert other.read_text(encoding="utf-8") == "my edits"  # the copy replaced the name, not the file's bytes
    assert (course / f"{CHAPTER}.bak").read_text(encoding="utf-8") == "my edits"


# -- `progress` reads what it can --------------------------------------------------------------------------
MALFORMED = {
    "cells-is-a-number.ipynb": ('{"cells": 5}', "'cells' is a int, not a list"),
    "outputs-not-a-list.ipynb": (
        '{"cells": [{"cell_type": "code", "execution_count": 1, "outputs": 7}]}',
        "cell 0: 'outputs' is a int, not a list",
    ),
    "a-json-list.ipynb": ("[1, 2]", "it holds a JSON list, not a notebook (a JSON object)"),
    "not-json.ipynb": ("{not json", "not JSON (Expecting property name enclosed in double quotes: line 1 column 2"),
    "cell-not-an-object.ipynb": ('{"cells": [3]}', "cell 0 is a int, not an object"),
    "output-not-an-object.ipynb": (
        '{"cells": [{"cell_type": "code", "outputs": ["x"]}]}',
        "cell 0: output 0 is a str, not an object",
    ),
    "data-not-an-object.ipynb": (
        '{"cells": [{"cell_type": "code", "outputs": [{"output_type": "execute_result", "data": []}]}]}',
        "cell 0: output 0: 'data' is a list, not an object",
    ),
    "count-not-a-number.ipynb": (
        '{"cells": [{"cell_type": "code", "execution_count": "2", "outputs": []}]}',
        "cell 0: 'execution_count' is a str, not a whole number",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_progress_names_a_malformed_notebook_and_reads_the_others(tmp_path, capsys, name):
    ex = ac.exercises.get("01.cpu-bound")
    solved = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": 1,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [repr(ex.check(ex.reference))]}],
            }
        ]
    }
    (tmp_path / "zz-scratch.ipynb").write_text(json.dumps(solved), encoding="utf-8")  # read after the bad one
    text, reason = MALFORMED[name]
    (tmp_path / name).write_text(text, encoding="utf-8")
    assert main(["progress", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert line.startswith(f"skipped {name}: ")
    assert reason in line
    assert line.endswith("; open it in JupyterLab and save it again, or move it out of the course folder")
    assert re.search(r"^01\.cpu-bound +correct ", out, re.MULTILINE)  # the good notebooks still count
    assert "Traceback" not in err


# -- the two editions: `lab --lang`, and `progress` in the folder's language ---------------------------------------


def _first_code(path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "".join(next(c["source"] for c in cells if c["cell_type"] == "code"))


def test_lab_lang_zh_copies_the_chinese_edition_and_says_so_in_chinese(tmp_path, capsys):
    assert _lab(tmp_path / "course", "--lang", "zh") == 0
    out = capsys.readouterr().out
    assert out.startswith("课程文件夹：") and "新增：" in out
    chapters = sorted((tmp_path / "course").glob("*.ipynb"))
    assert [p.name for p in chapters] == sorted(p.name for p in ac.course.notebooks_dir("zh").glob("*.ipynb"))
    assert all('ac.set_language("zh")' in _first_code(p) for p in chapters)
    assert (tmp_path / "course" / "data" / "glossary.csv").is_file()


@pytest.mark.parametrize(("environ", "language"), [({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "C.UTF-8"}, "en")])
def test_lab_follows_the_locale_when_no_lang_is_given(tmp_path, monkeypatch, environ, language):
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environ.items():
        monkeypatch.setenv(variable, value)
    assert _lab(tmp_path / "course") == 0
    assert f'ac.set_language("{language}")' in _first_code(tmp_path / "course" / "00-start-here.ipynb")


def test_switching_a_folder_to_the_other_edition_replaces_shipped_chapters_and_keeps_edited_ones(tmp_path, capsys):
    course = tmp_path / "course"
    assert _lab(course, "--lang", "en") == 0
    edited = course / CHAPTER
    edited.write_text(edited.read_text(encoding="utf-8").replace("The three patterns", "My patterns"), encoding="utf-8")
    capsys.readouterr()
    assert _lab(course, "--lang", "zh") == 0
    out = capsys.readouterr().out
    assert f"已换成中文版：{len(list(course.glob('*.ipynb'))) - 1}" in out
    assert f"保留了你修改过的 {CHAPTER}" in out
    assert 'ac.set_language("zh")' in _first_code(course / "00-start-here.ipynb")
    assert 'ac.set_language("en")' in _first_code(edited) and "My patterns" in edited.read_text(encoding="utf-8")
    assert not list(course.glob("*.bak"))  # a shipped chapter is nobody's work: no backup needed


def test_progress_speaks_the_language_of_the_folder_unless_told(tmp_path, capsys):
    assert _lab(tmp_path / "zh", "--lang", "zh") == 0
    assert _lab(tmp_path / "en", "--lang", "en") == 0
    capsys.readouterr()
    assert main(["progress", str(tmp_path / "zh")]) == 0
    zh = capsys.readouterr().out
    assert zh.startswith("课程文件夹：") and "练习" in zh and "道练习中 0 道正确" in zh
    assert main(["progress", str(tmp_path / "en")]) == 0
    assert "exercises correct" in capsys.readouterr().out
    assert main(["progress", "--lang", "en", str(tmp_path / "zh")]) == 0
    assert "exercises correct" in capsys.readouterr().out
