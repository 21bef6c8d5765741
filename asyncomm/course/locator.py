"""Where the course files are, and copying them somewhere a learner can edit.

Installed from a wheel, the notebooks and data live inside the package
(``asyncomm/course/``); in a source checkout or editable install they are the
repository's ``notebooks/`` and ``data/``. Everything else asks this module.
"""

from __future__ import annotations

import csv
import filecmp
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncomm.i18n import LANGUAGES, get_language, tr

__all__ = [
    "CopyReport",
    "copy_course",
    "data_path",
    "doc_path",
    "folder_problem",
    "glossary",
    "load_seed_example",
    "notebooks_dir",
]

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


def notebooks_dir(language: str = "en") -> Path:
    """The folder holding the shipped chapters ``00-start-here.ipynb`` ... of one edition: ``"en"`` (English,
    the default) or ``"zh"`` (Chinese, the ``zh/`` folder beside them; same file names).

    >>> (notebooks_dir() / "00-start-here.ipynb").is_file(), notebooks_dir("zh").name
    (True, 'zh')
    """
    if language not in LANGUAGES:
        raise ValueError(f"the course has the editions {', '.join(map(repr, LANGUAGES))}, got {language!r}")
    root = _course_root("notebooks")
    return root if language == "en" else root / language


def _shipped_file(folder: str, name: str, what: str) -> Path:
    path = _course_root(folder) / name
    if not path.is_file():
        raise FileNotFoundError(f"no {what} {name!r} in {path.parent}")
    return path


def data_path(name: str) -> Path:
    """The path of a shipped data file.

    >>> data_path("glossary.csv").name
    'glossary.csv'
    """
    return _shipped_file("data", name, "data file")


def doc_path(name: str) -> Path:
    """The path of a shipped page of ``docs/`` (the teacher's guide; a wheel ships it inside the package).

    >>> doc_path("teachers-guide.md").name
    'teachers-guide.md'
    """
    return _shipped_file("docs", name, "page")


