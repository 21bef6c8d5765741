"""The one rule for arguments (asyncomm._checks) and for missing optional dependencies (asyncomm._lazy)."""

from __future__ import annotations

import re
import sys
from fractions import Fraction

import numpy as np
import pytest

import asyncomm as ac
from asyncomm._checks import check_int, is_number
from asyncomm._lazy import requires_extra


@pytest.mark.parametrize(
    "value", [0, -3, 2.5, float("nan"), float("inf"), Fraction(1, 3), np.float64(0.5), np.int64(7)]
)
def test_is_number_accepts_every_real_number(value):
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, "1", None, 1j, [1], np.bool_(True)])
def test_is_number_refuses_bools_and_everything_that_is_not_a_real_number(value):
    assert not is_number(value)


def test_check_int_accepts_numpy_ints_and_returns_a_plain_int():
    value = check_int(np.int64(5), "count", minimum=1)
    assert value == 5 and type(value) is int


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, TypeError, "count must be an int (of messages), got True (bool)"),
        (2.0, TypeError, "count must be an int (of messages), got 2.0 (float)"),
        (np.float64(2.0), TypeError, "count must be an int (of messages), got "),
        (0, ValueError, "count must be an int between 1 and 9 (of messages), got 0"),
        (10, ValueError, "count must be an int between 1 and 9 (of messages), got 10"),
    ],
)
def test_check_int_wrong_type_is_a_type_error_and_bad_value_a_value_error(value, error, message):
    with pytest.raises(error, match=re.escape(message)):
        check_int(value, "count", minimum=1, maximum=9, meaning=" (of messages)")


def test_check_int_with_only_a_maximum():
    with pytest.raises(ValueError, match=re.escape("level must be an int <= 3, got 4")):
        check_int(4, "level", maximum=3)


# -- a missing optional dependency names the extra that brings it -----------------------------------------------

COURSE_EXTRA = "it comes with asyncomm's course extra: pip install 'asyncomm[course]'"


def missing(module: str) -> str:
    return re.escape(f"{module} is not installed; {COURSE_EXTRA}")


def test_requires_extra_turns_a_missing_module_into_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match=missing("pandas")) as caught, requires_extra():
        import pandas  # noqa: F401
    assert caught.value.name == "pandas"
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_requires_extra_lets_other_errors_through():
    with pytest.raises(KeyError), requires_extra():
        raise KeyError("not an import problem")


def test_trace_to_frame_without_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=missing("pandas")):
        ac.Trace().to_frame()


def test_the_labs_without_their_dependencies_name_the_extra(monkeypatch, tmp_path):
    from asyncomm.labs import bench, queueing, queueing_lab, timing

    runs = timing.run_tasks(2, 1.0, "asyncio")
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=missing("numpy")):
        queueing.simulate_mm1(0.5, 1.0, customers=10)
    with pytest.raises(ImportError, match=missing("numpy")):
        queueing_lab.QueueingLab(customers=10)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=missing("pandas")):
        timing.summary(runs)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=missing("matplotlib.pyplot")):
        bench.write_results(runs, tmp_path)


# ---- the one rule for time limits and durations (issue 12 item 6) ----


def test_a_timeout_of_inf_means_no_limit_like_none():
    from asyncomm._checks import check_timeout

    assert check_timeout(float("inf")) is None
    assert check_timeout(None) is None
    assert check_timeout(0) == 0.0
    assert check_timeout(Fraction(1, 2)) == 0.5


@pytest.mark.parametrize("value", [1e10, 1e20, 31_536_000.5, np.float64(1e300)])
def test_an_absurd_finite_timeout_is_a_value_error_that_says_how_to_wait_forever(value):
    from asyncomm._checks import check_timeout

    message = f"timeout must be at most 31,536,000 seconds (one year), got {value!r}; use None or math.inf"
    with pytest.raises(ValueError, match=re.escape(message)):
        check_timeout(value)


@pytest.mark.parametrize("value", [float("inf"), 1e10])
def test_a_duration_has_no_no_limit_meaning_so_inf_and_absurd_values_are_refused(value):
    from asyncomm._checks import check_seconds

    with pytest.raises(
        ValueError, match=re.escape(f"sleep must be at most 31,536,000 seconds (one year), got {value!r}")
    ):
        check_seconds(value, "sleep")


def test_an_instant_may_be_any_finite_reading_but_not_inf():
    from asyncomm._checks import check_seconds

    assert check_seconds(1.7e9, "start", any_finite=True) == 1.7e9
    with pytest.raises(ValueError, match=re.escape("start must be a finite number of seconds, got inf")):
        check_seconds(float("inf"), "start", any_finite=True)
