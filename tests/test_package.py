"""The package surface: exports, docstrings, errors family, a light import."""

from __future__ import annotations

import inspect
import subprocess
import sys

import asyncomm as ac


def test_every_exported_name_exists_and_has_a_docstring_with_an_example():
    for name in ac.__all__:
        obj = getattr(ac, name)
        if name == "__version__":
            continue
        doc = inspect.getdoc(obj) or ""
        assert doc, f"{name} has no docstring"
        needs_example = inspect.isfunction(obj) or (
            inspect.isclass(obj) and not issubclass(obj, BaseException) and name not in ("Clock", "TraceRow"))
        if needs_example:
            assert ">>>" in doc, f"{name}'s docstring has no example"


def test_errors_form_one_family():
    for name in ("QueueEmpty", "QueueFull", "QueueClosed", "ListenerNotFound", "CallbackNotFound",
                 "TriggerFailed", "Deadlock", "UsageError"):
        assert issubclass(getattr(ac, name), ac.AsyncommError), name
    assert issubclass(ac.CallbackNotFound, ac.ListenerNotFound)
    assert issubclass(ac.TriggerFailed, ExceptionGroup)


def test_import_is_light():
    code = ("import sys, asyncomm, asyncomm.exercises; "
            "print(sorted(m for m in ('pandas', 'matplotlib', 'ipywidgets', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
