"""``python -m asyncomm site [OUT]``: the course as a static website of both editions.

The shipped notebooks are rendered as they were committed, never run again (myst-nb with
``nb_execution_mode = "off"``): their outputs, plots and saved widget states are the ones the tests checked.
Each edition is one Sphinx build (``OUT/en``, ``OUT/zh``) in a child process: the two run at once (two cores),
and Sphinx's translations, which are global to a process, cannot leak from one edition into the other.
``OUT/index.html`` is the chapter map. Sphinx, myst-nb and sphinx-book-theme come with the ``site`` extra;
this module never imports them.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib.util import find_spec
from pathlib import Path

from asyncomm.course.locator import data_path, doc_path, folder_problem, notebooks_dir
from asyncomm.i18n import tr

__all__ = ["SiteError", "build_site", "chapters", "run_command"]

#: The site's own templates, CSS and vendored JavaScript (Sphinx copies ``static/`` into each edition).
FILES = Path(__file__).resolve().parent / "site_files"

# Vendored, so that the site works with no network (myst-nb and Sphinx would load these from CDNs):
# - static/vendor/html-manager/: dist/embed.js, its embed.js.LICENSE.txt and the three Font Awesome .woff2 files
#   it loads, from `npm pack @jupyter-widgets/html-manager@1.0.15`: the 1.x line renders ipywidgets 8's saved
#   state (model version 2.0.0), and embed.js bundles the base and controls widgets, so require.js is not needed.
#   LICENSE is ipywidgets' own (BSD-3-Clause; the npm package carries none).
# - static/vendor/mathjax/: es5/tex-chtml.js and es5/output/chtml/fonts/woff-v2/ from `npm pack mathjax@3.2.2`
#   (Apache-2.0, LICENSE beside them), for the chapters' $$ formulas.
# To update one: `npm pack` the new version, copy the same files over, then run tests/test_site.py.
WIDGETS_JS = "vendor/html-manager/embed.js"
MATHJAX_JS = "vendor/mathjax/tex-chtml.js"

#: Per edition: its folder in OUT, Sphinx's language (the theme's own words), the teacher's guide in docs/.
EDITIONS = {"en": ("en", "en", "teachers-guide.md"), "zh": ("zh", "zh_CN", "teachers-guide.zh-CN.md")}
#: A file in OUT saying asyncomm made it: a rebuild replaces only a folder that has it.
MARKER = ".asyncomm-site"
#: What the site command needs beyond the course, by module name.
NEEDED = ("sphinx", "myst_nb", "sphinx_book_theme")

#: The glossary's columns (data/glossary.csv) in each edition: its own language first.
COLUMNS = {"en": ("term", "中文", "definition"), "zh": ("中文", "term", "释义")}
#: The language switch of each edition: its label and tooltip, in the language it leads to.
SWITCH = {"en": ("中文版", "本页的中文版"), "zh": ("English", "This page in English")}
TEXT = {
    "en": {
        "title": "asyncomm — asynchronous communication, hands on",
        "site": "asyncomm",
        "intro": "A course you run: message queues, event-driven design and callbacks, taught with a small, "
        "tested Python library and a series of JupyterLab notebooks whose exercises check themselves. These pages "
        "show each chapter as it was last run, its outputs, plots and widgets as they were left. To run the "
        "chapters yourself: `pip install 'asyncomm[course]'`, then `python -m asyncomm lab`.",
        "chapters": "Chapters",
        "reference": "For reference",
        "glossary": "Glossary — 术语表",
    },
    "zh": {
        "title": "asyncomm — 动手学异步通信",
        "site": "asyncomm 中文版",
        "intro": "这是一门可以亲手运行的课程：消息队列、事件驱动和回调，用一个小而经过充分测试的 Python 库和一系列 "
        "JupyterLab 笔记本来讲，每个练习都能自动检查答案。这里的每一章都是最近一次运行后的样子，输出、图表和控件都"
        "保持运行结束时的状态。要自己运行这些章节：先 `pip install 'asyncomm[course]'`，"
        "再 `python -m asyncomm lab --lang zh`。",
        "chapters": "章节",
        "reference": "参考资料",
        "glossary": "术语表 — Glossary",
    },
}


class SiteError(Exception):
    """The site could not be built; the message is one line that says what to do."""


def _title(notebook: Path) -> str:
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return notebook.stem


def chapters(language: str) -> list[tuple[str, str]]:
    """``(page name, title)`` of every chapter of an edition, in order.

    >>> chapters("en")[0]
    ('00-start-here', '00 · Start here — 从这里开始')
    """
    return [(path.stem, _title(path)) for path in sorted(notebooks_dir(language).glob("*.ipynb"))]


def _cell(text: str) -> str:
    """Glossary text as one cell of a Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _glossary_page(language: str) -> str:
    columns = COLUMNS[language]
    with data_path("glossary.csv").open(encoding="utf-8", newline="") as f:
        rows = [[_cell(row[key]) for key in columns] for row in csv.DictReader(f)]
    lines = [f"# {TEXT[language]['glossary']}", "", "| " + " | ".join(columns) + " |", "|---|---|---|"]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)]) + "\n"


