"""Chapter 06's levers lab: the queue length read off a trace, and slow work in a trigger, three ways."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import pytest

import asyncomm as ac
from asyncomm.labs.levers import MODES, checkout, plot_queue_lengths, queue_lengths


def test_queue_lengths_follow_every_queue_operation_and_skip_other_patterns():
    clock = ac.VirtualClock()
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace, clock=clock, name="q")
    bus = ac.EventBus(trace=trace)
    q.send("a")
    clock.advance(1)
    q.send("b")
    bus.trigger("ignored")
    clock.advance(1)
    q.receive()
    q.close()
    assert queue_lengths(trace) == [(0.0, 1), (1.0, 2), (2.0, 1), (2.0, 1)]


def test_plot_queue_lengths_draws_one_labelled_step_line_per_trace():
    traces = {}
    for label, count in (("two", 2), ("three", 3)):
        traces[label] = ac.Trace()
        q = ac.MessageQueue(trace=traces[label], clock=ac.VirtualClock())
        for n in range(count):
            q.send(n)
    fig = plot_queue_lengths(traces, title="t")
    try:
        lines = fig.axes[0].get_lines()
        assert [line.get_label() for line in lines] == ["two", "three"]
        assert list(lines[1].get_ydata()) == [1, 2, 3]
        assert fig.axes[0].get_title() == "t" and fig.axes[0].get_legend() is not None
    finally:
        plt.close(fig)


def test_plot_queue_lengths_refuses_nothing_to_draw():
    with pytest.raises(ValueError, match=re.escape("needs at least one trace")):
        plot_queue_lengths({})
    with pytest.raises(ValueError, match=re.escape("trace 'empty' has no queue operations to plot")):
        plot_queue_lengths({"empty": ac.Trace()})


@pytest.mark.parametrize(
    ("mode", "durations", "free_at"),
    [("inline, blocking", [2.0] * 3, 6.0), ("inline, async", [2.0] * 3, 6.0), ("handed to a queue", [0.0] * 3, 0.0)],
)
def test_checkout_a_slow_listener_holds_the_trigger_unless_its_work_is_queued(mode, durations, free_at):
    run = checkout(mode)
    assert (run.durations, run.free_at, run.done_at, run.sent) == (durations, free_at, 6.0, ["#1", "#2", "#3"])


def test_checkout_scales_with_its_arguments_and_refuses_an_unknown_mode():
    assert checkout(MODES[0], orders=("a",), email_seconds=0.5).durations == [0.5]
    with pytest.raises(ValueError, match=re.escape("mode must be one of 'inline, blocking'")):
        checkout("threads")
