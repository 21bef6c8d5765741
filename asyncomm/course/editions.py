"""The two editions of the course, English (``notebooks/``) and Chinese (``notebooks/zh/``), kept in step.

The rules the tests hold both editions to (``tests/test_editions.py``):

* the same chapters, with the same cells in the same order (same cell ids and types);
* the same code, except the one language line in each chapter's first code cell
  (``ac.set_language("en")`` / ``ac.set_language("zh")``);
* every markdown cell of the Chinese edition is Chinese prose, and records which English text it translates:
  the cell's ``metadata["asyncomm"]["en_sha"]`` is a hash of the English cell's source. Editing the English
  prose changes the hash, and the test names the Chinese cells whose translation is now out of date.

The maintainer's loop: edit the English chapter, run ``python tools/sync_editions.py`` (code cells are copied,
new prose cells arrive in English to be translated), translate, then ``python tools/sync_editions.py --stamp
NAME`` to record the English texts the Chinese cells now follow, and re-execute both chapters.

This module holds the pure functions (no file is written here); ``tools/sync_editions.py`` is the command.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

__all__ = [
    "LANGUAGE_LINE",
    "cjk_share",
    "en_sha",
    "language_of_code",
    "prose_of",
    "stamp",
    "sync",
    "to_language",
]

#: The one line a chapter's code may differ by between editions.
LANGUAGE_LINE = 'ac.set_language("{language}")'
_LANGUAGE_LINE = re.compile(r'^ac\.set_language\("(en|zh)"\)(?=[ \t]*(?:#[^\n]*)?$)', re.MULTILINE)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# What is not prose in a markdown cell: fenced code, inline code, links' targets, HTML tags, math, URLs.
_NOT_PROSE = [
    re.compile(r"```.*?```", re.DOTALL),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"\]\([^)]*\)"),
    re.compile(r"<[^>\n]+>"),
    re.compile(r"\$\$.*?\$\$", re.DOTALL),
    re.compile(r"\$[^$\n]+\$"),
    re.compile(r"https?://\S+"),
]


def source_of(cell: dict[str, Any]) -> str:
    """A cell's source as one string (a notebook file may store it as a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def en_sha(source: str) -> str:
    """The hash a Chinese cell records of the English text it translates (12 hex digits of SHA-256).

    >>> en_sha("# Hello")
    '01c8de44e04d'
    """
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def language_of_code(source: str) -> str | None:
    """The language a code cell sets (``"en"``/``"zh"``), or None if it has no language line.

    >>> language_of_code('import asyncomm as ac\\nac.set_language("zh")  # 中文'), language_of_code("x = 1")
    ('zh', None)
    """
    match = _LANGUAGE_LINE.search(source)
    return match.group(1) if match else None


def to_language(source: str, language: str) -> str:
    """``source`` with its language line (if any) set to ``language``.

    >>> to_language('import asyncomm as ac\\nac.set_language("en")', "zh")
    'import asyncomm as ac\\nac.set_language("zh")'
    """
    return _LANGUAGE_LINE.sub(LANGUAGE_LINE.format(language=language), source)


def prose_of(markdown: str) -> str:
    """A markdown cell's prose: its text without code, link targets, HTML tags, math or URLs.

    >>> prose_of("See [chapter 03a](03a-mechanisms.ipynb): `q.send(x)` costs $O(1)$.").split()
    ['See', '[chapter', '03a', ':', 'costs', '.']
    """
    for pattern in _NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    return markdown


def cjk_share(markdown: str) -> float:
    """How Chinese a markdown cell's prose is: Chinese characters / (Chinese characters + English words).

    An English word is two or more Latin letters outside code, so ``FIFO``, ``asyncio`` or a glossary term in
    brackets count against the share: a cell of Chinese prose scores well above 0.8, an English one 0.

    >>> cjk_share("消息队列（message queue）是先进先出的。"), cjk_share("A queue is `FIFO`.")
    (0.8333333333333334, 0.0)
    """
    prose = prose_of(markdown)
    chinese = len(_CJK.findall(prose))
    english = len(_LATIN_WORD.findall(prose))
    return chinese / (chinese + english) if chinese + english else 1.0


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = cell.setdefault("metadata", {}).setdefault("asyncomm", {})
    return meta


def _alt_text(cell: dict[str, Any]) -> str | None:
    """The alt text of a code cell's figures (``metadata.mystnb.image.alt``, read when the website is built)."""
    alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")
    return alt if isinstance(alt, str) else None


