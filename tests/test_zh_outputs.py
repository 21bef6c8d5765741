"""In Chinese (``ac.set_language("zh")``), what a learner reads in plots and widgets is Chinese: every plotting
function's titles, axis labels and legends, the widgets' buttons, tables and status lines. Drawn without a
missing glyph. English is restored after each test (the English texts are pinned by the other test files)."""

from __future__ import annotations

import logging
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

import asyncomm as ac
from asyncomm.i18n import set_language
from asyncomm.labs import diagrams, levers, plots, timing
from asyncomm.labs.simulate import simulate_pipeline
from asyncomm.labs.structures import RingBufferQueue

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def zh():
    with matplotlib.rc_context():
        set_language("zh")
        try:
            yield
        finally:
            set_language("en")
            plt.close("all")


def chinese(text: str) -> bool:
    return CHINESE.search(text) is not None


def labels(fig) -> dict[str, list[str]]:
    """The words of a figure a learner reads, by kind."""
    found: dict[str, list[str]] = {"title": [], "axis": [], "legend": [], "text": []}
    if fig._suptitle is not None:
        found["title"].append(fig._suptitle.get_text())
    for ax in fig.axes:
        found["title"] += [ax.get_title()] if ax.get_title() else []
        found["axis"] += [label for label in (ax.get_xlabel(), ax.get_ylabel()) if label]
        legend = ax.get_legend()
        found["legend"] += [t.get_text() for t in legend.get_texts()] if legend else []
        found["text"] += [t.get_text() for t in ax.texts if t.get_text()]
    return found


def assert_chinese(fig, *kinds: str) -> None:
    """Each kind of label named holds Chinese (every title does); drawing it misses no glyph."""
    found = labels(fig)
    assert found["title"] and any(chinese(t) for t in found["title"]), found["title"]
    for kind in kinds:
        assert found[kind] and any(chinese(t) for t in found[kind]), (kind, found[kind])
    assert_no_missing_glyph(fig)


def assert_no_missing_glyph(fig) -> None:
    import io

    logger = logging.getLogger("matplotlib.font_manager")
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")  # as the inline backend draws
    finally:
        logger.removeHandler(handler)
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    assert [r.getMessage() for r in records] == []


# --- plots ------------------------------------------------------------------------------------------------------------
def test_gantt_in_chinese():
    fig = plots.gantt(timing.compare(4, 1.0, processes=2))
    assert_chinese(fig, "axis")
    assert [ax.get_title() for ax in fig.axes][2] == "线程池，4 个线程：1 秒"


def test_total_bars_in_chinese():
    assert_chinese(plots.total_bars(timing.compare(4, 1.0, processes=2)), "axis", "legend")


def test_speedup_vs_n_in_chinese():
    assert_chinese(plots.speedup_vs_n(timing.sweep([1, 2, 4], 1.0, processes=2)), "axis", "legend")


def test_cpu_contrast_in_chinese():
    runs = [*timing.compare(4, 1.0, processes=4), *timing.compare(4, 1.0, work="cpu", processes=4)]
    fig = plots.cpu_contrast(runs)
    assert [ax.get_title() for ax in fig.axes] == ["4 个等待的任务", "4 个计算的任务"]
    assert_chinese(fig, "axis", "legend")


def test_queue_lengths_in_chinese():
    trace = ac.Trace()
    q = ac.MessageQueue(trace=trace, clock=ac.VirtualClock())
    q.send("a")
    fig = levers.plot_queue_lengths({"一次发送": trace}, title="队列长度")
    assert_chinese(fig, "axis")
    assert labels(fig)["axis"] == ["虚拟时间（秒）", "排队中的消息数"]


# --- diagrams ---------------------------------------------------------------------------------------------------------
def test_topologies_in_chinese():
    fig = diagrams.topologies()
    assert [ax.get_title() for ax in fig.axes] == ["点对点队列", "事件总线：扇出", "回调"]
    assert_chinese(fig, "text")


def test_control_flow_in_chinese():
    def main():
        len("hi")

    fig = diagrams.control_flow(main)
    assert "次调用" in fig._suptitle.get_text()
    assert_chinese(fig)


def test_delivery_timeline_in_chinese():
    clock = ac.VirtualClock()
    q = ac.ReliableQueue(clock=clock, trace=ac.Trace(), visibility_timeout=5, name="jobs")
    q.send("a")
    q.send("b")
    q.receive().ack()
    q.receive()
    clock.advance(6)
    fig = diagrams.delivery_timeline(q)
    assert "已确认" in labels(fig)["legend"]
    assert_chinese(fig, "axis", "legend")


def test_consumer_gantt_in_chinese():
    fig = diagrams.consumer_gantt(simulate_pipeline([0, 0, 0], 1, consumers=2))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["消费者 0", "消费者 1"]
    assert_chinese(fig, "axis")


