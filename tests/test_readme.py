"""The README's library tour runs and prints what its comments promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_library_tour_runs():
    code = re.search(r"## The library in one screen\n\n```python\n(.*?)```", README, re.S).group(1)
    code = code.replace("clock.run(main())", "print(clock.run(main()))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[:2] == ["10.0", "['a', 'b']"]
    assert lines[2].startswith("QueueStatistics(name='jobs', ready=0, maxsize=0, closed=True, ")
    assert lines[3:5] == ["hello Ada", "('ping', 70.0)"]


def test_quick_start_has_exactly_two_commands():
    block = re.search(r"## Quick start\n.*?```bash\n(.*?)```", README, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[0].endswith("python -m asyncomm lab") and commands[1].endswith(".venv/bin/pytest")


def test_environment_yml_gives_conda_users_the_same_dependencies():
    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    # conda packages ("  - name"), and the few that conda-forge lacks, from PyPI ("      - name" under pip:)
    listed = re.findall(
        r"^ {2}(?: {4})?- ([A-Za-z0-9_.-]+)", (root / "environment.yml").read_text(encoding="utf-8"), re.M
    )
    conda_name = {"redis": "redis-py"}  # on conda-forge, "redis" is an old client; redis-py is the current one
    extras = project["optional-dependencies"]
    for requirement in extras["course"] + extras["redis"] + extras["zh"] + extras["site"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        assert conda_name.get(name, name) in listed, f"{name} is missing from environment.yml"
    assert "redis-server" in listed
    assert '-e ".[test]"' in (root / "environment.yml").read_text(encoding="utf-8")


ROOT = Path(__file__).resolve().parents[1]
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")


def _quick_start(text: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line]


def test_the_chinese_readme_has_the_same_quick_start_and_each_readme_links_the_other():
    assert _quick_start(README_ZH) == _quick_start(README.split("## Quick start", 1)[1])
    assert "(README.zh-CN.md)" in README and "(README.md)" in README_ZH


def test_the_chinese_readme_names_every_chapter_and_the_jupyterlab_language_pack():
    import tomllib

    chapters = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert all(f"`{name}`" in README_ZH for name in chapters)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert extras["zh"] == ["jupyterlab-language-pack-zh-CN"]
    assert "jupyterlab-language-pack-zh-CN" in README_ZH and "pip install '.[zh]'" in README_ZH
    assert "--lang zh" in README_ZH