def sync(en: dict[str, Any], zh: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The Chinese edition of chapter ``en``, given its current Chinese edition ``zh`` (None: none yet).

    Returns the new notebook and a list of what needs a person (one line per cell): prose to translate,
    code to execute. Code cells come from ``en`` (language line set to zh); a Chinese code cell whose code
    did not change keeps its outputs, and every Chinese code cell keeps its figures' Chinese alt text (an
    English one with no Chinese yet is flagged for translation). Prose cells keep their Chinese text (and
    stamp), matched by cell id; a new one arrives in English, unstamped.

    >>> en = {"metadata": {}, "cells": [{"id": "a", "cell_type": "markdown", "metadata": {}, "source": "Hi"},
    ...        {"id": "b", "cell_type": "code", "metadata": {}, "source": 'ac.set_language("en")', "outputs": []}]}
    >>> zh, todo = sync(en, None)
    >>> zh["cells"][1]["source"], todo
    ('ac.set_language("zh")', ['cell 0 (a): new prose: translate it', 'cell 1 (b): code changed: execute the chapter'])
    """
    old = {cell.get("id"): cell for cell in (zh or {}).get("cells", [])}
    cells, todo = [], []
    for position, cell in enumerate(en["cells"]):
        previous = old.get(cell.get("id"))
        if cell["cell_type"] == "code":
            code = to_language(source_of(cell), "zh")
            if previous is not None and previous["cell_type"] == "code" and source_of(previous) == code:
                new = copy.deepcopy(previous)
            else:
                new = copy.deepcopy(cell)
                new["source"], new["outputs"], new["execution_count"] = code, [], None
                todo.append(f"cell {position} ({cell.get('id')}): code changed: execute the chapter")
            new["metadata"] = copy.deepcopy(cell.get("metadata", {}))
            # A figure's alt text (myst-nb's cell option) is prose in the edition's language: keep the Chinese one.
            alt = _alt_text(previous) if previous is not None and previous["cell_type"] == "code" else None
            if alt is not None and previous is not None:
                new["metadata"].setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
                alt_stamp = previous.get("metadata", {}).get("asyncomm", {}).get("alt_en_sha")
                if alt_stamp is not None:
                    _meta(new)["alt_en_sha"] = alt_stamp
                if alt_stamp != en_sha(_alt_text(cell) or ""):
                    todo.append(
                        f"cell {position} ({cell.get('id')}): the English alt text changed: update its translation"
                    )
            elif _alt_text(cell) is not None:
                todo.append(f"cell {position} ({cell.get('id')}): new alt text of a figure: translate it")
        elif previous is not None and previous["cell_type"] == cell["cell_type"]:
            new = copy.deepcopy(previous)
            if new.get("metadata", {}).get("asyncomm", {}).get("en_sha") != en_sha(source_of(cell)):
                todo.append(f"cell {position} ({cell.get('id')}): the English text changed: update the translation")
        else:
            new = copy.deepcopy(cell)
            _meta(new).pop("en_sha", None)
            todo.append(f"cell {position} ({cell.get('id')}): new prose: translate it")
        cells.append(new)
    notebook = copy.deepcopy(en)
    notebook["cells"] = cells
    if zh is not None and "widgets" in zh.get("metadata", {}):
        notebook["metadata"]["widgets"] = copy.deepcopy(zh["metadata"]["widgets"])  # saved widget state: its own
    else:
        notebook["metadata"].pop("widgets", None)
    return notebook, todo


def stamp(en: dict[str, Any], zh: dict[str, Any], *, minimum_share: float = 0.6) -> list[str]:
    """Record, in each Chinese prose cell of ``zh``, the hash of the English text it now translates.

    A cell still in English (Chinese share below ``minimum_share``) is not stamped: it is listed in the
    returned lines instead, with the stamped ones left as they are.

    >>> en = {"cells": [{"id": "a", "cell_type": "markdown", "source": "Hi"}]}
    >>> zh = {"cells": [{"id": "a", "cell_type": "markdown", "source": "你好"}]}
    >>> stamp(en, zh), zh["cells"][0]["metadata"]["asyncomm"]["en_sha"] == en_sha("Hi")
    ([], True)
    """
    english = {cell.get("id"): cell for cell in en["cells"]}
    left = []
    for position, cell in enumerate(zh["cells"]):
        original = english.get(cell.get("id"))
        if cell["cell_type"] == "code":
            # A figure's Chinese alt text is stamped like prose, with the hash of the English alt it translates.
            alt, english_alt = _alt_text(cell), _alt_text(original) if original is not None else None
            if alt is not None and english_alt is not None and cjk_share(alt) >= minimum_share:
                _meta(cell)["alt_en_sha"] = en_sha(english_alt)
            continue
        if original is None:
            left.append(f"cell {position} ({cell.get('id')}): not in the English edition")
        elif cjk_share(source_of(cell)) < minimum_share:
            left.append(f"cell {position} ({cell.get('id')}): still reads as English, not stamped")
        else:
            _meta(cell)["en_sha"] = en_sha(source_of(original))
    return left
