"""The glossary (data/glossary.csv) holds every term a chapter defines or puts in bold.

Found in the markdown of every chapter, whatever the chapters are called (they get split and renamed):

* **bold** phrases shaped like a term (a short phrase of words, no sentence, no code, no formula);
* explicit definitions: an emphasised phrase followed by its Chinese term or abbreviation in parentheses, as in
  ``*global interpreter lock* (GIL)`` or ``*broker* (消息代理)``;
* the terms named in issue 13, defined in running prose without any mark.

A bold phrase that is emphasis, not a term, goes in EMPHASIS below; a plural or other form of a glossary term
goes in ALIASES (plurals ending in -s / -es are matched without one).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import asyncomm as ac
from asyncomm.course.editions import cjk_share

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

BOLD = re.compile(r"\*\*([^*]+?)\*\*")
TERM_SHAPED = re.compile(r"[A-Za-z][A-Za-z0-9/'’-]+(?: [A-Za-z0-9/'’-]+){0,2}")  # 1-3 words, 2+ characters
DEFINED = re.compile(r"(?<!\*)(\*{1,2})([^*\n]{2,60}?)\1 \((?:[\u4e00-\u9fff][^)]*|[A-Z]{2,})\)")

#: Terms issue 13 names, defined in prose: they must be in the glossary whatever the markup.
REQUIRED = [
    "dead letter",
    "visibility timeout",
    "consumer group",
    "partition",
    "load shedding",
    "utilisation",
    "GIL",
    "ring buffer",
    "pipelining",
    "coroutine",
    "task",
    "cancellation",
]

#: Another form of a glossary term -> the term.
ALIASES = {
    "asynchronous": "asynchronous communication pattern",
    "asynchronous communication": "asynchronous communication pattern",
    "synchronous": "synchronous communication",
    "at-least-once": "at-least-once delivery",
    "at-most-once": "at-most-once delivery",
    "callback": "callback function",
    "callbacks": "callback function",
    "queue": "message queue",
    "trigger": "trigger an event",
    "triggers": "trigger an event",
    "named event": "event",
    "bound": "bounded queue",
    "bottleneck": "performance bottleneck",
    "cpu": "CPU-bound",
    "response speed": "response time",
    "virtual time": "virtual clock",
    "heap of timers": "timer heap",
    "effective rate": "effective arrival rate",
    "load": "utilisation",
    "partitioning": "partition",
    "compete": "competing consumers",
    "group": "consumer group",
    "network round trip": "round trip",
    "persist": "persistence",
}

#: Bold phrases that stress a word or label a row, not terms to look up.
EMPHASIS = {
    *("add up", "all", "and", "not", "one", "when", "who", "long", "right", "time", "stores", "fails"),
    *("correct", "incorrect", "not attempted", "corrected", "asyncomm", "slider", "jumps", "sequential"),
    *("send", "receive", "clear", "close", "closed", "remove", "registers", "wait", "wait for", "waits"),
    *("block", "drop", "unbounded", "as an array", "async vs sync", "choose by property", "choosing a pattern"),
    *("at trigger time", "when it started", "when tasks wait", "who from whom", "wants to react", "has news"),
    *("another process", "different programs", "several machines", "several processes", "processes or machines"),
    *("counts", "data", "name", "ids", "state", "front", "oldest", "growth", "element moves", "per operation"),
    *("exactly one", "one-to-one", "finished", "inline", "linearly"),
    *("more consumers", "survive the consumer", "overlap", "optimising"),
    *("passes the data", "properties", "received once", "sent once", "reduces resource usage", "resources"),
    *("rule of thumb", "slogans", "slow listeners", "time is real", "what changes", "what goes wrong"),
    *("without awaiting", "compute", "send with timeout", "receive with timeout"),
}


def _markdown() -> list[tuple[str, str]]:
    return [
        (path.name, "".join(cell["source"]))
        for path in NOTEBOOKS
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "markdown"
    ]


def _glossary_terms() -> set[str]:
    """Every term of the glossary, lower case, with both halves of "a / b" and of "term (abbreviation)"."""
    terms = set()
    for row in ac.course.glossary():
        for part in row["term"].lower().split(" / "):
            terms.add(part.strip())
            if found := re.fullmatch(r"(.+?) \((.+)\)", part.strip()):
                terms.update(found.groups())
    return terms


def _in_glossary(phrase: str, terms: set[str]) -> bool:
    phrase = " ".join(phrase.lower().split())
    phrase = ALIASES.get(phrase, phrase).lower()
    return any(form in terms for form in (phrase, phrase.removesuffix("s"), phrase.removesuffix("es")))


def _candidates() -> dict[str, set[str]]:
    """Term -> the chapters that put it in bold or define it."""
    found: dict[str, set[str]] = {}
    for notebook, text in _markdown():
        phrases = [" ".join(bold.split()) for bold in BOLD.findall(text)]
        phrases = [phrase for phrase in phrases if TERM_SHAPED.fullmatch(phrase)]
        phrases += [" ".join(match[1].split()) for match in DEFINED.findall(text)]
        for phrase in phrases:
            if phrase.lower() not in EMPHASIS:
                found.setdefault(phrase, set()).add(notebook)
    return found


def test_every_bold_or_defined_term_is_in_the_glossary():
    terms = _glossary_terms()
    missing = {phrase: sorted(where) for phrase, where in _candidates().items() if not _in_glossary(phrase, terms)}
    assert missing == {}, "add these to data/glossary.csv (or to EMPHASIS / ALIASES in this test)"


def test_the_terms_the_issue_names_are_in_the_glossary():
    terms = _glossary_terms()
    assert [term for term in REQUIRED if not _in_glossary(term, terms)] == []


def test_the_lists_of_this_test_do_not_go_stale():
    """An alias points at a real term, and every emphasis entry is still bold somewhere (or it is dead weight)."""
    terms = _glossary_terms()
    assert [alias for alias, term in ALIASES.items() if term.lower() not in terms] == []
    bold = {" ".join(phrase.split()).lower() for _, text in _markdown() for phrase in BOLD.findall(text)}
    assert sorted(EMPHASIS - bold) == []


def test_the_finder_sees_bold_terms_and_marked_definitions():
    text = "A **ring buffer** **The program crashes.** The *global interpreter lock* (GIL), *broker* (消息代理)"
    assert [phrase for phrase in BOLD.findall(text) if TERM_SHAPED.fullmatch(phrase)] == ["ring buffer"]
    assert [match[1] for match in DEFINED.findall(text)] == ["global interpreter lock", "broker"]


def test_every_row_has_a_term_a_chinese_term_and_a_one_sentence_definition():
    with (ROOT / "data" / "glossary.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["term", "中文", "definition", "释义"]
    seen = set()
    for term, chinese, definition, _ in rows[1:]:
        assert term.strip() == term and term.lower() not in seen, f"{term!r} is listed twice"
        seen.add(term.lower())
        assert re.search(r"[\u4e00-\u9fff]", chinese), f"{term}: no Chinese term"
        assert definition[:1].isupper() or definition[:1] in "μρλ", f"{term}: {definition!r}"
        assert definition.endswith("."), f"{term}: the definition is one sentence, ending with a full stop"


def test_every_row_has_a_chinese_definition():
    with (ROOT / "data" / "glossary.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 89
    for row in rows:
        definition = row["释义"]
        assert definition.strip() == definition and definition, f"{row['term']}: no Chinese definition"
        assert cjk_share(definition) >= 0.6, f"{row['term']}: the 释义 reads as English: {definition!r}"
        assert definition.endswith("。"), f"{row['term']}: the 释义 is one sentence, ending with 。"


def test_the_glossary_follows_the_language():
    english = ac.course.glossary()
    assert list(english[0]) == ["term", "中文", "definition"]
    try:
        ac.set_language("zh")
        chinese = ac.course.glossary()
    finally:
        ac.set_language("en")
    assert list(chinese[0]) == ["中文", "term", "释义"]
    assert [row["term"] for row in chinese] == [row["term"] for row in english]
    assert [row["中文"] for row in chinese] == [row["中文"] for row in english]
    assert chinese[0]["释义"].startswith("程序各部分之间")
    assert ac.course.glossary() == english  # back in English: the English rows again
