"""Shared test helpers."""

from __future__ import annotations

import os
import shutil
import threading
import time

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


#: Threads that live for the whole process by design: the shared pool behind ac.run_in_background.
LONG_LIVED_THREADS = ("asyncomm-background",)


@pytest.fixture(autouse=True)
def english_after_each_test():
    """Every test starts in English and leaves it so: ``ac.set_language("zh")`` is a process-wide setting
    (a chapter's first cell), and one test switching it must not change what the next one reads."""
    from asyncomm.i18n import set_language

    set_language("en")
    yield
    set_language("en")


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fail a test that leaves a thread running that would keep Python from exiting.

    A non-daemon thread still running after its test hangs the whole run at exit, far from the test that
    started it. Join your threads (with a timeout), or make them daemons if they may be abandoned. A thread
    that is about to end gets one second to do so.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 1.0
    leftover = []
    for thread in threading.enumerate():
        if thread in before or thread.daemon or thread.name.startswith(LONG_LIVED_THREADS):
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            leftover.append(thread.name)
    if leftover:
        pytest.fail(
            f"the test left {len(leftover)} non-daemon thread(s) running: {', '.join(leftover)}; join them "
            f"(with a timeout) before the test ends, or start them with daemon=True"
        )


@pytest.fixture(scope="module")
def redis_server():
    """A private redis-server for one test module (a real server, never a mock); stopped afterwards."""
    require_program("redis-server", "install it with: apt-get install -y redis-server")
    from asyncomm.reliable.redis_streams import LocalRedis

    with LocalRedis() as server:
        yield server


@pytest.fixture(scope="module")
def redis_url(redis_server):
    return redis_server.url


CHAPTER_08 = "08-real-broker.ipynb"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Chapter 08's committed outputs were recorded with a Redis server (CI installs redis-server). Without the
    binary the chapter prints "skipped: no broker" instead, so outside CI its cells are skipped, not failed."""
    if shutil.which("redis-server") is not None or IN_CI:
        return
    skip = pytest.mark.skip(reason="redis-server is not installed: chapter 08's outputs were recorded with a server")
    for item in items:
        if item.path.name == CHAPTER_08:
            item.add_marker(skip)