def folder_problem(path: Path, *, link_allowed: bool) -> str | None:
    """Why ``path`` cannot be the folder a command writes into, as one line that says what to do; None if it can.

    A file cannot; nor can a symbolic link unless ``link_allowed`` and it leads to a folder (asyncomm never
    writes through a link it was not told to follow).

    >>> import tempfile
    >>> folder_problem(Path(tempfile.mkdtemp()) / "new", link_allowed=False) is None
    True
    """
    if path.is_symlink() and not (link_allowed and path.is_dir()):
        return tr(
            f"{path} is a symbolic link (to {os.readlink(path)}); asyncomm never writes through a link: "
            f"choose another folder, or remove the link",
            f"{path} 是一个符号链接（指向 {os.readlink(path)}）；asyncomm 从不通过链接写入："
            f"请换一个文件夹，或删除该链接",
        )
    if path.exists() and not path.is_dir():
        return tr(f"{path} is a file; choose a folder", f"{path} 是一个文件；请选择一个文件夹")
    return None


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
    """The bilingual glossary, one dict per term, its keys in the course's language order (``ac.set_language``).

    In English: ``term``, ``中文`` and ``definition``; in Chinese: ``中文``, ``term`` and ``释义`` (the Chinese
    definition), so that a table of it shows the Chinese first.

    >>> from asyncomm.i18n import set_language
    >>> list(glossary()[0])
    ['term', '中文', 'definition']
    >>> set_language("zh"); list(glossary()[0])
    ['中文', 'term', '释义']
    >>> set_language("en")
    """
    with data_path("glossary.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    keys = ("中文", "term", "释义") if get_language() == "zh" else ("term", "中文", "definition")
    return [{key: row[key] for key in keys} for row in rows]


@dataclass
class CopyReport:
    """What :func:`copy_course` did with each file (names relative to ``target``).

    >>> import tempfile
    >>> report = copy_course(tempfile.mkdtemp())
    >>> "00-start-here.ipynb" in report.copied, report.kept, report.refused
    (True, [], [])
    """

    target: Path
    copied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # the learner's edited copies, left alone
    replaced: list[str] = field(default_factory=list)
    #: Chapters that were exactly the other edition's shipped file, now this edition's (no backup needed).
    switched: list[str] = field(default_factory=list)
    #: One line per place a copy would have had to write through a symbolic link (or where a file stands
    #: in for the data folder): nothing was written there. Each line says what to do.
    refused: list[str] = field(default_factory=list)


def _course_files(language: str) -> list[tuple[Path, str]]:
    files = [(p, p.name) for p in sorted(notebooks_dir(language).glob("*.ipynb"))]
    try:
        data = _course_root("data")
    except FileNotFoundError:
        data = None
    if data is not None:
        files += [(p, f"data/{p.name}") for p in sorted(data.iterdir()) if p.is_file() and not p.name.startswith(".")]
    return files


def _link_refused(path: Path, relative: str, what: str) -> str:
    return (
        f"{relative} is a symbolic link; asyncomm never writes through a link (it points to "
        f"{os.readlink(path)}); remove the link and run again to get the shipped {what}"
    )


def _refuse(report: CopyReport, reason: str) -> None:
    if reason not in report.refused:  # a linked data/ folder is named once, not once per data file
        report.refused.append(reason)


def _replace_with_copy(source: Path, dest: Path) -> None:
    """Copy ``source`` to ``dest`` by writing a new file beside it and renaming it over ``dest``.

    A rename replaces the directory entry, never the file behind it: a hard link elsewhere keeps its bytes,
    and a half-written copy (disk full, Ctrl-C) never takes the learner's chapter's place.
    """
    temporary = dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.tmp")
    try:
        # O_EXCL: a new file, never an existing one (or a link); mode 0o666 less the umask, as a plain copy
        # gets (tempfile.mkstemp would make it private to the owner).
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        os.replace(temporary, dest)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _shipped_elsewhere(dest: Path, relative: str, language: str) -> bool:
    """Whether ``dest`` is, byte for byte, the other edition's shipped chapter: nobody's work, so switching
    a folder from one language to the other replaces it without a backup."""
    if "/" in relative:  # a data file: the same in both editions
        return False
    others = (notebooks_dir(other) / relative for other in LANGUAGES if other != language)
    return any(shipped.is_file() and filecmp.cmp(shipped, dest, shallow=False) for shipped in others)


def copy_course(target: Path | str, *, overwrite: bool = False, language: str = "en") -> CopyReport:
    """Copy the chapters of one edition (``language``: ``"en"`` or ``"zh"``) and ``data/`` into ``target``,
    creating it.

    A file already there that differs from the shipped one is the learner's
    work: it is kept unless ``overwrite=True``, and then first saved as
    ``NAME.bak`` so nothing is lost. A chapter still exactly as the *other* edition shipped it is replaced
    (that is a learner switching languages, and nothing of theirs is in it).

    Nothing is ever written through a symbolic link inside ``target`` (a chapter, its ``.bak``, the ``data``
    folder): the file or folder it points to may be anyone's. Such a place is left alone and named in
    :attr:`CopyReport.refused`; the other files are copied as usual.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = copy_course(folder)
    >>> _ = (folder / "02b-three-patterns.ipynb").write_text("my notes")
    >>> copy_course(folder).kept
    ['02b-three-patterns.ipynb']
    """
    target = Path(target).expanduser()
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file; choose a folder for the course")
    report = CopyReport(target)
    for source, relative in _course_files(language):
        dest = target / relative
        # The link a write to dest would go through, if any: dest itself (even a dangling one: exists() says
        # False, and a copy would create the file it points to), or the data/ folder.
        link = next((p for p in (dest.parent, dest) if p != target and p.is_symlink()), None)
        if link is None and not dest.parent.is_dir() and dest.parent.exists():
            _refuse(report, f"{dest.parent.name} is a file, not a folder; move it away and run again")
            continue
        if link is None:
            dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists() and filecmp.cmp(source, dest, shallow=False):
            report.unchanged.append(relative)  # reading through a link is harmless
        elif dest.exists() and link is None and not dest.is_symlink() and _shipped_elsewhere(dest, relative, language):
            _replace_with_copy(source, dest)
            report.switched.append(relative)
        elif dest.exists() and not overwrite:
            report.kept.append(relative)
        elif link is not None:
            what = "data files" if link != dest else "chapter" if dest.parent == target else "data file"
            _refuse(report, _link_refused(link, link.relative_to(target).as_posix(), what))
        elif not dest.exists():
            _replace_with_copy(source, dest)
            report.copied.append(relative)
        else:
            backup = dest.with_name(dest.name + ".bak")
            if backup.is_symlink():  # the chapter stays as it is: without a backup, replacing it would lose it
                _refuse(report, _link_refused(backup, f"{relative}.bak", "chapter"))
                continue
            _replace_with_copy(dest, backup)
            _replace_with_copy(source, dest)
            report.replaced.append(relative)
    return report
