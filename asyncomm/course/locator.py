"""Where the course files are, and copying them somewhere a learner can edit.

Installed from a wheel, the notebooks and data live inside the package
(``asyncomm/course/``); in a source checkout or editable install they are the
repository's ``notebooks/`` and ``data/``. Everything else asks this module.
"""

from __future__ import annotations

import csv
import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CopyReport", "copy_course", "data_path", "glossary", "load_seed_example", "notebooks_dir"]

#: ``asyncomm/course/``: a wheel ships ``notebooks/`` and ``data/`` here; a checkout has them at the top.
_COURSE = Path(__file__).resolve().parent


def _course_root(kind: str) -> Path:
    for candidate in (_COURSE / kind, _COURSE.parent.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the course's {kind}/ folder is missing from this installation of asyncomm; "
        f"reinstall it with: pip install 'asyncomm[course]'"
    )


def notebooks_dir() -> Path:
    """The folder holding the shipped chapters ``00-start-here.ipynb`` ...

    >>> (notebooks_dir() / "00-start-here.ipynb").is_file()
    True
    """
    return _course_root("notebooks")


def data_path(name: str) -> Path:
    """The path of a shipped data file.

    >>> data_path("glossary.csv").name
    'glossary.csv'
    """
    path = _course_root("data") / name
    if not path.is_file():
        raise FileNotFoundError(f"no data file {name!r} in {path.parent}")
    return path


def load_seed_example() -> dict[str, Any]:
    """The seed's example program (``data/seed_example.py``), executed as published in a fresh namespace whose
    ``__name__`` keeps its ``main()`` from running: its classes and functions, bugs included.

    >>> seed = load_seed_example()
    >>> driver = seed["EventDriver"](); driver.register_listener(print)
    >>> driver.trigger_event()        # the seed calls each listener with no data: print() prints an empty line
    <BLANKLINE>
    """
    source = data_path("seed_example.py").read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "seed_example"}
    exec(compile(source, "seed_example.py", "exec"), namespace)  # the course's own shipped file, not user input
    return namespace


def glossary() -> list[dict[str, str]]:
    """The bilingual glossary: rows with ``term``, ``中文`` and ``definition``.

    >>> rows = glossary()
    >>> {"term", "中文", "definition"} <= set(rows[0])
    True
    """
    with data_path("glossary.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@dataclass
class CopyReport:
    """What :func:`copy_course` did with each file (names relative to ``target``).

    >>> import tempfile
    >>> report = copy_course(tempfile.mkdtemp())
    >>> "00-start-here.ipynb" in report.copied, report.kept
    (True, [])
    """

    target: Path
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the learner's edited copies, left alone
    replaced: list[str] = field(default_factory=list)


def _course_files() -> list[tuple[Path, str]]:
    files = [(p, p.name) for p in sorted(notebooks_dir().glob("*.ipynb"))]
    try:
        data = _course_root("data")
    except FileNotFoundError:
        data = None
    if data is not None:
        files += [(p, f"data/{p.name}") for p in sorted(data.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return files


def copy_course(target: Path | str, *, overwrite: bool = False) -> CopyReport:
    """Copy the chapters (and ``data/``) into ``target``, creating it.

    A file already there that differs from the shipped one is the learner's
    work: it is kept unless ``overwrite=True``, and then first saved as
    ``NAME.bak`` so nothing is lost.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = copy_course(folder)
    >>> _ = (folder / "02-core-concepts.ipynb").write_text("my notes")
    >>> copy_course(folder).kept
    ['02-core-concepts.ipynb']
    """
    target = Path(target).expanduser()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file; choose a folder for the course")
    report = CopyReport(target)
    for source, relative in _course_files():
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            shutil.copyfile(source, dest)
            report.copied.append(relative)
        elif filecmp.cmp(source, dest, shallow=False):
            report.unchanged.append(relative)
        elif overwrite:
            shutil.copyfile(dest, dest.with_name(dest.name + ".bak"))
            shutil.copyfile(source, dest)
            report.replaced.append(relative)
        else:
            report.kept.append(relative)
    return report
