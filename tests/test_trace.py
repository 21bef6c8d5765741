"""Trace rows are plain, ordered and shared by several objects."""

from __future__ import annotations

import re
import threading

import pytest

import asyncomm as ac


def test_one_trace_records_several_patterns_in_order():
    clock = ac.VirtualClock()
    trace = ac.Trace()
    q = ac.MessageQueue(clock=clock, trace=trace, name="q")
    bus = ac.EventBus(clock=clock, trace=trace, name="bus")
    q.send("m")
    clock.advance(1)
    bus.register("got", print)
    bus.trigger("got", q.receive())
    rows = trace.rows
    assert [r.seq for r in rows] == list(range(len(rows)))
    assert [(r.pattern, r.operation, r.time) for r in rows] == [
        ("queue", "send", 0.0),
        ("event", "register", 1.0),
        ("queue", "receive", 1.0),
        ("event", "trigger", 1.0),
    ]


def test_where_filters_and_rejects_unknown_fields():
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace)
    q.send(1)
    q.send(2)
    q.receive()
    assert [r.item for r in trace.where(operation="send")] == [1, 2]
    with pytest.raises(ValueError, match=re.escape("unknown trace field(s) ['op']; the fields are ['seq', 'time'")):
        trace.where(op="send")


def test_to_frame_has_one_column_per_field():
    trace = ac.Trace()
    ac.MessageQueue(trace=trace, clock=ac.VirtualClock()).send("x")
    frame = trace.to_frame()
    assert list(frame.columns) == list(ac.TraceRow._fields)
    assert frame.loc[0, "item"] == "x" and frame.loc[0, "size"] == 1


def test_to_frame_keeps_none_items_as_none():
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock())
    q.send("a")
    q.close()
    assert trace.to_frame()["item"].tolist() == ["a", None]


def test_table_is_plain_text():
    trace = ac.Trace()
    ac.MessageQueue(trace=trace, clock=ac.VirtualClock(), name="q").send("x")
    assert trace.table().splitlines() == [
        "seq  time   pattern  operation  name  item  size  outcome",
        "0    0.000  queue    send       q     'x'   1     ok",
    ]


def test_clear_keeps_sequence_numbers_growing():
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace)
    q.send(1)
    trace.clear()
    q.send(2)
    assert len(trace) == 1 and trace[0].seq == 1
    assert trace.to_records()[0]["item"] == 2


def test_concurrent_recording_loses_no_row():
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace)

    def work():
        for i in range(2000):
            q.send(i)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(trace) == 8000
    assert sorted(r.seq for r in trace) == list(range(8000))
    assert [r.size for r in trace] == list(range(1, 8001))  # recorded under the queue's lock
