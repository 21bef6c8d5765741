"""The teacher's guide (``docs/teachers-guide.md`` and its Chinese edition) covers the course as it is.

Every chapter has a section in both; every exercise of the registry is named in both; the Chinese guide is
Chinese prose; and every ``python -m asyncomm`` command the guides show is one the real command line accepts,
the ``progress`` ones run on a fresh copy of the course, and the summary lines they show are in the form and
count ``progress`` prints today.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from asyncomm.__main__ import build_parser, main
from asyncomm.course.editions import cjk_share
from asyncomm.course.exercises import all_exercises
from asyncomm.course.locator import copy_course, notebooks_dir

ROOT = Path(__file__).resolve().parents[1]
GUIDES = {"en": ROOT / "docs" / "teachers-guide.md", "zh": ROOT / "docs" / "teachers-guide.zh-CN.md"}
CHAPTERS = sorted(path.stem for path in notebooks_dir("en").glob("*.ipynb"))
COMMAND = re.compile(r"python -m asyncomm ([^|)\n]*)")
FENCE = re.compile(r"```[a-z]*\n(.*?)```", re.DOTALL)
# The summary line of a progress report, in each language (asyncomm.course.progress.report).
SUMMARY = {
    "en": re.compile(r"(\d+) of (\d+) exercises correct; (\d+) incorrect, (\d+) not attempted, (\d+) not run$"),
    "zh": re.compile(r"(\d+) 道练习中 (\d+) 道正确；(\d+) 道不正确，(\d+) 道未作答，(\d+) 道未运行$"),
}


def text(language: str) -> str:
    return GUIDES[language].read_text(encoding="utf-8")


def sections(language: str) -> dict[str, str]:
    """Each chapter's section of a guide: from the heading naming its notebook to the next heading."""
    found = {}
    for match in re.finditer(r"^### ([^\n]*)\n(.*?)(?=^##)", text(language), re.MULTILINE | re.DOTALL):
        for chapter in CHAPTERS:
            if f"`{chapter}`" in match[1]:
                found[chapter] = match[2]
    return found


def commands(language: str) -> list[list[str]]:
    """The arguments of every ``python -m asyncomm`` command in a guide's code blocks."""
    blocks = "\n".join(FENCE.findall(text(language)))
    return [shlex.split(match.strip()) for match in COMMAND.findall(blocks)]


@pytest.mark.parametrize("language", GUIDES)
def test_the_guide_exists_and_has_a_section_per_chapter(language):
    assert GUIDES[language].is_file(), f"missing {GUIDES[language].relative_to(ROOT)}"
    assert len(CHAPTERS) == 12
    assert sorted(sections(language)) == CHAPTERS


@pytest.mark.parametrize("language", GUIDES)
def test_each_chapter_section_names_its_exercises_and_where_the_answers_live(language):
    by_chapter: dict[str, list[str]] = {}
    for ex in all_exercises():
        by_chapter.setdefault(ex.id.split(".")[0], []).append(ex.id)
    for chapter, section in sections(language).items():
        for exercise_id in by_chapter[chapter.split("-")[0]]:
            assert f"`{exercise_id}`" in section, f"{language}: {chapter} does not name {exercise_id}"
            assert f'ac.solution("{exercise_id}")' in section, f"{language}: no answer given for {exercise_id}"


@pytest.mark.parametrize("language", GUIDES)
def test_every_exercise_of_the_registry_is_in_the_guide(language):
    missing = [ex.id for ex in all_exercises() if f"`{ex.id}`" not in text(language)]
    assert missing == []


@pytest.mark.parametrize("language", GUIDES)
def test_the_source_files_the_guide_names_exist(language):
    named = set(re.findall(r"asyncomm/course/exercises/(ch\d\d[a-z]?\.py)", text(language)))
    assert named, "the guide names no exercise source file"
    assert sorted(name for name in named if not (ROOT / "asyncomm" / "course" / "exercises" / name).is_file()) == []


def test_the_chinese_guide_is_chinese_and_the_english_one_english():
    assert cjk_share(text("zh")) >= 0.85
    for chapter, section in sections("zh").items():
        assert cjk_share(section) >= 0.75, f"the Chinese guide's section on {chapter} is not Chinese enough"
    assert cjk_share(text("en")) < 0.05


def test_the_chinese_guide_has_no_line_break_inside_a_chinese_sentence():
    """A break between two Chinese characters becomes a stray space when the page is rendered."""
    prose = FENCE.sub("", text("zh"))
    cjk = r"[\u3400-\u9fff，。；：、（）“”]"
    assert re.findall(rf"{cjk}\n{cjk}", prose) == []


@pytest.mark.parametrize("language", GUIDES)
def test_every_command_the_guide_shows_is_accepted_by_the_real_parser(language):
    shown = commands(language)
    assert {args[0] for args in shown} >= {"lab", "progress"}
    parser = build_parser()
    for args in shown:
        parsed = parser.parse_args(args)  # an unknown option or value exits (SystemExit): the test fails
        assert parsed.command in ("lab", "progress", "bench")


@pytest.mark.parametrize("language", GUIDES)
def test_the_progress_commands_the_guide_shows_run_on_a_copy_of_the_course(language, tmp_path, capsys):
    folder = tmp_path / "course"
    copy_course(folder, language=language)
    parser = build_parser()
    runs = [args for args in commands(language) if args[0] == "progress"]
    assert len(runs) >= 3
    for args in runs:
        directory = str(parser.parse_args(args).directory)
        argv = [str(folder) if token == directory else token for token in args]
        assert main(argv) == 0, argv
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines[0].startswith(("Course folder:", "课程文件夹：")), lines[0]
        report_language = "zh" if "课程文件夹" in lines[0] else "en"
        counts = SUMMARY[report_language].match(lines[-1])
        assert counts, lines[-1]


@pytest.mark.parametrize("language", GUIDES)
def test_the_summary_lines_the_guide_shows_count_the_exercises_progress_counts(language):
    """Progress counts every exercise but chapter 00's warm-up; a guide showing another total is out of date."""
    total = sum(not ex.id.startswith("00.") for ex in all_exercises())
    shown = []
    for block in FENCE.findall(text(language)):
        for line in block.splitlines():
            for form in SUMMARY.values():
                if match := form.search(line):
                    numbers = [int(n) for n in match.groups()]
                    # en: correct, total, ...; zh: total, correct, ...
                    total_shown = numbers[1] if form is SUMMARY["en"] else numbers[0]
                    outcomes = numbers[:1] + numbers[2:] if form is SUMMARY["en"] else numbers[1:]
                    shown.append((total_shown, sum(outcomes)))
    assert len(shown) >= 4
    assert all(pair == (total, total) for pair in shown), shown
