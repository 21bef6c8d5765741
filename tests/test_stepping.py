"""Step-through models: every operation, errors, a full queue, back and forward."""

from __future__ import annotations

import re

import pytest

import asyncomm as ac
from asyncomm.teaching.loop_examples import EXAMPLES


def test_queue_stepper_send_receive_clear_and_full_queue():
    m = ac.QueueStepper(maxsize=2)
    assert m.send("a") == "sent 'a'"
    assert m.send("b") == "sent 'b'"
    assert m.send("c") == (
        "refused: queue 'q' is full (2 messages); receive some first, or send with a timeout to wait for room"
    )
    assert m.items == ["a", "b"]
    assert m.receive() == "received 'a'"
    assert m.clear() == "cleared 1 message(s)"
    assert m.receive() == (
        "refused: queue 'q' is empty; send a message first, or receive with a timeout to wait for one"
    )
    assert [(r.time, r.operation, r.item, r.size, r.outcome) for r in m.rows] == [
        (1.0, "send", "a", 1, "ok"),
        (2.0, "send", "b", 2, "ok"),
        (3.0, "send", "c", 2, "QueueFull"),
        (4.0, "receive", "a", 1, "ok"),
        (5.0, "clear", 1, 0, "ok"),
        (6.0, "receive", None, 0, "QueueEmpty"),
    ]


def test_queue_stepper_back_replays_and_forward_redoes():
    m = ac.QueueStepper(maxsize=3)
    m.send("a")
    m.send("b")
    m.receive()
    assert m.items == ["b"]
    assert m.back() and m.items == ["a", "b"] and m.message == "sent 'b'"
    assert m.back() and m.items == ["a"]
    assert m.back() and m.items == [] and m.message == "at the start"
    assert not m.back() and not m.can_back
    assert len(m.rows) == 0
    assert m.forward() and m.forward() and m.items == ["a", "b"]
    assert len(m.rows) == 2 and m.rows[-1].time == 2.0
    m.send("new")  # a new action after Back drops the undone future
    assert not m.can_forward and m.items == ["a", "b", "new"]
    assert not m.forward()
    m.reset()
    assert m.items == [] and not m.can_back


def test_bus_stepper_order_once_errors_and_remove():
    m = ac.BusStepper()
    m.register("order", "log")
    m.register("order", "greet-once")
    m.register("order", "fails")
    m.register("order", "count")
    assert m.table() == {"order": ["log", "greet-once", "fails", "count"]}
    msg = m.trigger("order", "tea")
    assert msg == ("triggered 'order': 1 of 4 listeners for event 'order' raised; the other listeners still ran")
    assert [(c.listener, c.outcome) for c in m.calls] == [
        ("log", "logged 'tea'"),
        ("greet-once", "hello 'tea', once"),
        ("fails", "raised ValueError"),
        ("count", "call number 1"),
    ]
    assert m.table() == {"order": ["log", "fails", "count"]}  # the once listener is gone
    assert m.remove("order", "fails") == "removed fails from 'order'"
    assert m.trigger("order", "milk") == "triggered 'order': 2 listener(s) ran"
    assert m.remove("order", "shout") == (
        "refused: listener shout is not registered for event 'order'; register it first, or check the event name"
    )
    assert m.calls[-1] == ac.teaching.stepping.Call(7, "order", "count", "call number 2")
    for _ in range(3):  # undo the refused remove, the second trigger and the remove of 'fails'
        m.back()
    m.forward()
    assert m.calls[-1] == ac.teaching.stepping.Call(5, "order", "count", "call number 1")  # replayed with its own step


def test_bus_stepper_back_restores_listeners_and_calls():
    m = ac.BusStepper()
    m.register("e", "greet-once")
    m.trigger("e", 1)
    assert m.table() == {}
    m.back()
    assert m.table() == {"e": ["greet-once"]} and m.calls == []
    m.forward()
    assert len(m.calls) == 1 and m.table() == {}


def test_bus_stepper_rejects_unknown_listener():
    with pytest.raises(
        ValueError, match=re.escape("unknown listener 'nope'; choose one of log, shout, count, fails, greet-once")
    ):
        ac.BusStepper().register("e", "nope")


def test_callback_stepper_done_and_error_paths():
    m = ac.CallbackStepper()
    m.register("on_done", "show")
    m.register("on_done", "store")
    m.register("on_error", "retry-later")
    assert m.start("download", 3) == "started download: ends at t=3"
    assert m.start("upload", 1, fails=True) == "started upload: ends at t=1 with an error"
    assert m.advance() == "t=1: upload failed; 1 on_error callback(s) ran"
    assert m.advance() == "t=3: download done; 2 on_done callback(s) ran"
    assert m.advance() == "refused: nothing is running; start a job first"
    assert m.fired == [
        (1.0, "retry-later", "schedules a retry after RuntimeError('upload failed')"),
        (3.0, "show", "shows 'download result'"),
        (3.0, "store", "stores 'download result'"),
    ]
    assert [j.state for j in m.jobs] == ["done", "failed"]
    assert m.remove("on_done", "retry-later").startswith("refused: callback ")
    for _ in range(3):  # undo the refused remove, the idle advance and the download's completion
        m.back()
    assert [j.state for j in m.jobs] == ["running", "failed"] and len(m.fired) == 1


def test_callback_stepper_rejects_unknown_names():
    with pytest.raises(ValueError, match=re.escape("registry must be 'on_done' or 'on_error', got 'later'")):
        ac.CallbackStepper().register("later", "show")
    with pytest.raises(ValueError, match=re.escape("unknown callback 'x'; choose one of show, store, retry-later")):
        ac.CallbackStepper().register("on_done", "x")


