"""A Chinese font for the plots, so that ``ac.set_language("zh")`` draws Chinese labels, never tofu boxes.

matplotlib's default font (DejaVu Sans) has no Chinese glyphs. :func:`use_cjk_font` finds one: first a font
installed on the machine (Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, Microsoft YaHei, PingFang ...),
else the Noto Sans CJK SC that the PyPI package ``mplfonts`` ships (registered with matplotlib for this session
only; nothing is written anywhere). It puts that family first in ``rcParams["font.sans-serif"]``, with DejaVu
Sans after it for the Latin and mathematical glyphs it lacks.

The plotting functions of :mod:`asyncomm.labs` ask :func:`plot_tr` for each title, axis label and legend
entry: Chinese when the course speaks Chinese *and* a Chinese font was found, English otherwise (with a
one-line note, printed once, saying how to get the font).

``import asyncomm`` does not import this module, nor matplotlib: both load when a plot is drawn.

>>> from asyncomm.i18n import set_language
>>> plot_tr("time (s)", "时间（秒）")                 # the course speaks English
'time (s)'
>>> set_language("zh"); label = plot_tr("time (s)", "时间（秒）"); set_language("en")
>>> label == "时间（秒）" or label == "time (s)"    # Chinese where a Chinese font is found (mplfonts has one)
True
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from asyncomm.i18n import get_language

__all__ = ["CANDIDATES", "NO_FONT_NOTE", "cjk_font", "labels_language", "plot_tr", "use_cjk_font"]

#: Families with Chinese glyphs, in order of preference (simplified Chinese first).
CANDIDATES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "SimHei",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans",
    "Noto Sans CJK",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

#: The fonts of the ``mplfonts`` package tried, in order, when the machine has none of :data:`CANDIDATES`.
MPLFONTS_FILES = ("NotoSansCJKsc-Regular.otf", "SimHei.ttf")

NO_FONT_NOTE = "no Chinese font found: plots keep English labels; pip install mplfonts"

_UNSET = object()
_found: object = _UNSET  # the family found (str), None when there is none; looked up once
_noted = False


def _installed_family() -> str | None:
    """The first of :data:`CANDIDATES` that matplotlib knows of on this machine."""
    from matplotlib import font_manager

    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CANDIDATES if family in names), None)


def _mplfonts_dir() -> Path | None:
    """The ``fonts`` folder of the installed ``mplfonts`` package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return folder if folder.is_dir() else None


def _mplfonts_family() -> str | None:
    """Register a Chinese font shipped by ``mplfonts`` with matplotlib (this process only); its family."""
    from matplotlib import font_manager

    folder = _mplfonts_dir()
    if folder is None:
        return None
    for file in MPLFONTS_FILES:
        path = folder / file
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return str(font_manager.FontProperties(fname=str(path)).get_name())
    return None


def cjk_font() -> str | None:
    """The family of a Chinese font matplotlib can use (looked up once per session), or None.

    >>> family = cjk_font()          # "Noto Sans CJK SC" where mplfonts is installed
    >>> family is None or isinstance(family, str)
    True
    """
    global _found
    if _found is _UNSET:
        _found = _installed_family() or _mplfonts_family()
    return _found if isinstance(_found, str) else None


def use_cjk_font() -> str | None:
    """Put a Chinese font first in matplotlib's sans-serif list (DejaVu Sans after it, for what it lacks);
    return its family, or None when there is none (then print, once, how to get one).

    >>> import matplotlib
    >>> with matplotlib.rc_context():
    ...     family = use_cjk_font()
    ...     family is None or matplotlib.rcParams["font.sans-serif"][:2] == [family, "DejaVu Sans"]
    True
    """
    global _noted
    family = cjk_font()
    if family is None:
        if not _noted:
            _noted = True
            print(NO_FONT_NOTE)
        return None
    import matplotlib as mpl

    sans = [name for name in mpl.rcParams["font.sans-serif"] if name not in (family, "DejaVu Sans")]
    mpl.rcParams["font.sans-serif"] = [family, "DejaVu Sans", *sans]
    # matplotlib falls back glyph by glyph along font.family (not along font.sans-serif): DejaVu Sans draws
    # what the Chinese font lacks (✗, some arrows and mathematical signs).
    mpl.rcParams["font.family"] = ["sans-serif", "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False  # a Chinese font may lack U+2212: the hyphen is in every font
    return family


def labels_language() -> str:
    """The language of plot labels: the course's, except ``"en"`` when it is Chinese and no font can draw it.

    >>> labels_language()            # the course speaks English
    'en'
    """
    if get_language() != "zh":
        return "en"
    return "zh" if use_cjk_font() is not None else "en"


def plot_tr(en: str, zh: str) -> str:
    """``zh`` when plot labels are Chinese (see :func:`labels_language`), else ``en``.

    >>> plot_tr("seconds", "秒")     # the course speaks English
    'seconds'
    """
    return zh if labels_language() == "zh" else en
