"""Self-checking exercises, one module per chapter (``ch00`` ... ``ch08``).

In a notebook, every call names its exercise, so that cells can be re-run in any order::

    ac.exercise("02b.fifo-order")            # prints the question
    ac.check("02b.fifo-order", answer)       # correct / incorrect with a hint / not attempted
    ac.hint("02b.fifo-order", 1)
    ac.solution("02b.fifo-order")

``get(id)`` returns the :class:`Exercise` itself (its ``check``, ``hint``, ``solution``), for code and tests.

Chapter modules are imported on first use, so ``import asyncomm`` stays light.
"""

from __future__ import annotations

import importlib
import pkgutil

from asyncomm.course.exercises._cells import check, exercise, hint, solution
from asyncomm.course.exercises._core import Exercise, Outcome, Result, all_exercises, get, register

__all__ = [
    "Exercise",
    "Outcome",
    "Result",
    "all_exercises",
    "check",
    "exercise",
    "get",
    "hint",
    "register",
    "solution",
]

_loaded = False  # True once every chapter module has been imported
_broken: dict[str, Exception] = {}  # chapter module -> the error its import raised


def _load_all() -> None:
    """Import every chapter module, so that every exercise is registered.

    The registry counts as loaded only once all chapters imported. A chapter that fails makes this raise,
    and raise again on every later call: otherwise the first call would show the error and every later one
    would quietly answer from a registry with a chapter missing ("no exercise '05.utilisation'"). A failed
    chapter is not imported again (it may have registered some of its exercises already): fix it, then
    restart the kernel.
    """
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ch") and module.name not in _broken:
            try:
                importlib.import_module(f"{__name__}.{module.name}")
            except Exception as err:  # noted, then reported below with every other broken chapter
                _broken[module.name] = err
    if _broken:
        name, first = next(iter(_broken.items()))
        raise ImportError(
            f"the exercises of {', '.join(sorted(_broken))} could not be loaded, so the course's exercises are "
            f"incomplete; {name} raised {type(first).__name__}: {first}"
        ) from first
    _loaded = True
