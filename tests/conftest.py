"""Shared test helpers."""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require_program(name: str, install_hint: str) -> str:
    """Path of an external program a test needs. Outside CI a missing program skips the test with a
    clear reason; under CI=true it fails, since .ci/run installs it."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed; {install_hint}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path
