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


# The one rule for time limits. ``None`` and ``math.inf`` both mean "no limit" (Python's own APIs use None;
# a learner writes inf as often). A finite limit may be anything from 0 up to MAX_SECONDS: beyond it no
# learner means a real time (a year is longer than any course), and the platforms disagree on where
# waits break (threading.TIMEOUT_MAX is ~49 days on Windows, Redis refuses BLOCK past 2**63 ms, a virtual
# clock would jump there and stay), so a bigger number is refused with a clear message instead.
MAX_SECONDS = 365 * 24 * 3600.0


def _too_long(what: str, value: Any, no_limit: str) -> ValueError:
    return ValueError(f"{what} must be at most {MAX_SECONDS:,.0f} seconds (one year), got {value!r}; {no_limit}")


def check_timeout(timeout: Any, what: str = "timeout") -> float | None:
    """Return ``timeout`` as seconds, or ``None`` for no limit (``None`` or ``inf``), or raise.

    >>> check_timeout(2), check_timeout(None), check_timeout(float("inf"))
    (2.0, None, None)
    >>> check_timeout(1e10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: timeout must be at most 31,536,000 seconds (one year), got 10000000000.0; use None or math.inf ...
    """
    if timeout is None:
        return None
    if not is_number(timeout):
        raise TypeError(f"{what} must be a number of seconds or None, got {timeout!r} ({type(timeout).__name__})")
    if timeout != timeout or timeout < 0:  # NaN compares unequal to itself
        raise ValueError(f"{what} must be >= 0 seconds or None (wait forever), got {timeout!r}")
    if timeout == float("inf"):
        return None
    if timeout > MAX_SECONDS:
        raise _too_long(what, timeout, "use None or math.inf to wait with no limit")
    return float(timeout)


def check_seconds(seconds: Any, what: str, *, any_finite: bool = False) -> float:
    """Return a non-negative, finite duration in seconds, at most ``MAX_SECONDS``, or raise.

    A duration that is not a limit (a sleep, a visibility timeout) has no "no limit" meaning, so ``inf`` is
    refused here; :func:`check_timeout` is the check for limits. With ``any_finite``, any finite value is
    accepted: a clock's start or a time to move it to (``time.time()`` is a fine start), or a step of a
    virtual clock, which costs nothing however long.
    """
    if not is_number(seconds):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r} ({type(seconds).__name__})")
    if seconds != seconds or seconds < 0:
        raise ValueError(f"{what} must be >= 0 seconds, got {seconds!r}")
    if any_finite:
        if seconds == float("inf"):
            raise ValueError(f"{what} must be a finite number of seconds, got {seconds!r}")
        return float(seconds)
    if seconds > MAX_SECONDS:
        raise _too_long(what, seconds, "pick a shorter time")
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
