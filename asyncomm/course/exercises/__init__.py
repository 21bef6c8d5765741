"""Self-checking exercises, one module per chapter (``ch00`` ... ``ch08``).

In a notebook::

    ex = ac.exercises.get("02.fifo-order")
    ex.check(answer)      # correct / incorrect with a hint / not attempted
    ex.hint(1)
    print(ex.solution())

Chapter modules are imported on first use, so ``import asyncomm`` stays light.
"""

from __future__ import annotations

import importlib
import pkgutil

from asyncomm.course.exercises._core import Exercise, Outcome, Result, all_exercises, get, register

__all__ = ["Exercise", "Outcome", "Result", "all_exercises", "get", "register"]

_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{module.name}")
