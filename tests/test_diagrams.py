"""The diagrams: what each figure holds (boxes, arrows, bars, lanes, labels), read back through the gids the
module gives its artists, and computed from the real object -- change the object and the figure changes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import pytest

import asyncomm as ac
from asyncomm.labs import diagrams, faults
from asyncomm.labs.simulate import simulate_pipeline
from asyncomm.labs.structures import RingBufferQueue


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def gids(ax, prefix: str = "") -> list[str]:
    """The gids of an axes' patches (boxes, arrows, bars, wedges), in drawing order."""
    return [p.get_gid() for p in ax.patches if p.get_gid() and p.get_gid().startswith(prefix)]


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()]


def text_boxes(fig):
    """(text, bounding box in pixels) of every visible text drawn by hand, titles included."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    artists = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        artists += [ax.title, *ax.texts]
    return [(a.get_text(), a.get_window_extent(renderer)) for a in artists if a.get_visible() and a.get_text()]


def assert_readable(fig) -> None:
    """No two texts overlap, and every text lies inside the figure."""
    boxes = text_boxes(fig)
    canvas = fig.bbox
    for text, box in boxes:
        assert box.x0 >= canvas.x0 - 1 and box.x1 <= canvas.x1 + 1, f"{text!r} sticks out sideways"
        assert box.y0 >= canvas.y0 - 1 and box.y1 <= canvas.y1 + 1, f"{text!r} sticks out at the top or bottom"
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r}"


def test_import_asyncomm_loads_neither_diagrams_nor_matplotlib_and_the_lazy_name_works():
    code = (
        "import sys, asyncomm as ac; before = ('asyncomm.labs.diagrams' in sys.modules, 'matplotlib' in sys.modules);"
        " ac.labs.diagrams.ring_buffer; print(before, 'asyncomm.labs.diagrams' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "(False, False) True"
    assert "diagrams" in dir(ac.labs)


# --- 1. topologies --------------------------------------------------------------------------------------------------


def send_email(order):
    pass


def log_order(order):
    pass


def test_topologies_draws_the_real_listeners_consumers_and_messages():
    q = ac.MessageQueue(maxsize=5, name="jobs")
    q.send("job 1")
    bus = ac.EventBus(name="shop")
    bus.register("order placed", send_email)
    bus.register("order placed", log_order)
    bus.register("refund", print)
    done = ac.CallbackRegistry(name="on_done")
    done.register(send_email)
    fig = diagrams.topologies(q, bus, done, consumers=["c1", "c2"])
    queue_ax, bus_ax, callback_ax = fig.axes
    assert fig.get_suptitle() == "three ways to communicate"
    assert [ax.get_title() for ax in fig.axes] == ["point-to-point queue", "event bus: fan-out", "callback"]
    assert gids(queue_ax, "consumer:") == ["consumer:c1", "consumer:c2"]
    assert gids(queue_ax, "message:") == ["message:'job 1'"]
    assert gids(queue_ax, "arrow:receive") == ["arrow:receive:c1", "arrow:receive:c2"]
    assert "waiting: 1 of 5" in texts(fig)
    assert gids(bus_ax, "listener:") == ["listener:send_email", "listener:log_order"]
    assert len(gids(bus_ax, "arrow:call")) == 2  # one arrow per listener: the fan-out
    assert "bus 'shop'\n(+1 other event)" in texts(fig)
    assert gids(callback_ax, "callback:") == ["callback:send_email"]
    assert "registry\n'on_done'" in texts(fig)
    assert fig.asyncomm_alt == (
        "Three patterns: producer sends to queue 'jobs' (1 waiting), each message goes to one of c1, c2; "
        "triggering 'order placed' on bus 'shop' calls all 2 listeners (send_email, log_order); caller registers "
        "a callback on 'on_done' and worker calls it back."
    )

    # change the objects, and the picture follows
    bus.register("order placed", print)
    q.send("job 2")
    fig = diagrams.topologies(q, bus, done, event="refund")
    assert gids(fig.axes[1], "listener:") == ["listener:print"]
    assert gids(fig.axes[0], "message:") == ["message:'job 1'", "message:'job 2'"]
    assert gids(fig.axes[0], "consumer:") == ["consumer:consumer"]


def test_topologies_defaults_are_small_real_objects_and_readable():
    fig = diagrams.topologies()
    assert gids(fig.axes[1], "listener:") == ["listener:send_email", "listener:update_stock", "listener:log_order"]
    assert gids(fig.axes[2], "callback:") == ["callback:notify_user"]
    assert_readable(fig)


def test_topologies_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match=re.escape("bus 'empty' has no listeners to draw; register one first")):
        diagrams.topologies(bus=ac.EventBus(name="empty"))
    bus = ac.EventBus(name="b")
    bus.register("a", print)
    with pytest.raises(ValueError, match=re.escape("bus 'b' has no listeners for 'z'; its events are ['a']")):
        diagrams.topologies(bus=bus, event="z")
    with pytest.raises(
        TypeError, match=re.escape("queue must be an asyncomm queue such as ac.MessageQueue(), got [1]")
    ):
        diagrams.topologies([1])
    with pytest.raises(ValueError, match=re.escape("consumers must be one or more consumer names, got []")):
        diagrams.topologies(consumers=[])


# --- 2. control flow ------------------------------------------------------------------------------------------------


def test_the_seed_program_runs_in_one_thread_and_stops_at_the_trigger():
    seed = ac.course.load_seed_example()
    flow = diagrams.record_calls(seed["main"])
    assert flow.threads == ("MainThread",)
    assert [(c.depth, c.name, c.error) for c in flow.calls] == [
        (0, "main", None),
        (1, "MessageQueue.__init__", None),
        (2, "Queue.__init__", None),
        (1, "MessageQueue.send_message", None),
        (2, "Queue.put", None),
        (1, "print", None),
        (1, "EventDriver.__init__", None),
        (1, "EventDriver.register_listener", None),
        (2, "list.append", None),
        (1, "EventDriver.trigger_event", "TypeError"),
    ]
    assert flow.error == "TypeError: callback_function() missing 1 required positional argument: 'message'"
    assert flow.output.startswith("Sent message: <bound method MessageQueue.send_message of")

    fig = diagrams.control_flow(seed["main"])
    assert [ax.get_title() for ax in fig.axes] == ["MainThread"]
    assert fig.get_suptitle() == "main(): 10 calls, one thread: nothing ran asynchronously;\nstopped by TypeError"
    ax = fig.axes[0]
    calls = [t for t in ax.texts if (t.get_gid() or "").startswith("call:")]
    assert [t.get_text() for t in calls][-3:] == [
        "EventDriver.register_listener()",
        "list.append()",
        "EventDriver.trigger_event()",
    ]
    failed = calls[-1].get_bbox_patch().get_edgecolor()
    assert mcolors.to_hex(failed) == mcolors.to_hex(diagrams.COLORS["error"])
    assert "✗ TypeError: callback_function() missing 1 required\npositional argument: 'message'" in texts(fig)
    assert fig.asyncomm_alt.endswith(
        "it ended with TypeError: callback_function() missing 1 required positional argument: 'message'."
    )
    assert_readable(fig)


def _work(message):
    print(message)


def program_with_a_thread():
    worker = threading.Thread(target=_work, args=("hi",), name="worker")
    worker.start()
    worker.join()


def program_that_forgets_join():
    threading.Thread(target=_work, args=("late",), name="forgotten").start()


def test_a_thread_gets_a_column_of_its_own_and_the_profilers_are_restored():
    before = sys.getprofile(), threading.getprofile()
    flow = diagrams.record_calls(program_with_a_thread)
    assert (sys.getprofile(), threading.getprofile()) == before
    assert flow.threads == ("MainThread", "worker")
    assert [(c.thread, c.name) for c in flow.calls if c.thread == "worker"] == [
        ("worker", "_work"),
        ("worker", "print"),
    ]
    assert flow.output == "hi\n" and flow.error is None
    fig = diagrams.control_flow(flow)
    assert [ax.get_title() for ax in fig.axes] == ["MainThread", "worker"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["_work()", "print()"]
    assert fig.get_suptitle() == "program_with_a_thread(): 6 calls, 2 threads"


def test_a_thread_the_program_does_not_join_is_waited_for():
    flow = diagrams.record_calls(program_that_forgets_join)
    assert ("forgotten", "_work") in [(c.thread, c.name) for c in flow.calls]
    assert flow.output == "late\n"


def test_control_flow_wants_a_function():
    with pytest.raises(TypeError, match=re.escape("program must be a Python function such as main, got 'main'")):
        diagrams.control_flow("main")


# --- 3. delivery timeline -------------------------------------------------------------------------------------------


def reliable_run():
    """a: acked at 1; b: its lease runs out at 5, taken back at 6, acked on its second delivery;
    c: runs out twice, dead-lettered (max_deliveries=2); d: still in flight at the end."""
    clock = ac.VirtualClock()
    q = ac.ReliableQueue(clock=clock, trace=ac.Trace(), visibility_timeout=5, max_deliveries=2, name="jobs")
    for message in "abc":
        q.send(message)
    first, *_ = (q.receive(consumer="w1") for _ in range(3))
    clock.advance(1)
    first.ack()
    clock.advance(5)
    again = q.receive(consumer="w1")  # takes b and c back: both leases ran out at 5
    clock.advance(2)
    again.ack()
    q.receive(consumer="w2")  # c, second delivery, at 8
    clock.advance(6)
    q.send("d")  # a verb: c's last lease ran out at 13, so c is dead-lettered now, at 14
    return clock, q, q.receive(consumer="w2")


def test_delivery_timeline_has_a_lane_per_message_and_a_bar_per_delivery():
    clock, q, d = reliable_run()
    fig = diagrams.delivery_timeline(q)
    ax = fig.axes[0]
    assert fig.get_suptitle() == "deliveries on queue 'jobs' (visibility timeout 5 s)"
    assert gids(ax) == [
        "delivery:1:1:acked",
        "delivery:2:1:visibility timeout",
        "delivery:3:1:visibility timeout",
        "delivery:2:2:acked",
        "delivery:3:2:dead-lettered",
        "delivery:4:1:in flight",
    ]
    spans = {p.get_gid(): (p.get_x(), p.get_x() + p.get_width()) for p in ax.patches}
    assert spans["delivery:2:1:visibility timeout"] == (0, 6)  # taken back by the receive at 6
    assert spans["delivery:3:2:dead-lettered"] == (8, 14)  # received at 8, its lease ran out at 13
    assert spans["delivery:4:1:in flight"] == (14, 14)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1: 'a'", "2: 'b'", "3: 'c'", "4: 'd'"]
    assert ax.get_ylim() == (3.5, -0.5)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["sent", "lease ran out", "acked", "visibility timeout", "dead-lettered", "in flight"]
    ticks = [line for line in ax.get_lines() if len(line.get_xdata()) == 2]
    assert sorted(float(line.get_xdata()[0]) for line in ticks) == [5.0, 5.0, 13.0]  # b, c, then c again
    assert fig.asyncomm_alt == (
        "Deliveries of 4 messages on queue 'jobs' (visibility timeout 5 s), one lane each: "
        "2 acked, 2 visibility timeout, 1 dead-lettered, 1 in flight."
    )

    # ack d: its bar turns from in flight to acked, and grows to the ack
    clock.advance(1)
    d.ack()
    ax = diagrams.delivery_timeline(q).axes[0]
    assert gids(ax)[-1] == "delivery:4:1:acked"
    assert (ax.patches[-1].get_x(), ax.patches[-1].get_width()) == (14, 1)


def test_delivery_timeline_follows_the_queue():
    clock = ac.VirtualClock()
    trace = ac.Trace()
    q = ac.ReliableQueue(clock=clock, trace=trace, visibility_timeout=5, name="jobs")
    q.send("x")
    d = q.receive()
    assert gids(diagrams.delivery_timeline(trace).axes[0]) == ["delivery:1:1:in flight"]
    clock.advance(2)
    d.nack(requeue=True)
    q.receive().ack()
    assert gids(diagrams.delivery_timeline(trace.rows).axes[0]) == ["delivery:1:1:nacked", "delivery:1:2:acked"]


def test_auto_acked_deliveries_are_a_point():
    q = ac.ReliableQueue(clock=ac.VirtualClock(), trace=ac.Trace(), delivery="at-most-once", name="fast")
    q.send("m")
    q.receive()
    ax = diagrams.delivery_timeline(q).axes[0]
    assert gids(ax) == ["delivery:1:1:auto-acked"]
    assert ax.patches[0].get_width() == 0


def test_delivery_timeline_refusals():
    with pytest.raises(TypeError, match=re.escape("(a queue without a trace: give it trace=ac.Trace())")):
        diagrams.delivery_timeline(ac.ReliableQueue(clock=ac.VirtualClock()))
    trace = ac.Trace()
    a = ac.ReliableQueue(clock=ac.VirtualClock(), trace=trace, name="a")
    b = ac.ReliableQueue(clock=ac.VirtualClock(), trace=trace, name="b")
    a.send(1)
    b.send(2)
    with pytest.raises(ValueError, match=re.escape("the trace holds several queues ['a', 'b']; say which with name=")):
        diagrams.delivery_timeline(trace)
    with pytest.raises(ValueError, match=re.escape("queue 'a' has no deliveries to draw yet: receive a message first")):
        diagrams.delivery_timeline(trace, name="a")
    with pytest.raises(
        ValueError, match=re.escape("the trace has no rows of queue 'c'; the queues in it are ['a', 'b']")
    ):
        diagrams.delivery_timeline(trace, name="c")


# --- 4. competing consumers -----------------------------------------------------------------------------------------


def test_consumer_gantt_has_a_lane_per_consumer_and_a_bar_per_message():
    run = simulate_pipeline([0, 0, 0, 0], [1, 3, 1, 1], consumers=2)
    fig = diagrams.consumer_gantt(run)
    ax, lengths = fig.axes
    bars = {p.get_gid(): (p.get_x(), p.get_width(), p.get_y() + p.get_height() / 2) for p in ax.patches}
    # consumer 0 takes 0, then 2 at 1, then 3 at 2; consumer 1 works on 1 for 3 s
    assert bars == {
        "message:0": (0, 1, 0),
        "message:1": (0, 3, 1),
        "message:2": (1, 1, 0),
        "message:3": (2, 1, 0),
    }
    assert [t.get_text() for t in ax.get_yticklabels()] == ["consumer 0", "consumer 1"]
    assert fig.get_suptitle() == "2 consumers share 4 messages; finish order 0, 2, 1, 3"
    colours = {p.get_gid(): mcolors.to_hex(p.get_facecolor()) for p in ax.patches}
    assert colours["message:0"] == colours["message:2"] != colours["message:1"]
    (line,) = lengths.get_lines()
    assert [float(y) for y in line.get_ydata()] == [2, 1, 0, 0]  # waiting: 2 at 0, 1 at 1, 0 at 2
    assert "finished in the order 0, 2, 1, 3" in fig.asyncomm_alt


def test_consumer_gantt_marks_a_lost_message():
    fig = diagrams.consumer_gantt(simulate_pipeline([0, 1], 2, crash_on=[0]))
    ax = fig.axes[0]
    assert gids(ax) == ["message:1"]
    (cross,) = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert list(cross.get_xdata()) == [0]
    assert "a consumer crashed holding message(s) 0." in fig.asyncomm_alt


def test_consumer_gantt_wants_a_simulation_run():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "pass a run of asyncomm.labs.simulate.simulate_pipeline(...) or asyncomm.labs.faults.run_lab(...), got [1]"
        ),
    ):
        diagrams.consumer_gantt([1])
    with pytest.raises(ValueError, match=re.escape("draw an at-least-once run: in an at-most-once run the queue")):
        diagrams.consumer_gantt(faults.run_lab("competing-consumers", delivery="at-most-once"))


def test_consumer_gantt_of_the_fault_labs_competing_consumers():
    run = faults.run_lab("competing-consumers", messages=9, consumers=2)
    fig = diagrams.consumer_gantt(run)
    ax, lengths = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c1", "c2"]
    bars = {p.get_gid(): (p.get_x(), p.get_x() + p.get_width(), p.get_y() + p.get_height() / 2) for p in ax.patches}
    assert sorted(bars) == sorted(f"message:{n}" for n in range(1, 10))  # one delivery each: nothing crashed
    lane = {"c1": 0, "c2": 1}
    for t, n, consumer in run.effects:  # each bar ends when its effect happened, in its consumer's lane
        assert bars[f"message:{n}"][1:] == (t, lane[consumer])
    order = list(dict.fromkeys(n for _, n, _ in run.effects))
    assert order != sorted(order)  # competing consumers finish out of order, and the title says so
    assert fig.get_suptitle() == f"2 consumers share 9 messages; finish order {', '.join(map(str, order))}"
    (line,) = lengths.get_lines()
    # bursts of three messages every second: two consumers take two at once, one waits
    assert (line.get_xdata()[0], line.get_ydata()[0]) == (0, 1)


def test_consumer_gantt_of_a_lab_with_a_crash_keeps_the_restarted_consumer_in_its_lane():
    run = faults.run_lab(crash_on={3: "before-processing"}, messages=5)
    fig = diagrams.consumer_gantt(run)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c1"]
    (crash,) = run.crashes
    (cross,) = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert list(cross.get_xdata()) == [crash.time]
    assert sorted(gids(ax)) == sorted(f"message:{n}" for n in (1, 2, 3, 4, 5))  # 3's second delivery, by c1#2
    assert "a consumer crashed holding message(s) 3." in fig.asyncomm_alt


# --- 5. a Redis stream ----------------------------------------------------------------------------------------------


def test_stream_diagram_shows_the_group_and_who_holds_what(redis_url):
    with ac.RedisStreamQueue(redis_url, "diagram-orders", visibility_timeout=30) as q:
        ids = [q.send({"n": n}) for n in range(4)]
        q.receive(consumer="c1").ack()
        held = q.receive(consumer="c2")
        rejected = q.receive(consumer="c1")
        rejected.nack(requeue=False)
        state = diagrams.stream_state(q)
        assert state.stream == "diagram-orders" and state.group == "workers" and state.length == 4
        assert state.last_delivered == ids[2]
        assert [(e.id, e.state, e.consumer, e.deliveries) for e in state.entries] == [
            (ids[0], "done", None, 0),
            (ids[1], "pending", "c2", 1),
            (ids[2], "done", None, 0),
            (ids[3], "new", None, 0),
        ]
        assert dict(state.consumers) == {"c1": 0, "c2": 1} and state.dead == 1

        fig = diagrams.stream_diagram(q)
        ax = fig.axes[0]
        assert gids(ax, "entry:") == [
            f"entry:{ids[0]}:done",
            f"entry:{ids[1]}:pending",
            f"entry:{ids[2]}:done",
            f"entry:{ids[3]}:new",
        ]
        assert gids(ax, "pending:") == [f"pending:{ids[1]}:c2"]
        assert "c2\n1 pending" in texts(fig) and "delivered 1x" in texts(fig)
        assert f"group 'workers': last delivered {ids[2]}" in texts(fig)
        assert "diagram-orders:dead\n1 dead letter" in texts(fig)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["new", "pending", "done"]
        assert fig.asyncomm_alt == (
            f"Redis stream 'diagram-orders' with 4 entries and consumer group 'workers' (last delivered {ids[2]}): "
            f"c2 holds {ids[1]}; 1 dead letter."
        )
        assert_readable(fig)

        held.ack()  # the server changes, and so does the picture
        assert gids(diagrams.stream_diagram(q).axes[0], "pending:") == []


def test_stream_state_wants_a_stream_queue():
    with pytest.raises(TypeError, match=re.escape("pass a RedisStreamQueue (or AsyncRedisStreamQueue), got 3")):
        diagrams.stream_state(3)


# --- 6. a ring buffer -----------------------------------------------------------------------------------------------


def test_ring_buffer_draws_slots_head_and_tail_from_the_object():
    ring = RingBufferQueue(6)
    for message in "abcd":
        ring.send(message)
    ring.receive()
    ring.receive()
    fig = diagrams.ring_buffer(ring)
    ax = fig.axes[0]
    assert gids(ax) == ["slot:0", "slot:1", "slot:2:c", "slot:3:d", "slot:4", "slot:5"]
    assert {t.get_gid(): t.get_text() for t in ax.texts if t.get_gid() in ("head", "tail", "count")} == {
        "head": "head = 2",
        "tail": "tail = 4",
        "count": "2 of 6",
    }
    assert fig.asyncomm_alt == (
        "A ring buffer of 6 slots, 2 of 6 slots used: head (next receive) at slot 2, tail (next send) at slot 4; "
        "messages in order: 'c', 'd'."
    )
    assert_readable(fig)

    for message in "efgh":  # wraps around: e, f in slots 4, 5, then g, h in 0, 1; the ring is full
        ring.send(message)
    fig = diagrams.ring_buffer(ring)
    assert gids(fig.axes[0]) == ["slot:0:g", "slot:1:h", "slot:2:c", "slot:3:d", "slot:4:e", "slot:5:f"]
    assert "A ring buffer of 6 slots, full: head (next receive) at slot 2" in fig.asyncomm_alt
    assert_readable(fig)  # head and tail on the same slot: their labels are side by side, not on top


def test_ring_buffer_wants_a_ring():
    with pytest.raises(TypeError, match=re.escape("pass a RingBufferQueue (asyncomm.labs.structures), got []")):
        diagrams.ring_buffer([])


# --- the chapters' text diagrams ----------------------------------------------------------------------------------

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.M | re.S)


def columns(line: str) -> int:
    """How many monospace columns a line takes: a wide (Chinese) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def text_diagrams() -> list[tuple[str, int, str]]:
    """(notebook, cell index, body) of every fenced block without a programming language in a markdown cell."""
    found = []
    for path in sorted([*NOTEBOOKS.glob("*.ipynb"), *NOTEBOOKS.glob("zh/*.ipynb")]):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            for info, body in FENCE.findall("".join(cell["source"])):
                if info.strip() in ("", "text"):
                    found.append((str(path.relative_to(NOTEBOOKS)), index, body))
    return found


def test_every_text_diagram_of_both_editions_fits_in_79_columns():
    diagrams_found = text_diagrams()
    # The capstone's picture in chapter 07, in both editions, at least: the test must see what it is about.
    assert {name for name, _, body in diagrams_found if "CallbackRegistry" in body} == {
        "07-summary.ipynb",
        "zh/07-summary.ipynb",
    }
    too_wide = [
        f"{name} cell {index}: {columns(line)} columns: {line.strip()[:40]}"
        for name, index, body in diagrams_found
        for line in body.splitlines()
        if columns(line) > 79
    ]
    assert not too_wide, "diagram lines wider than 79 columns wrap in a narrow window:\n" + "\n".join(too_wide)


def test_columns_counts_a_chinese_character_as_two():
    assert columns("queue ──▶ 队列") == 14
