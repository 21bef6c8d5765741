"""Loading the exercise registry: every chapter or a loud error, on every call."""

from __future__ import annotations

import re

import pytest

from asyncomm.course import exercises


@pytest.fixture
def broken_chapter(tmp_path, monkeypatch):
    """A chapter module ``ch99`` beside the real ones whose import fails, and a registry not loaded yet."""
    (tmp_path / "ch99.py").write_text(
        "from asyncomm.course import exercises\n"
        "exercises.ch99_imports.append(1)\n"
        "raise RuntimeError('chapter 99 is broken')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(exercises, "__path__", [*exercises.__path__, str(tmp_path)])
    monkeypatch.setattr(exercises, "ch99_imports", [], raising=False)
    monkeypatch.setattr(exercises, "_loaded", False)
    monkeypatch.setattr(exercises, "_broken", {})
    return exercises.ch99_imports


BROKEN = re.escape(
    "the exercises of ch99 could not be loaded, so the course's exercises are incomplete; "
    "ch99 raised RuntimeError: chapter 99 is broken"
)


def test_a_broken_chapter_raises_on_every_call_not_only_the_first(broken_chapter):
    for _ in range(3):
        with pytest.raises(ImportError, match=BROKEN) as caught:
            exercises.get("02b.fifo-order")  # an exercise of a healthy chapter: the registry is still incomplete
        assert isinstance(caught.value.__cause__, RuntimeError)
    with pytest.raises(ImportError, match=BROKEN):
        exercises.all_exercises()
    assert broken_chapter == [1], "the broken chapter is imported once, not again on every call"
    assert exercises._loaded is False


def test_the_registry_is_loaded_only_after_every_chapter_imported(broken_chapter, monkeypatch):
    with pytest.raises(ImportError):
        exercises.get("00.try-me")
    assert exercises._loaded is False
    monkeypatch.setattr(exercises, "_broken", {})
    monkeypatch.setattr(exercises, "__path__", exercises.__path__[:-1])  # the broken chapter is gone
    assert exercises.get("00.try-me").id == "00.try-me"
    assert exercises._loaded is True