def _guide_page(language: str) -> str:
    """The teacher's guide, its links to chapters (``notebooks/zh/02b-....ipynb``) made links to the pages here."""
    text = doc_path(EDITIONS[language][2]).read_text(encoding="utf-8")
    return re.sub(r"\]\((?:\.\./)?notebooks/(?:zh/)?([\w.-]+\.ipynb)", r"](\1", text)


def _index_page(language: str, names: list[str]) -> str:
    text = TEXT[language]

    def toctree(caption: str, entries: list[str]) -> str:
        return "\n".join(["```{toctree}", ":maxdepth: 1", f":caption: {caption}", "", *entries, "```", ""])

    return "\n".join(
        [
            f"# {text['title']}",
            "",
            text["intro"],
            "",
            toctree(text["chapters"], names),
            toctree(text["reference"], ["glossary", "teachers-guide"]),
        ]
    )


def _conf(language: str) -> str:
    """The edition's ``conf.py``: Sphinx reads it as Python, so every value is written as its ``repr``."""
    other = next(lang for lang in EDITIONS if lang != language)
    label, title = SWITCH[language]
    settings: dict[str, object] = {
        "project": "asyncomm",
        "author": "the asyncomm team",
        "copyright": "the asyncomm team",
        "language": EDITIONS[language][1],
        "extensions": ["myst_nb"],
        "nb_execution_mode": "off",  # the committed outputs, never run again
        "nb_ipywidgets_js": {WIDGETS_JS: {}},  # relative: served from this edition's _static/
        "mathjax_path": MATHJAX_JS,
        "myst_enable_extensions": ["dollarmath"],  # the chapters' $$ formulas, as JupyterLab shows them
        "html_theme": "sphinx_book_theme",
        "html_title": TEXT[language]["site"],
        "html_static_path": [str(FILES / "static")],
        "html_css_files": ["asyncomm-site.css"],
        "html_js_files": ["asyncomm-site.js"],  # fixes for Sphinx's Chinese search and html-manager with MathJax 3
        "templates_path": [str(FILES / "templates")],
        "html_theme_options": {
            "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
            "home_page_in_toc": True,
        },
        "html_context": {
            "other_edition": {"root": f"../{EDITIONS[other][0]}/", "lang": other, "label": label, "title": title}
        },
        "html_last_updated_fmt": None,
    }
    return "".join(f"{name} = {value!r}\n" for name, value in settings.items())


def _stage(language: str, src: Path) -> None:
    """The source folder of one edition: its chapters, an index, the glossary, the teacher's guide, conf.py."""
    src.mkdir(parents=True)
    names = []
    for notebook in sorted(notebooks_dir(language).glob("*.ipynb")):
        shutil.copyfile(notebook, src / notebook.name)
        names.append(notebook.stem)
    pages = {
        "index.md": _index_page(language, names),
        "glossary.md": _glossary_page(language),
        "teachers-guide.md": _guide_page(language),
        "conf.py": _conf(language),
    }
    for name, text in pages.items():
        (src / name).write_text(text, encoding="utf-8")


