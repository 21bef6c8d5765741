"""Argument checks shared by the patterns, with the exact messages the tests pin."""

from __future__ import annotations

from typing import Any


def _is_number(value: Any) -> bool:
    # bool is an int subclass, but ``timeout=True`` is always a mistake.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_timeout(timeout: Any) -> float | None:
    """Return ``timeout`` as seconds (``None`` = wait forever), or raise."""
    if timeout is None:
        return None
    if not _is_number(timeout):
        raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r} ({type(timeout).__name__})")
    if timeout != timeout or timeout < 0:  # NaN compares unequal to itself
        raise ValueError(f"timeout must be >= 0 seconds or None (wait forever), got {timeout!r}")
    return float(timeout)


def check_seconds(seconds: Any, what: str) -> float:
    """Return a non-negative duration in seconds, or raise."""
    if not _is_number(seconds):
        raise TypeError(f"{what} must be a number of seconds, got {seconds!r} ({type(seconds).__name__})")
    if seconds != seconds or seconds < 0:
        raise ValueError(f"{what} must be >= 0 seconds, got {seconds!r}")
    return float(seconds)


def check_maxsize(maxsize: Any) -> int:
    """Return a valid queue capacity (0 = unbounded), or raise."""
    if not isinstance(maxsize, int) or isinstance(maxsize, bool):
        raise TypeError(f"maxsize must be an int (0 means unbounded), got {maxsize!r} ({type(maxsize).__name__})")
    if maxsize < 0:
        raise ValueError(f"maxsize must be >= 0 (0 means unbounded), got {maxsize}")
    return maxsize


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
