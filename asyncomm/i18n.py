"""The course's two languages: what a learner *reads* in outputs follows one setting.

Every chapter exists in English and in Chinese (``notebooks/`` and ``notebooks/zh/``); the code cells of
the two editions are the same, except for one line at the top of each chapter::

    ac.set_language("zh")    # the Chinese edition; the English one says "en"

After it, exercise prompts, hints, feedback and solutions, widget buttons and labels, plot titles and axes,
and the ``progress`` report are in that language. Library *exception* messages stay English, as Python's own
do (the chapters explain the ones a learner meets), so a search engine finds them.

Strings the library shows are written in both languages where they are defined::

    >>> greeting = Text("hello", "你好")          # kept as both, shown in the current language
    >>> set_language("zh"); str(greeting), tr("queue", "队列")
    ('你好', '队列')
    >>> set_language("en"); str(greeting), tr("queue", "队列")
    ('hello', 'queue')

:class:`Text` is for strings made once and shown later (an exercise's prompt), :func:`tr` for strings made
when they are shown (a plot's title, a check's feedback).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

__all__ = ["LANGUAGES", "Text", "get_language", "language_from_locale", "set_language", "text", "tr"]

#: The course's languages: English and (simplified) Chinese.
LANGUAGES = ("en", "zh")

_language = "en"

# What a learner or a locale may call each language: "zh-CN", "zh_CN.UTF-8", "中文" ...
_ALIASES = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "chinese": "zh", "中文": "zh", "cn": "zh"}


def _normalise(language: str) -> str | None:
    name = language.strip().lower().replace("-", "_")
    if name in _ALIASES:
        return _ALIASES[name]
    base = name.split(".")[0].split("_")[0]  # zh_CN.UTF-8 -> zh, en_GB -> en
    return base if base in LANGUAGES else None


def set_language(language: str) -> None:
    """Show the course's texts in ``language``: ``"en"`` (English) or ``"zh"`` (Chinese, also ``"zh-CN"``).

    >>> set_language("zh-CN"); get_language()
    'zh'
    >>> set_language("fr")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the course speaks 'en' (English) and 'zh' (中文), got 'fr'; use ac.set_language("en") or ...
    >>> set_language("en")
    """
    global _language
    if not isinstance(language, str):
        raise TypeError(
            f"the language is a string, 'en' or 'zh', got {language!r} ({type(language).__name__}); "
            'use ac.set_language("en") or ac.set_language("zh")'
        )
    normal = _normalise(language)
    if normal is None:
        raise ValueError(
            f"the course speaks 'en' (English) and 'zh' (中文), got {language!r}; "
            'use ac.set_language("en") or ac.set_language("zh")'
        )
    _language = normal


def get_language() -> str:
    """The language the course's texts are shown in now: ``"en"`` or ``"zh"``.

    >>> get_language()
    'en'
    """
    return _language


def language_from_locale(environ: Mapping[str, str] | None = None) -> str:
    """The language a machine's locale asks for, as POSIX reads it (``LC_ALL``, then ``LC_MESSAGES``, then
    ``LANG``): Chinese for ``zh_*``, English for anything else.

    >>> language_from_locale({"LANG": "zh_CN.UTF-8"}), language_from_locale({"LANG": "C.UTF-8"})
    ('zh', 'en')
    >>> language_from_locale({"LC_ALL": "en_US.UTF-8", "LANG": "zh_TW.UTF-8"})
    'en'
    """
    environ = os.environ if environ is None else environ
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            return "zh" if _normalise(value) == "zh" else "en"
    return "en"


def tr(en: str, zh: str) -> str:
    """``en`` or ``zh``, whichever the current language is (for a string made when it is shown).

    >>> tr("3 messages", "3 条消息")
    '3 messages'
    """
    return zh if _language == "zh" else en


class Text:
    """A string in both languages, shown (``str()``) in the current one; ``+`` joins texts and strings.

    >>> prompt = Text("After this program: ", "运行这段程序后：") + "q.receive()"
    >>> prompt.en, prompt.zh
    ('After this program: q.receive()', '运行这段程序后：q.receive()')
    """

    __slots__ = ("en", "zh")

    def __init__(self, en: str, zh: str) -> None:
        if not isinstance(en, str) or not isinstance(zh, str):
            raise TypeError(f"a Text holds two strings, English and Chinese, got {en!r} and {zh!r}")
        self.en = en
        self.zh = zh

    def __str__(self) -> str:
        return self.zh if _language == "zh" else self.en

    def __repr__(self) -> str:
        return f"Text({self.en!r}, {self.zh!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.en, self.zh) == (other.en, other.zh)

    def __hash__(self) -> int:
        return hash((self.en, self.zh))

    def __add__(self, other: Any) -> Text:
        if isinstance(other, Text):
            return Text(self.en + other.en, self.zh + other.zh)
        if isinstance(other, str):
            return Text(self.en + other, self.zh + other)
        return NotImplemented

    def __radd__(self, other: Any) -> Text:
        if isinstance(other, str):
            return Text(other + self.en, other + self.zh)
        return NotImplemented

    def __contains__(self, part: str) -> bool:
        """Whether ``part`` is in the string shown now (as ``part in str(text)``)."""
        return part in str(self)

    def format(self, *args: Any, **kwargs: Any) -> Text:
        """Both strings formatted with the same values."""
        return Text(self.en.format(*args, **kwargs), self.zh.format(*args, **kwargs))

    def __getitem__(self, language: str) -> str:
        """The string in ``language`` ("en" or "zh"), whatever the current language is."""
        if language not in LANGUAGES:
            raise KeyError(f"a Text holds 'en' and 'zh', not {language!r}")
        return self.en if language == "en" else self.zh


def text(value: str | Text) -> str:
    """``value`` as shown now: a :class:`Text` in the current language, a plain string as it is.

    >>> text(Text("queue", "队列")), text("plain")
    ('queue', 'plain')
    """
    return str(value)