def _landing_page() -> str:
    """``OUT/index.html``: the chapter map of the English edition, each chapter beside its Chinese one."""
    rows = "\n".join(
        f'<tr><td><a href="en/{name}.html">{html.escape(title)}</a></td>'
        f'<td><a href="zh/{name}.html" lang="zh" hreflang="zh">{html.escape(zh_title)}</a></td></tr>'
        for (name, title), (_, zh_title) in zip(chapters("en"), chapters("zh"), strict=True)
    )
    title = html.escape(TEXT["en"]["title"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; }}
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; }}
td, th {{ padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; border-bottom: 1px solid #8884; }}
table {{ border-collapse: collapse; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{html.escape(TEXT["en"]["intro"].split(" These pages")[0])}</p>
<p><a href="zh/index.html" lang="zh" hreflang="zh">中文版 (the Chinese edition)</a> ·
<a href="en/glossary.html">Glossary — 术语表</a> · <a href="en/teachers-guide.html">Teacher's guide</a></p>
<h2>The chapters</h2>
<table>
<thead><tr><th scope="col">English</th><th scope="col" lang="zh">中文版</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""


def _ownership_problem(out: Path) -> str | None:
    if out.is_dir() and not (out / MARKER).exists() and any(out.iterdir()):
        return tr(
            f"{out} is not empty and was not made by 'python -m asyncomm site'; choose a new or empty folder",
            f"{out} 不是空文件夹，也不是 'python -m asyncomm site' 生成的；请选择一个新的或空的文件夹",
        )
    return None


def _run_builds(stage: Path) -> None:
    """Both editions' Sphinx builds at once; SiteError with the end of Sphinx's report if one fails."""
    # Sphinx sets the locale the environment names and stops if it is not installed (LANG=zh_CN.UTF-8 in a bare
    # container); its output does not depend on it (conf.py gives the language), so it gets "C", always there,
    # and Python's UTF-8 mode.
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "1"}
    builds = {}
    for language, (folder, _, _) in EDITIONS.items():
        _stage(language, stage / "src" / folder)
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(stage / "doctrees" / folder)]
        log = (stage / f"{folder}.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [*command, str(stage / "src" / folder), str(stage / "html" / folder)], stdout=log, stderr=log, env=env
        )
        builds[folder] = (process, log)
    failed = []
    for folder, (process, log) in builds.items():
        if process.wait() != 0:
            failed.append(folder)
        log.close()
    if failed:
        report = (stage / f"{failed[0]}.log").read_text(encoding="utf-8").strip().splitlines()[-1:]
        raise SiteError(f"Sphinx could not build the {failed[0]} edition: {' '.join(report) or 'no message'}")


def _replace(new: Path, old: Path) -> None:
    """Put ``new`` where ``old`` is, removing ``old`` (a link is removed, never followed)."""
    if old.is_symlink() or old.is_file():
        old.unlink()
    elif old.is_dir():
        shutil.rmtree(old)
    os.replace(new, old)


def build_site(out: Path | str) -> Path:
    """Build the site of both editions into ``out`` (made if missing, rebuilt if an earlier build made it);
    returns its landing page. Raises SiteError, its message one line, if it cannot.

    >>> import pathlib, tempfile
    >>> notes = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"; _ = notes.write_text("mine")
    >>> build_site(notes)
    Traceback (most recent call last):
    asyncomm.course.site.SiteError: .../notes.txt is a file; choose a folder
    """
    out = Path(out).expanduser()
    missing = [name for name in NEEDED if find_spec(name) is None]
    if missing:
        raise SiteError(
            tr(
                f"the site command needs {', '.join(missing)}; install them with: pip install 'asyncomm[site]'",
                f"site 命令需要 {', '.join(missing)}；请用 pip install 'asyncomm[site]' 安装",
            )
        )
    problem = folder_problem(out, link_allowed=False) or _ownership_problem(out)
    if problem:
        raise SiteError(problem)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by python -m asyncomm site\n", encoding="utf-8")
    # Built beside OUT's old pages (same file system, so each swap is a rename), which stay until it succeeds.
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out) as tmp:
        stage = Path(tmp)
        _run_builds(stage)
        (stage / "html" / "index.html").write_text(_landing_page(), encoding="utf-8")
        for name in (*(folder for folder, _, _ in EDITIONS.values()), "index.html"):
            _replace(stage / "html" / name, out / name)
    return out / "index.html"


def run_command(out: Path | str) -> int:
    """What ``python -m asyncomm site`` does: build, say where; exit status 1 with one line if it cannot.

    >>> import tempfile
    >>> run_command(tempfile.mkstemp()[1])  # a file: "error: ... is a file; choose a folder" on stderr
    1
    """
    try:
        landing = build_site(out)
    except SiteError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(tr(f"Wrote the site to {landing.parent.resolve()}", f"网站已生成到 {landing.parent.resolve()}"))
    print(tr(f"  open {landing.resolve()} in a browser", f"  用浏览器打开 {landing.resolve()}"))
    return 0