def test_loop_stepper_forward_back_and_end():
    m = ac.LoopStepper(EXAMPLES["three sleepers"])
    assert m.current.event == "main task created" and not m.can_back
    assert m.forward() and m.current.event == "main ran until its next await"
    assert m.back() and m.current.event == "main task created"
    end = m.run_to_end()
    assert end.time == 3.0 and end.by_state("done") == ["main", "sleeper-0", "sleeper-1", "sleeper-2"]
    assert not m.forward() and not m.can_forward
    steps = len(m.snapshots)
    assert m.back() and m.forward() and len(m.snapshots) == steps
    m.reset()
    assert len(m.snapshots) == 1


# -- issue 15: the steppers as a learner reads them ---------------------------------------------------------


def test_loop_stepper_numbers_lines_as_its_listing_shows_them():
    """The line a task is paused at is the number the learner sees in the listing, not the library file's."""
    m = ac.LoopStepper(EXAMPLES["producer and consumers"])
    assert m.listing.lines[0] == "async def producer_consumers(rt: Any) -> None:"
    assert not any('"""' in line for line in m.listing.lines)  # the docstring is prose in the chapter
    seen = set()
    while m.forward():
        for task in m.current.tasks:
            number = m.line_of(task)
            if number is not None:
                assert m.listing.lines[number - 1].strip() == task.code  # the number points at the task's line
                seen.add(number)
    assert seen == {7, 13, 16, 19, 21}  # e.g. 13 `job = await queue.get()`, not 62 of loop_examples.py
    m.reset()
    m.forward()  # main runs first and pauses awaiting the producer
    assert (m.current.actor, m.current_line) == ("main", 19)


def test_loop_stepper_current_line_is_none_when_the_clock_jumps():
    m = ac.LoopStepper(EXAMPLES["three sleepers"])
    while m.forward() and not m.current.event.startswith("clock jumps"):
        pass
    assert m.current.actor == "" and m.current_line is None


def test_stepper_outcomes_tell_refusals_failures_and_success_apart():
    callbacks = ac.CallbackStepper()
    callbacks.advance()
    assert callbacks.outcome == "refused"  # "nothing is running" is no success
    callbacks.start("upload", 1, fails=True)
    assert callbacks.outcome == "ok"
    callbacks.advance()
    assert callbacks.outcome == "failed"
    bus = ac.BusStepper()
    bus.register("e", "fails")
    bus.trigger("e", 1)
    assert bus.outcome == "failed"
    bus.remove("e", "log")
    assert bus.outcome == "refused"
    bus.back()  # replaying the steps before the refusal gives their outcome back
    assert bus.outcome == "failed"
    queue = ac.QueueStepper(maxsize=1)
    assert queue.outcome == "note"
    queue.receive()
    assert queue.outcome == "refused"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_remove_refusals_name_what_the_learner_sees_not_the_function(language):
    ac.set_language(language)
    try:
        bus, callbacks = ac.BusStepper(), ac.CallbackStepper()
        messages = [bus.remove("order", "count"), callbacks.remove("on_error", "retry-later")]
    finally:
        ac.set_language("en")
    for message in messages:
        assert "<locals>" not in message and "Stepper" not in message and "retry_later" not in message
    expected = {
        "en": [
            "refused: listener count is not registered for event 'order'; register it first, or check the event name",
            "refused: callback retry-later is not registered in on_error; register it first",
        ],
        "zh": [
            "拒绝：监听器 count 没有注册在事件 'order' 上；先注册它，或检查事件名",
            "拒绝：回调 retry-later 没有注册在 on_error 中；先注册它",
        ],
    }
    assert messages == expected[language]


def test_queue_stepper_waits_up_to_a_timeout_on_the_virtual_clock():
    m = ac.QueueStepper(maxsize=1)
    assert m.receive(timeout=2.5) == (
        "timed out: no message arrived on queue 'q' within 2.5 s "
        "(here only you send, so a wait on an empty queue runs out)"
    )
    assert m.clock.now() == 3.5 and m.outcome == "refused"  # one second for the click, 2.5 for the wait
    assert m.send("a", timeout=4) == "sent 'a'" and m.clock.now() == 4.5  # room: no wait
    assert m.send("b", timeout=1) == (
        "timed out: queue 'q' stayed full for 1 s; the message was not sent: consume faster, or give the "
        "queue a larger maxsize (here only you receive, so a wait on a full queue runs out)"
    )
    assert m.receive(timeout=3) == "received 'a'" and m.clock.now() == 7.5  # a message: no wait
    assert [(r.time, r.operation, r.outcome) for r in m.rows] == [
        (3.5, "receive", "QueueEmpty"),
        (4.5, "send", "ok"),
        (6.5, "send", "QueueFull"),
        (7.5, "receive", "ok"),
    ]
    m.back()
    m.back()
    m.forward()  # replayed: the wait takes the same virtual time again
    assert m.clock.now() == 6.5 and m.items == ["a"]
    with pytest.raises(ValueError, match="timeout"):
        m.receive(timeout=-1)
    ac.set_language("zh")
    try:
        assert ac.QueueStepper().receive(timeout=2) == (
            "超时：队列 'q' 在 2 秒内没有收到消息（这里只有你在发送，所以在空队列上的等待总会超时）"
        )
    finally:
        ac.set_language("en")
