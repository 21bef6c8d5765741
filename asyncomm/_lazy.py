"""Names a package offers without importing them up front (PEP 562 module ``__getattr__``), and the
optional dependencies imported only inside the functions that need them.

``import asyncomm`` loads the core only; ``ac.ReliableQueue`` or ``ac.labs.timing`` import their module
the first time they are touched, and then stay in the package's namespace like any attribute.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any


def lazy_attributes(
    package: str, namespace: dict[str, Any], names: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package``.

    ``names`` maps an attribute to the module that defines it (``"ReliableQueue": "asyncomm.reliable"``);
    ``submodules`` are child modules offered as attributes (``"timing"`` for ``asyncomm.labs.timing``).
    """
    children = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
        elif name in children:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value  # the next access is a plain attribute lookup
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *names, *children})

    return __getattr__, __dir__


@contextmanager
def requires_extra(extra: str = "course") -> Iterator[None]:
    """Around the deferred import of an optional dependency (pandas, numpy, matplotlib, ipywidgets): if it is
    not installed, say which extra of asyncomm brings it, rather than only "No module named 'pandas'".

    >>> import sys
    >>> with requires_extra():
    ...     import asyncomm_has_no_such_module
    Traceback (most recent call last):
    ...
    ImportError: asyncomm_has_no_such_module is not installed; it comes with asyncomm's course extra: \
pip install 'asyncomm[course]'
    """
    try:
        yield
    except ModuleNotFoundError as missing:
        raise ImportError(
            f"{missing.name} is not installed; it comes with asyncomm's {extra} extra: pip install 'asyncomm[{extra}]'",
            name=missing.name,
        ) from missing