def test_stream_diagram_in_chinese():
    state = diagrams.StreamState(
        "orders",
        "workers",
        2,
        "1-0",
        (("c1", 1),),
        (diagrams.StreamEntry("1-0", "pending", "c1", 1), diagrams.StreamEntry("2-0", "new")),
        dead=0,
    )
    assert_chinese(diagrams.stream_diagram(state), "text", "legend")


def test_ring_buffer_in_chinese():
    ring = RingBufferQueue(4)
    ring.send("a")
    assert_chinese(diagrams.ring_buffer(ring), "text")


def test_queueing_lab_in_chinese():
    from asyncomm.labs.queueing_lab import QueueingLab
    from asyncomm.widgets.queueing_view import QueueingLabWidget, render_plot, render_table

    outcome = QueueingLab(customers=1000).outcome
    assert chinese(outcome.note) and all(chinese(row.quantity) for row in outcome.rows())
    assert "<th>指标</th>" in render_table(outcome)
    assert render_plot(outcome)[:4] == b"\x89PNG"
    lab = QueueingLabWidget(QueueingLab(customers=1000))
    assert lab.arrival_rate.description == "到达率 λ（/秒）"


def test_english_comes_back_after_chinese():
    set_language("en")
    fig = diagrams.topologies()
    assert [ax.get_title() for ax in fig.axes] == ["point-to-point queue", "event bus: fan-out", "callback"]


# --- widgets ----------------------------------------------------------------------------------------------------------
def _controls(widget):
    found = {}

    def walk(w):
        for cls in getattr(w, "_dom_classes", ()):
            found[cls] = w
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return found


def test_queue_widget_in_chinese():
    from asyncomm.widgets import queue_widget

    widget = queue_widget(maxsize=1)
    ui = _controls(widget)
    assert ui["ac-queue-send"].description == "发送" and widget.back_button.description == "◀ 后退"
    ui["ac-queue-send"].click()
    ui["ac-queue-send"].click()
    assert "⛔ 拒绝：队列 &#x27;q&#x27; 已满" in widget.pane.value and "ac-refused" in widget.pane.value
    assert "<th>操作</th>" in widget.pane.value and "已满：发送会被拒绝" in widget.pane.value
    ui["ac-queue-receive"].click()
    ui["ac-queue-receive"].click()
    assert "拒绝：队列 &#x27;q&#x27; 是空的" in widget.pane.value


def test_bus_widget_in_chinese():
    from asyncomm.widgets import bus_widget

    widget = bus_widget()
    ui = _controls(widget)
    assert ui["ac-bus-trigger"].description == "触发" and widget.listener.description == "监听器"
    widget.listener.value = "fails"
    ui["ac-bus-register"].click()
    ui["ac-bus-trigger"].click()
    assert "1 个监听器抛出了异常" in widget.model.message and "ac-fail" in widget.pane.value
    assert "抛出了 ValueError" in widget.pane.value and "监听器（按调用顺序）" in widget.pane.value


def test_callback_widget_in_chinese():
    from asyncomm.widgets import callback_widget

    widget = callback_widget()
    ui = _controls(widget)
    ui["ac-callback-advance"].click()
    assert widget.model.message == "拒绝：没有正在运行的任务；先启动一个任务"
    assert ui["ac-callback-start"].description == "启动任务"
    ui["ac-callback-register"].click()
    ui["ac-callback-start"].click()
    ui["ac-callback-advance"].click()
    assert widget.model.message == "t=2：download 完成；1 个 on_done 回调运行了"
    assert "已完成" in widget.pane.value and "显示 &#x27;download result&#x27;" in widget.pane.value


def test_loop_widget_in_chinese():
    from asyncomm.widgets import loop_widget

    widget = loop_widget("producer and consumers")
    assert "创建了 main 任务" in widget.pane.value and "就绪队列" in widget.pane.value
    widget.forward_button.click()
    widget.forward_button.click()
    assert "<th>暂停于</th>" in widget.pane.value and "就绪" in widget.pane.value
    ui = _controls(widget)
    assert ui["ac-loop-end"].description == "运行到结束"
    ui["ac-loop-end"].click()
    assert "完成了" in widget.pane.value


def test_a_widget_made_in_english_stays_english_until_redrawn():
    """Buttons are made once: a widget made before set_language("zh") keeps English buttons; the status
    lines follow the language at each click (make the widget after choosing the language)."""
    from asyncomm.widgets import queue_widget

    set_language("en")
    widget = queue_widget()
    set_language("zh")
    assert widget.back_button.description == "◀ Back"
    _controls(widget)["ac-queue-send"].click()
    assert widget.model.message == "已发送 'hello'"
