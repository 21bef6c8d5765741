"""Property tests: the queues behave exactly like a ``collections.deque`` model.

Hypothesis drives random sequences of send / receive / clear / close against a
bounded or unbounded queue, with each full-queue policy, and checks after every
step that the queue, its errors (type *and* message) and its trace agree with
the model. A last property throws random interleavings of waiting, cancelled
and timed-out asyncio tasks at an ``AsyncMessageQueue`` and checks that no
message is ever lost or duplicated and no waiter is left asleep while it could
proceed.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import asyncomm as ac
from asyncomm.statistics import QueueStatistics

MAXSIZES = st.sampled_from([0, 0, 1, 2, 3, 5])
MESSAGES = st.one_of(st.integers(-5, 5), st.none(), st.text(max_size=2), st.tuples(st.integers(0, 3)))
NAMES = st.sampled_from(["queue", "jobs", "inbox"])
POLICIES = st.sampled_from(["block", "block", "raise", "drop-newest", "drop-oldest"])


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def full_message(name: str, maxsize: int) -> str:
    return (
        f"queue {name!r} is full ({plural(maxsize, 'message')}); "
        f"receive some first, or send with a timeout to wait for room"
    )


def empty_message(name: str) -> str:
    return f"queue {name!r} is empty; send a message first, or receive with a timeout to wait for one"


def closed_message(name: str) -> str:
    return f"queue {name!r} is closed; no new messages can be sent"


def drained_message(name: str) -> str:
    return f"queue {name!r} is closed and drained; there are no more messages"


class QueueModel(RuleBasedStateMachine):
    """The nowait verbs, ``clear`` and ``close`` of a queue against a deque.

    Subclasses choose the queue class; the sync one adds timeout rules.
    """

    queue_class: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.model: deque[Any] = deque()
        self.closed = False
        self.expected_rows: list[tuple[float, str, Any, int, str]] = []

    @initialize(maxsize=MAXSIZES, name=NAMES, policy=POLICIES)
    def make_queue(self, maxsize: int, name: str, policy: str) -> None:
        # autojump_threshold=0: a lone thread waiting on the clock jumps to its
        # deadline at once, so timeout rules are exact and instant.
        self.clock = ac.VirtualClock(autojump_threshold=0)
        self.trace = ac.Trace()
        self.maxsize = maxsize
        self.name = name
        self.policy = policy
        self.dropped = 0
        self.sent = 0  # sends that did not raise: each returns its number
        self.q = self.queue_class(maxsize, policy=policy, clock=self.clock, trace=self.trace, name=name)

    # -- the model -----------------------------------------------------------
    def model_full(self) -> bool:
        return self.maxsize > 0 and len(self.model) >= self.maxsize

    def send_would_wait(self) -> bool:
        return not self.closed and self.model_full() and self.policy == "block"

    def expect_row(self, operation: str, item: Any, outcome: str = "ok") -> None:
        self.expected_rows.append((self.clock.now(), operation, item, len(self.model), outcome))

    def expect_send(self, msg: Any, call: Any, full_text: str, waits: float = 0.0) -> None:
        """Run ``call`` (a send of ``msg``) and check it does what the model says.

        ``full_text`` is the QueueFull message of a blocking queue that stays
        full; ``waits`` is how long (virtual s) the call waits before that.
        """
        start = self.clock.now()
        waited = self.send_would_wait()
        if self.closed:
            with pytest.raises(ac.QueueClosed, match=re.escape(closed_message(self.name))):
                call()
            self.expect_row("send", msg, "QueueClosed")
        elif waited:
            with pytest.raises(ac.QueueFull, match=re.escape(full_text)):
                call()
            assert self.clock.now() == start + waits
            self.expect_row("send", msg, "QueueFull")
        elif self.model_full() and self.policy == "raise":
            with pytest.raises(
                ac.QueueFull,
                match=re.escape(
                    f"queue {self.name!r} is full ({plural(self.maxsize, 'message')}) and its policy is "
                    f"'raise'; receive some first, or use policy='block' to wait for room"
                ),
            ):
                call()
            self.expect_row("send", msg, "QueueFull")
        elif self.model_full() and self.policy == "drop-newest":
            self.sent += 1
            assert call() == self.sent  # a dropped message is numbered too
            self.dropped += 1
            self.expect_row("send", msg, "dropped")
        else:
            if self.model_full():  # drop-oldest: the oldest message makes room
                self.dropped += 1
                self.expect_row("drop", self.model.popleft(), "dropped")
            self.sent += 1
            assert call() == self.sent
            self.model.append(msg)
            self.expect_row("send", msg)
        if not waited:
            assert self.clock.now() == start  # only a blocking send to a full queue waits

    def expect_receive(self, call: Any, empty_text: str) -> None:
        if self.model:
            got = call()
            expected = self.model.popleft()
            assert got == expected and type(got) is type(expected)
            self.expect_row("receive", expected)
        elif self.closed:
            with pytest.raises(ac.QueueClosed, match=re.escape(drained_message(self.name))):
                call()
            self.expect_row("receive", None, "QueueClosed")
        else:
            with pytest.raises(ac.QueueEmpty, match=re.escape(empty_text)):
                call()
            self.expect_row("receive", None, "QueueEmpty")

    # -- rules ---------------------------------------------------------------
    @rule(msg=MESSAGES)
    def send_nowait(self, msg: Any) -> None:
        self.expect_send(msg, lambda: self.q.send_nowait(msg), full_message(self.name, self.maxsize))

    @rule()
    def receive_nowait(self) -> None:
        self.expect_receive(self.q.receive_nowait, empty_message(self.name))

    @rule()
    def clear(self) -> None:
        dropped = len(self.model)
        assert self.q.clear() == dropped
        self.model.clear()
        self.expect_row("clear", dropped)

    @rule()
    def close(self) -> None:
        self.q.close()
        if not self.closed:  # closing twice records nothing
            self.closed = True
            self.expect_row("close", None)

    # -- invariants ----------------------------------------------------------
    @invariant()
    def state_matches_the_model(self) -> None:
        assert len(self.q) == len(self.model)
        assert self.q.snapshot() == list(self.model)
        assert self.q.empty() == (not self.model)
        assert self.q.full() == self.model_full()
        assert self.q.closed == self.closed
        assert self.q.maxsize == self.maxsize
        assert self.q.policy == self.policy
        assert self.q.statistics() == QueueStatistics(
            self.name, len(self.model), self.maxsize, self.closed, 0, 0, self.dropped
        )
        if self.maxsize:
            assert len(self.q) <= self.maxsize

    @invariant()
    def trace_has_one_row_per_operation(self) -> None:
        rows = self.trace.rows
        assert [r.seq for r in rows] == list(range(len(rows)))
        assert {(r.pattern, r.name) for r in rows} <= {("queue", self.name)}
        assert [(r.time, r.operation, r.item, r.size, r.outcome) for r in rows] == self.expected_rows


class MessageQueueModel(QueueModel):
    """``MessageQueue``: the nowait rules plus the waiting verbs with timeouts."""

    queue_class = ac.MessageQueue

    @rule(msg=MESSAGES)
    def send_timeout_zero(self, msg: Any) -> None:
        self.expect_send(msg, lambda: self.q.send(msg, timeout=0), full_message(self.name, self.maxsize))

    @rule()
    def receive_timeout_zero(self) -> None:
        self.expect_receive(lambda: self.q.receive(timeout=0), empty_message(self.name))

    @rule(msg=MESSAGES, timeout=st.sampled_from([0.5, 2, 10]))
    def send_with_timeout(self, msg: Any, timeout: float) -> None:
        stayed_full = (
            f"queue {self.name!r} stayed full for {timeout:g} s; the message was not sent: "
            f"consume faster, or give the queue a larger maxsize"
        )
        self.expect_send(msg, lambda: self.q.send(msg, timeout=timeout), stayed_full, waits=timeout)

    @rule(timeout=st.sampled_from([0.5, 2, 10]))
    def receive_with_timeout(self, timeout: float) -> None:
        start = self.clock.now()
        no_message = f"no message arrived on queue {self.name!r} within {timeout:g} s"
        if not self.model and not self.closed:
            with pytest.raises(ac.QueueEmpty, match=re.escape(no_message)):
                self.q.receive(timeout=timeout)
            assert self.clock.now() == start + timeout
            self.expect_row("receive", None, "QueueEmpty")
        else:
            self.expect_receive(lambda: self.q.receive(timeout=timeout), no_message)
            assert self.clock.now() == start

    @precondition(lambda self: not self.send_would_wait())
    @rule(msg=MESSAGES)
    def send_without_timeout_when_it_cannot_block(self, msg: Any) -> None:
        self.expect_send(msg, lambda: self.q.send(msg), "")

    @precondition(lambda self: self.closed or self.model)
    @rule()
    def receive_without_timeout_when_it_cannot_block(self) -> None:
        self.expect_receive(self.q.receive, "")


class AsyncMessageQueueModel(QueueModel):
    """``AsyncMessageQueue``: its non-awaiting verbs work outside any event loop."""

    queue_class = ac.AsyncMessageQueue


MODEL_SETTINGS = settings(max_examples=150, stateful_step_count=40, deadline=None)

TestMessageQueueModel = MessageQueueModel.TestCase
TestMessageQueueModel.settings = MODEL_SETTINGS
TestAsyncMessageQueueNowaitModel = AsyncMessageQueueModel.TestCase
TestAsyncMessageQueueNowaitModel.settings = MODEL_SETTINGS


# -- asyncio: waiting, cancelled and timed-out tasks never lose a message ----------

TIMEOUTS = st.sampled_from([None, None, 0.5, 1.5])
# (how many tasks, their timeout, whether they get to run up to their wait at once)
SPAWN = st.tuples(st.integers(1, 3), TIMEOUTS, st.booleans())
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("receivers"), SPAWN),  # tasks awaiting receive(timeout=...)
        st.tuples(st.just("senders"), SPAWN),  # tasks awaiting send(msg, timeout=...)
        st.tuples(st.just("cancel"), st.sampled_from([0, 0, 1, -1])),  # cancel a task still running
        # send_nowait / receive_nowait, and then (True) at once cancel the oldest
        # waiting receiver / sender: the one just woken, before it could run.
        st.tuples(st.just("send_nowait"), st.booleans()),
        st.tuples(st.just("receive_nowait"), st.booleans()),
        st.tuples(st.just("clear"), st.none()),
        st.tuples(st.just("step"), st.integers(1, 3)),  # let ready tasks run (n loop iterations)
        st.tuples(st.just("sleep"), st.sampled_from([0.5, 1, 2])),  # let virtual time pass
    ),
    min_size=2,
    max_size=30,
)


def replay_trace(rows: list[ac.TraceRow]) -> None:
    """The trace alone must tell a consistent FIFO story."""
    model: deque[Any] = deque()
    for row in rows:
        if row.outcome == "ok":
            if row.operation == "send":
                model.append(row.item)
            elif row.operation == "receive":
                assert model.popleft() == row.item, row
            elif row.operation == "clear":
                assert row.item == len(model), row
                model.clear()
        elif row.operation == "drop":  # drop-oldest made room
            assert model.popleft() == row.item, row
        assert row.size == len(model), row


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def random_scenario(actions: list[tuple[str, Any]], maxsize: int, policy: str) -> None:
    trace = ac.Trace()
    q = ac.AsyncMessageQueue(maxsize, policy=policy, trace=trace, name="q")
    counter = iter(range(10**6))
    receivers: list[asyncio.Task[Any]] = []
    senders: dict[asyncio.Task[Any], int] = {}
    tasks: list[asyncio.Task[Any]] = []
    accepted: list[int] = []  # send_nowait calls that returned normally
    refused: list[int] = []  # send_nowait calls that raised QueueFull
    taken: list[Any] = []  # by receive_nowait
    numbers: list[int] = []  # what the sends that did not raise returned
    cleared = 0

    def check_nobody_sleeps_needlessly() -> None:
        # After the loop settled, a waiter may only wait while it must.
        waiting_receivers = [t for t in receivers if not t.done()]
        waiting_senders = [t for t in senders if not t.done()]
        assert not (waiting_receivers and len(q)), "a receiver waits although messages are queued"
        assert not (waiting_senders and not q.full()), "a sender waits although there is room"
        if maxsize:
            assert len(q) <= maxsize

    def cancel_oldest(candidates: list[asyncio.Task[Any]]) -> None:
        for task in candidates:
            if not task.done():
                task.cancel()
                return

    for action, arg in actions:
        if action == "receivers":
            count, timeout, run_now = arg
            for _ in range(count):
                task = asyncio.create_task(q.receive(timeout=timeout))
                receivers.append(task)
                tasks.append(task)
            if run_now:
                await settle()
        elif action == "senders":
            count, timeout, run_now = arg
            for _ in range(count):
                msg = next(counter)
                task = asyncio.create_task(q.send(msg, timeout=timeout))
                senders[task] = msg
                tasks.append(task)
            if run_now:
                await settle()
        elif action == "cancel":
            running = [t for t in tasks if not t.done()]
            if running:
                running[arg % len(running)].cancel()
        elif action == "send_nowait":
            msg = next(counter)
            try:
                numbers.append(q.send_nowait(msg))
                accepted.append(msg)
            except ac.QueueFull:
                assert q.full()
                refused.append(msg)
            if arg:
                cancel_oldest(receivers)
        elif action == "receive_nowait":
            try:
                taken.append(q.receive_nowait())
            except ac.QueueEmpty:
                assert q.empty()
            if arg:
                cancel_oldest(list(senders))
        elif action == "clear":
            cleared += q.clear()
        elif action == "step":
            for _ in range(arg):
                await asyncio.sleep(0)
        else:
            await asyncio.sleep(arg)
            await settle()
            check_nobody_sleeps_needlessly()

    await settle()
    check_nobody_sleeps_needlessly()
    q.close()
    await settle()
    assert all(t.done() for t in tasks), "close() left a waiter asleep"
    drained = []
    while True:
        try:
            drained.append(q.receive_nowait())
        except ac.QueueClosed:
            break

    for task, msg in senders.items():
        if task.cancelled():
            refused.append(msg)
        elif task.exception() is None:
            accepted.append(msg)
            numbers.append(task.result())
        else:
            assert isinstance(task.exception(), (ac.QueueFull, ac.QueueClosed)), task.exception()
            refused.append(msg)
    received = []
    for task in receivers:
        if not task.cancelled() and task.exception() is None:
            received.append(task.result())
        elif not task.cancelled():
            assert isinstance(task.exception(), (ac.QueueEmpty, ac.QueueClosed)), task.exception()

    queued = [r.item for r in trace.where(operation="send", outcome="ok")]
    shed_newest = [r.item for r in trace.where(operation="send", outcome="dropped")]
    shed_oldest = [r.item for r in trace.where(operation="drop")]
    out = received + taken + drained
    assert len(out) == len(set(out)), "a message was received twice"
    assert set(queued) | set(shed_newest) == set(accepted), "an accepted send left no trace, or a refused one did"
    assert not set(refused) & (set(out) | set(queued)), "a refused or cancelled send was queued"
    assert set(out) <= set(queued) and not set(out) & set(shed_oldest)
    assert len(queued) == len(out) + len(shed_oldest) + cleared, "a message was lost"
    assert q.statistics().dropped == len(shed_newest) + len(shed_oldest)
    assert sorted(numbers) == list(range(1, len(numbers) + 1)), "each send that did not raise has its own number"
    if policy in ("block", "raise"):
        assert not shed_newest and not shed_oldest
    replay_trace(trace.rows)


@settings(max_examples=200, deadline=None)
@given(actions=ACTIONS, maxsize=st.sampled_from([0, 1, 2, 3]), policy=POLICIES)
def test_async_queue_never_loses_or_duplicates_under_cancellation_and_timeouts(actions, maxsize, policy):
    ac.VirtualClock().run(random_scenario(actions, maxsize, policy))
