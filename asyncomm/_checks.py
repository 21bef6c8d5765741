"""Argument checks shared by every module, with the exact messages the tests pin.

One rule everywhere: a wrong *type* is a ``TypeError``, a value of the right type that is out of range
is a ``ValueError``; each message names the argument, what it accepts and what was given.
"""

from __future__ import annotations

import numbers
from typing import Any


def is_number(value: Any) -> bool:
    """The one rule for "is a number" in every check: a real number (int, float, Fraction, numpy's
    numbers), but not a bool -- ``True`` is an int to Python, but ``timeout=True`` is always a mistake.
    NaN and infinity are numbers; each check says which range it accepts.

    >>> from fractions import Fraction
    >>> is_number(2), is_number(0.5), is_number(Fraction(1, 3)), is_number(float("nan"))
    (True, True, True, True)
    >>> is_number(True), is_number("2"), is_number(1j), is_number(None)
    (False, False, False, False)
    """
    if type(value) is float or type(value) is int:  # the usual case, decided without the slower ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_timeout(timeout: Any) -> float | None:
    """Return ``timeout`` as seconds (``None`` = wait forever), or raise."""
    if timeout is None:
        return None
    if not is_number(timeout):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r} ({type(timeout).__name__})")
    if timeout != timeout or timeout < 0:  # NaN compares unequal to itself
        raise ValueError(f"timeout must be >= 0 seconds or None (wait forever), got {timeout!r}")
    return float(timeout)


def check_seconds(seconds: Any, what: str) -> float:
    """Return a non-negative duration in seconds, or raise."""
    if not is_number(seconds):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r} ({type(seconds).__name__})")
    if seconds != seconds or seconds < 0:
        raise ValueError(f"{what} must be >= 0 seconds, got {seconds!r}")
    return float(seconds)


def check_int(
    value: Any, what: str, *, minimum: int | None = None, maximum: int | None = None, meaning: str = ""
) -> int:
    """Return ``value`` as an int if it is a whole number type (int, numpy's ints; not a bool) within
    ``[minimum, maximum]``, else raise.

    ``meaning`` is appended to the rule in the message, e.g. ``" (0 means unbounded)"``.

    >>> check_int(3, "prefetch", minimum=0)
    3
    >>> check_int("3", "prefetch", minimum=0, meaning=" (0 means unlimited)")
    Traceback (most recent call last):
    ...
    TypeError: prefetch must be an int (0 means unlimited), got '3' (str)
    >>> check_int(-1, "prefetch", minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: prefetch must be an int >= 0, got -1
    """
    # True is an int, but never meant as one; numpy's ints are not ints, but are meant as ones.
    if type(value) is not int and (not isinstance(value, numbers.Integral) or isinstance(value, bool)):
        raise TypeError(f"{what} must be an int{meaning}, got {value!r} ({type(value).__name__})")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        if minimum is not None and maximum is not None:
            rule = f"between {minimum} and {maximum}"
        elif minimum is not None:
            rule = f">= {minimum}"
        else:
            rule = f"<= {maximum}"
        raise ValueError(f"{what} must be an int {rule}{meaning}, got {value!r}")
    return number


def check_bool(value: Any, what: str) -> bool:
    """Return ``value`` if it is True or False (not 1, not "yes"), else raise ``TypeError``."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {value!r} ({type(value).__name__})")
    return value


def check_maxsize(maxsize: Any) -> int:
    """Return a valid queue capacity (0 = unbounded), or raise."""
    return check_int(maxsize, "maxsize", minimum=0, meaning=" (0 means unbounded)")


def check_callable(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(
            f"{what} must be callable (a function or method), got {fn!r} ({type(fn).__name__}); "
            f"pass the function itself, without calling it"
        )


def check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r} ({type(name).__name__})")
    return name


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
