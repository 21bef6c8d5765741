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
    listed = re.findall(r"^  - ([A-Za-z0-9_.-]+)", (root / "environment.yml").read_text(encoding="utf-8"), re.M)
    conda_name = {"redis": "redis-py"}  # on conda-forge, "redis" is an old client; redis-py is the current one
    pip_only = {"mplfonts"}  # not on conda-forge: the pip section's -e ".[test]" installs it
    extras = project["optional-dependencies"]
    for requirement in extras["course"] + extras["redis"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0)
        if name in pip_only:
            continue
        assert conda_name.get(name, name) in listed, f"{name} is missing from environment.yml"
    assert "redis-server" in listed
    assert '-e ".[test]"' in (root / "environment.yml").read_text(encoding="utf-8")
