"""Trace rows are plain, ordered and shared by several objects."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest

import asyncomm as ac
from asyncomm import trace as tracing


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


# -- every row there can be -------------------------------------------------------------------------------------
# trace.ROWS and the table in TraceRow's docstring say which (pattern, operation, outcome) rows exist. Three checks
# keep them true: the table is ROWS; a run of every operation of every pattern writes exactly the rows in ROWS;
# and every place in the package that writes a row names a documented operation and outcome.


def documented_rows() -> set[tuple[str, str, str]]:
    return {
        (pattern, operation, outcome)
        for pattern, operations in tracing.ROWS.items()
        for operation, outcomes in operations.items()
        for outcome in outcomes
    }


def test_the_table_in_trace_row_docstring_is_trace_rows():
    lines = [line.strip() for line in (ac.TraceRow.__doc__ or "").splitlines()]
    rulers = [i for i, line in enumerate(lines) if line and set(line) == {"=", " "}]
    assert len(rulers) == 3, "the table has three rulers: above the header, below it, at the end"
    rows = set()
    for line in lines[rulers[1] + 1 : rulers[2]]:
        pattern, operation, outcomes = re.split(r"\s{2,}", line, maxsplit=2)
        for outcome in outcomes.split(", "):
            rows.add((pattern, operation.rstrip("*"), outcome.rstrip("*")))
    assert rows == documented_rows()


def write_every_row(trace: ac.Trace) -> None:
    """Every operation of every pattern, with every outcome it can have."""
    from asyncomm.reliable import ReliableQueue

    clock = ac.VirtualClock()
    q = ac.MessageQueue(maxsize=1, policy="raise", clock=clock, trace=trace)
    q.send("a")
    with pytest.raises(ac.QueueFull):
        q.send("b")
    q.clear()
    q.send("c")
    q.receive()
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait()
    q.close()
    with pytest.raises(ac.QueueClosed):
        q.send("d")
    with pytest.raises(ac.QueueClosed):
        q.receive_nowait()
    for policy in ("drop-newest", "drop-oldest"):
        shedding = ac.MessageQueue(maxsize=1, policy=policy, clock=clock, trace=trace)
        shedding.send("old")
        shedding.send("new")

    def reliable(**options):
        return ReliableQueue(clock=clock, trace=trace, **options)

    nacking = reliable(max_deliveries=2, prefetch=1)
    nacking.send("a")
    nacking.send("b")
    first = nacking.receive_nowait(consumer="c1")
    with pytest.raises(ac.PrefetchLimitReached):
        nacking.receive_nowait(consumer="c1")
    first.nack()  # redeliver: nacked
    with pytest.raises(ac.StaleDelivery):
        first.nack()
    with pytest.raises(ac.StaleDelivery):
        first.ack()
    nacking.receive_nowait(consumer="c1").nack()  # its second delivery of two: dead-letter, max deliveries
    expiring = reliable(visibility_timeout=10)
    expiring.send("a")
    expiring.receive_nowait(consumer="c1")
    clock.advance(10)
    expiring.receive_nowait(consumer="c2").ack()  # redeliver: visibility timeout, then a receive and an ack
    orphaned = reliable()
    orphaned.send("a")
    orphaned.receive_nowait(consumer="c1")
    orphaned.consumer_died("c1")  # redeliver: consumer died
    orphaned.receive_nowait(consumer="c2").nack(requeue=False)  # dead-letter: rejected
    at_most_once = ReliableQueue(delivery="at-most-once", clock=clock, trace=trace)
    at_most_once.send("fire and forget")
    at_most_once.receive_nowait()  # ack: auto

    bus = ac.EventBus(clock=clock, trace=trace)
    bus.register("e", print)
    bus.once("e", repr)
    bus.remove("e", repr)
    with pytest.raises(ac.ListenerNotFound):
        bus.remove("e", repr)
    bus.trigger("e")
    bus.register("e", lambda *args: 1 / 0)
    with pytest.raises(ac.TriggerFailed):
        bus.trigger("e")

    registry = ac.CallbackRegistry(clock=clock, trace=trace)
    registry.register(print)
    registry.once(repr)
    registry.remove(repr)
    with pytest.raises(ac.CallbackNotFound):
        registry.remove(repr)
    registry.trigger("x")
    registry.register(lambda *args: 1 / 0)
    with pytest.raises(ac.TriggerFailed):
        registry.trigger("x")


def test_a_run_of_every_operation_writes_exactly_the_documented_rows(capsys):
    trace = ac.Trace()
    write_every_row(trace)
    written = {(row.pattern, row.operation, row.outcome) for row in trace}
    assert sorted(written - documented_rows()) == [], "rows the package writes but ROWS does not document"
    assert sorted(documented_rows() - written) == [], "rows ROWS documents but the run did not write"


RECORDERS = {
    # method name -> positions of (pattern, operation, outcome) among its arguments; None: not an argument
    "record": (1, 2, 6),  # Trace.record(time, pattern, operation, name, item, size, outcome)
    "_record": (None, 0, 2),  # the patterns' own (operation, item, outcome)
    "_record_failure": (None, 0, 2),
}


def _strings(node: ast.expr) -> list[str] | None:
    """The strings an argument can be: a literal, a trace constant, either branch of ``a if c else b``;
    None for anything else (a variable: what it holds is checked by the run above)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name) and node.id.isupper() and isinstance(getattr(tracing, node.id, None), str):
        return [getattr(tracing, node.id)]
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def test_every_place_that_writes_a_row_names_a_documented_operation_and_outcome():
    patterns = set(tracing.ROWS)
    operations = {operation for table in tracing.ROWS.values() for operation in table}
    outcomes = {outcome for _, _, outcome in documented_rows()}
    package = Path(ac.__file__).parent
    undocumented, calls = [], 0
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            positions = RECORDERS.get(node.func.attr)
            if positions is None or len(node.args) < 2:  # e.g. a .record() of something else
                continue
            calls += 1
            for position, known in zip(positions, (patterns, operations, outcomes), strict=True):
                if position is None or position >= len(node.args):
                    continue
                for value in _strings(node.args[position]) or []:
                    if value not in known:
                        undocumented.append(f"{path.relative_to(package)}:{node.lineno}: {value!r}")
    assert calls > 30, "the search for places that write rows found too few: has a recorder been renamed?"
    assert undocumented == []
