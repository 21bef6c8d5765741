"""The seed's example program (data/seed_example.py), run as published: each bug chapter 04 names is real.

The file is kept verbatim on purpose; these tests pin its behaviour, so a chapter claim
that stopped being true (or a file someone "fixed") fails here.
"""

from __future__ import annotations

import ast
import inspect
import queue
import re
import threading
import time
from typing import Any

import pytest

import asyncomm as ac
from asyncomm.course.exercises.ch04 import SEED_BUG_MENU, SEED_BUGS

SOURCE = ac.course.data_path("seed_example.py").read_text(encoding="utf-8")
TREE = ast.parse(SOURCE)
MAIN = next(node for node in TREE.body if isinstance(node, ast.FunctionDef) and node.name == "main")


@pytest.fixture
def seed() -> dict[str, Any]:
    return ac.course.load_seed_example()


def test_the_file_says_it_is_kept_as_is_and_holds_the_seeds_program() -> None:
    header = SOURCE.split("\n\n", 1)[0]
    assert "verbatim" in header and "bugs included" in header
    names = {node.name for node in TREE.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    assert names == {"MessageQueue", "EventDriver", "callback_function", "main"}


def test_loading_it_does_not_run_main(capsys: pytest.CaptureFixture[str]) -> None:
    ac.course.load_seed_example()
    assert capsys.readouterr().out == ""


def test_main_prints_a_bound_method_then_crashes_with_type_error(
    seed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # bugs "prints-method" and "trigger-drops-data"
    with pytest.raises(
        TypeError, match=re.escape("callback_function() missing 1 required positional argument: 'message'")
    ):
        seed["main"]()
    out = capsys.readouterr().out
    assert re.fullmatch(
        r"Sent message: <bound method MessageQueue\.send_message of "
        r"<seed_example\.MessageQueue object at 0x[0-9a-f]+>>\n",
        out,
    )


def test_trigger_event_calls_listeners_without_data_and_takes_none(seed: dict[str, Any]) -> None:
    driver = seed["EventDriver"]()
    calls: list[tuple[Any, ...]] = []
    driver.register_listener(lambda *args, **kwargs: calls.append((args, kwargs)))
    driver.trigger_event()
    assert calls == [((), {})]
    with pytest.raises(TypeError, match=re.escape("takes 1 positional argument but 2 were given")):
        driver.trigger_event("Hello, World!")


def test_event_driver_has_no_event_names(seed: dict[str, Any]) -> None:
    # bug "no-event-names": nothing to say *which* event, so every listener hears every trigger
    driver = seed["EventDriver"]()
    assert list(inspect.signature(driver.register_listener).parameters) == ["listener"]
    assert list(inspect.signature(driver.trigger_event).parameters) == []
    heard: list[str] = []
    driver.register_listener(lambda: heard.append("on_click"))
    driver.register_listener(lambda: heard.append("on_save"))
    driver.trigger_event()  # meant for one of them; both run
    assert heard == ["on_click", "on_save"]


def test_a_listener_removing_itself_makes_the_next_one_miss_the_trigger(seed: dict[str, Any]) -> None:
    # bug "remove-during-trigger": the for-loop walks the live list
    driver = seed["EventDriver"]()
    calls: list[str] = []

    def leave_after_first() -> None:
        calls.append("leaver")
        driver.remove_listener(leave_after_first)

    driver.register_listener(leave_after_first)
    driver.register_listener(lambda: calls.append("next"))
    driver.trigger_event()
    assert calls == ["leaver"]
    driver.trigger_event()
    assert calls == ["leaver", "next"]


def _wait_until(condition, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.001)


def test_receive_message_blocks_forever_on_an_empty_queue(seed: dict[str, Any]) -> None:
    # bug "receive-blocks-forever": get() without timeout, and no way to close the queue
    q = seed["MessageQueue"]()
    got: list[str] = []
    receiver = threading.Thread(target=lambda: got.append(q.receive_message()), daemon=True)
    receiver.start()
    receiver.join(0.2)
    assert receiver.is_alive() and got == []
    assert list(inspect.signature(q.receive_message).parameters) == []  # no timeout to ask for
    q.send_message("unblock")  # the only way out: someone sends
    receiver.join(5)
    assert not receiver.is_alive() and got == ["unblock"]


def test_clear_queue_leaves_unfinished_tasks_so_join_never_returns(seed: dict[str, Any]) -> None:
    # bug "clear-skips-lock": the deque inside queue.Queue is cleared, its bookkeeping is not
    q = seed["MessageQueue"]()
    q.send_message("a")
    q.send_message("b")
    q.clear_queue()
    assert q.queue.qsize() == 0 and q.queue.unfinished_tasks == 2
    waiter = threading.Thread(target=q.queue.join, daemon=True)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()
    q.queue.task_done()
    q.queue.task_done()
    waiter.join(5)
    assert not waiter.is_alive()


def test_clear_queue_wakes_no_blocked_sender(seed: dict[str, Any]) -> None:
    q = seed["MessageQueue"]()
    q.queue = queue.Queue(maxsize=1)  # the seed's queue is unbounded; bound it as chapter 05 advises
    q.send_message("a")
    sender = threading.Thread(target=q.send_message, args=("b",), daemon=True)
    sender.start()
    # Wait until the sender is really inside put(), waiting on not_full: queue.Queue offers no public way to
    # ask, so look at the condition's waiter list (CPython's threading.Condition keeps one).
    _wait_until(lambda: len(q.queue.not_full._waiters) == 1)
    q.clear_queue()
    sender.join(0.2)
    assert q.queue.qsize() == 0 and sender.is_alive()  # there is room, but nobody told the sender
    with q.queue.not_full:  # what Queue.get() does under the lock
        q.queue.not_full.notify()
    sender.join(5)
    assert not sender.is_alive() and q.queue.get_nowait() == "b"


def test_asyncomm_clear_wakes_the_blocked_sender() -> None:
    q = ac.MessageQueue(maxsize=1)
    q.send("a")
    sender = threading.Thread(target=q.send, args=("b",), daemon=True)
    sender.start()
    _wait_until(lambda: q.statistics().senders_waiting == 1)
    assert q.clear() == 1
    sender.join(5)
    assert not sender.is_alive() and q.snapshot() == ["b"]


def test_main_shadows_the_queue_module(seed: dict[str, Any]) -> None:
    # bug "shadows-module": inside main(), `queue` is a local MessageQueue, not the module
    assert seed["queue"] is queue
    assert "queue" in seed["main"].__code__.co_varnames
    assigned = {
        target.id
        for node in ast.walk(MAIN)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    assert "queue" in assigned


def _calls_in_main(attribute: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(MAIN)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == attribute
    ]


def test_main_starts_a_thread_it_never_joins() -> None:
    # bug "thread-not-joined"
    assert len(_calls_in_main("start")) == 1
    assert _calls_in_main("join") == []


def test_the_callback_is_just_a_function_run_in_a_thread() -> None:
    # bug "not-a-callback": the thread's target *is* the callback; no work runs before it
    (thread_call,) = [
        node
        for node in ast.walk(MAIN)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "Thread"
    ]
    target = {kw.arg: kw.value for kw in thread_call.keywords}["target"]
    assert isinstance(target, ast.Name) and target.id == "callback_function"


def test_the_false_claims_of_the_bug_menu_are_false(seed: dict[str, Any]) -> None:
    # what the distractors of exercise 04.find-bugs claim, checked against the seed's classes
    assert set(SEED_BUG_MENU) - SEED_BUGS == {
        "fifo-broken",
        "put-not-thread-safe",
        "listeners-random-order",
        "remove-ignores-missing",
    }
    q = seed["MessageQueue"]()
    senders = [threading.Thread(target=lambda n=n: [q.send_message((n, i)) for i in range(200)]) for n in range(4)]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    received = [q.receive_message() for _ in range(800)]
    assert sorted(received) == [(n, i) for n in range(4) for i in range(200)]  # put is thread-safe
    for n in range(4):  # and FIFO: each sender's messages come out in the order sent
        assert [i for m, i in received if m == n] == list(range(200))
    driver = seed["EventDriver"]()
    order: list[int] = []
    for i in range(10):
        driver.register_listener(lambda i=i: order.append(i))
    driver.trigger_event()
    assert order == list(range(10))
    with pytest.raises(ValueError, match=re.escape("list.remove(x): x not in list")):
        driver.remove_listener(print)
