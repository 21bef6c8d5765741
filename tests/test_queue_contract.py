"""One contract, two backends: the in-memory ReliableQueue and RedisStreamQueue on a real redis-server.

Each backend is wrapped in a small driver that knows how to let time pass: the in-memory queue runs on a
VirtualClock (advance), Redis on the server's real clock (sleep past a short visibility timeout). The last
tests check the contract statically: mypy must accept every backend as a ``DeliveryQueue`` (or
``AsyncDeliveryQueue``), and must refuse one whose signature drifted.
"""

from __future__ import annotations

import ast
import itertools
import os
import re
import time
from pathlib import Path

import pytest

import asyncomm as ac
from asyncomm.reliable import ReliableQueue, StaleDelivery
from asyncomm.reliable.contract import AsyncDeliveryQueue, DeliveryQueue
from asyncomm.statistics import QueueStatistics

VISIBILITY = 0.3  # seconds; short, so the Redis backend's real waits stay short
_names = itertools.count()


class MemoryBackend:
    def __init__(self, name, **options):
        self.clock = ac.VirtualClock(autojump_threshold=0)  # a lone waiting thread jumps to its deadline
        self.queue = ReliableQueue(visibility_timeout=VISIBILITY, clock=self.clock, name=name, **options)

    def let_time_pass(self, seconds):
        self.clock.advance(seconds)


class RedisBackend:
    def __init__(self, url, name, **options):
        from asyncomm.reliable.redis_streams import RedisStreamQueue

        self.queue = RedisStreamQueue(url, name, visibility_timeout=VISIBILITY, **options)

    def let_time_pass(self, seconds):
        time.sleep(seconds)


@pytest.fixture(params=["memory", "redis"])
def backend(request):
    """``backend(**options)`` makes a queue (named ``contract-<n>`` on both backends) and its time driver."""
    made = []

    def make(**options):
        name = f"contract-{next(_names)}"
        if request.param == "memory":
            b = MemoryBackend(name, **options)
        else:
            b = RedisBackend(request.getfixturevalue("redis_url"), name, **options)
        made.append(b)
        return b

    yield make
    for b in made:
        b.queue.close()


def _queue(backend, **options):
    return backend(**options).queue


# -- the verbs ---------------------------------------------------------------------------------------------------


def test_fifo_with_one_consumer_and_ids_match(backend):
    q = _queue(backend)
    ids = [q.send(m) for m in ["a", "b", "c"]]
    got = [q.receive(consumer="c1", timeout=1) for _ in range(3)]
    assert [d.message for d in got] == ["a", "b", "c"]
    assert [d.id for d in got] == ids
    assert all(d.delivery_count == 1 and not d.redelivered and d.consumer == "c1" for d in got)
    assert q.in_flight() == 3
    for d in got:
        d.ack()
    assert q.in_flight() == 0 and q.ready() == 0
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait(consumer="c1")


def test_verbs_take_their_options_by_keyword_only(backend):
    q = _queue(backend)
    q.send("a")
    with pytest.raises(TypeError, match=re.escape("receive() takes 1 positional argument but 2 were given")):
        q.receive("c1")
    with pytest.raises(TypeError, match=re.escape("send() takes 2 positional arguments but 3 were given")):
        q.send("b", "acct-1")
    assert q.receive(consumer="c1", timeout=1).message == "a"


def test_key_travels_with_the_message(backend):
    q = _queue(backend)
    q.send({"amount": 10}, key="acct-1")
    d = q.receive(consumer="c1", timeout=1)
    assert (d.message, d.key) == ({"amount": 10}, "acct-1")
    d.ack()


def test_send_nowait_returns_the_id_and_never_waits(backend):
    q = _queue(backend, maxsize=2)
    first = q.send_nowait("a", key="k")
    second = q.send_nowait("b")
    with pytest.raises(ac.QueueFull, match=re.escape("receive some first, or send with a timeout to wait for room")):
        q.send_nowait("c")
    d = q.receive_nowait(consumer="c1")
    assert (d.id, d.message, d.key) == (first, "a", "k")
    assert q.send_nowait("c") != second and q.ready() == 2  # receiving made room: maxsize bounds ready messages


def test_unacked_delivery_comes_back_after_the_visibility_timeout(backend):
    b = backend()
    q = b.queue
    first_id = q.send("pay 10")
    crashed = q.receive(consumer="c1", timeout=1)  # c1 crashes: never acks
    assert (q.ready(), q.in_flight()) == (0, 1)
    b.let_time_pass(VISIBILITY + 0.1)
    assert (q.ready(), q.in_flight()) == (1, 0)  # expired: ready again, before any receive takes it
    again = q.receive(consumer="c2", timeout=1)
    assert (again.id, again.message, again.delivery_count, again.redelivered) == (first_id, "pay 10", 2, True)
    with pytest.raises(StaleDelivery, match="too late to ack message"):
        crashed.ack()
    assert crashed.state == "expired"
    again.ack()
    assert q.in_flight() == 0


def test_acking_twice_is_refused(backend):
    q = _queue(backend)
    q.send("x")
    d = q.receive(consumer="c1", timeout=1)
    d.ack()
    with pytest.raises(
        StaleDelivery,
        match=re.escape(
            f"message {d.id} (delivery 1 to consumer 'c1') was already acked; ack or nack each delivery exactly once"
        ),
    ):
        d.ack()
    assert repr(d) == f"<Delivery of message {d.id} 'x': delivery 1 to 'c1', acked>"


def test_nack_requeue_must_be_a_bool(backend):
    q = _queue(backend)
    q.send("x")
    d = q.receive(consumer="c1", timeout=1)
    with pytest.raises(TypeError, match=re.escape("requeue must be True or False, got 'yes' (str)")):
        d.nack(requeue="yes")
    assert d.state == "pending"  # refused before anything happened
    d.nack(requeue=True)
    assert d.state == "nacked"


def test_nack_requeues_before_newer_messages(backend):
    q = _queue(backend)
    q.send("old")
    q.send("new")
    d = q.receive(consumer="c1", timeout=1)
    d.nack()
    assert (q.ready(), q.in_flight()) == (2, 0)
    back = q.receive(consumer="c1", timeout=1)
    assert (back.message, back.delivery_count, back.redelivered) == ("old", 2, True)
    back.ack()
    assert q.receive(consumer="c1", timeout=1).message == "new"


def test_nack_without_requeue_dead_letters_as_rejected(backend):
    q = _queue(backend)
    sent = q.send("bad order")
    q.receive(consumer="c1", timeout=1).nack(requeue=False)
    [letter] = q.dead_letters()
    assert (letter.id, letter.message, letter.reason, letter.deliveries) == (sent, "bad order", "rejected", 1)
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait(consumer="c1")


def test_poison_message_is_dead_lettered_after_exactly_max_deliveries(backend):
    q = _queue(backend, max_deliveries=3)
    q.send("poison")
    attempts = 0
    while True:
        try:
            d = q.receive(consumer="c1", timeout=0.5)
        except ac.QueueEmpty:
            break
        attempts += 1
        d.nack()  # the handler always fails
    assert attempts == 3
    [letter] = q.dead_letters()
    assert (letter.message, letter.reason, letter.deliveries) == ("poison", "max deliveries", 3)


def test_consumer_died_hands_its_deliveries_to_the_others(backend):
    q = _queue(backend)
    for m in ["a", "b", "c"]:
        q.send(m)
    q.receive(consumer="doomed", timeout=1)
    q.receive(consumer="doomed", timeout=1)
    assert q.consumer_died("doomed") == 2
    assert (q.ready(), q.in_flight()) == (3, 0)
    taken = [q.receive(consumer="survivor", timeout=1) for _ in range(3)]
    assert sorted(d.message for d in taken) == ["a", "b", "c"]
    assert sorted(d.delivery_count for d in taken) == [1, 2, 2]
    assert q.consumer_died("nobody") == 0


def test_at_most_once_auto_acks_and_a_crash_loses_the_message(backend):
    b = backend(delivery="at-most-once")
    q = b.queue
    q.send("metrics")
    d = q.receive(consumer="c1", timeout=1)
    assert d.state == "auto-acked"
    with pytest.raises(StaleDelivery, match="was acknowledged automatically"):
        d.ack()
    b.let_time_pass(VISIBILITY + 0.1)  # c1 "crashed": nothing comes back
    with pytest.raises(ac.QueueEmpty):
        q.receive_nowait(consumer="c2")
    assert q.in_flight() == 0


def test_receive_timeout_raises_queue_empty(backend):
    q = _queue(backend)
    with pytest.raises(ac.QueueEmpty, match=re.escape("within 0.2 s")):
        q.receive(consumer="c1", timeout=0.2)


# -- bounds, counts and options ----------------------------------------------------------------------------------


def test_the_default_policy_is_block_on_both(backend):
    q = _queue(backend, maxsize=1)
    assert q.policy == "block"
    q.send("a")
    with pytest.raises(ac.QueueFull, match=re.escape("receive some first, or send with a timeout to wait for room")):
        q.send_nowait("b")
    with pytest.raises(ac.QueueFull, match=re.escape("for 0.2 s; the message was not sent: consume faster")):
        q.send("b", timeout=0.2)  # waited for room that never came
    q.receive(consumer="c1", timeout=1).ack()
    q.send("b", timeout=0.2)
    assert q.ready() == 1


def test_statistics_agree_across_backends(backend):
    b = backend(maxsize=10)
    q = b.queue
    for m in "abcd":
        q.send(m)
    acked, rejected, _held = (q.receive(consumer="c1", timeout=1) for _ in range(3))
    acked.ack()
    rejected.nack(requeue=False)
    expected = {
        "name": q.name,
        "maxsize": 10,
        "closed": False,
        "senders_waiting": 0,
        "receivers_waiting": 0,
        "dropped": 0,
        "dead": 1,
    }
    assert q.statistics() == QueueStatistics(**expected, ready=1, in_flight=1)
    b.let_time_pass(VISIBILITY + 0.1)  # the held delivery expires
    assert q.statistics() == QueueStatistics(**expected, ready=2, in_flight=0)
    assert (q.ready(), q.in_flight(), len(q.dead_letters())) == (2, 0, 1)


def test_every_shared_operation_on_one_scenario(backend):
    """What both backends have (nothing like clear(), which a broker cannot offer), in one run."""
    q = _queue(backend, max_deliveries=2)
    sent = [q.send("a"), q.send_nowait("b"), q.send("c", key="k", timeout=1)]
    assert len(set(sent)) == 3
    d = q.receive_nowait(consumer="c1")
    q.receive(consumer="c2", timeout=1)
    assert (q.ready(), q.in_flight(), q.consumer_died("c2"), q.ready(), q.in_flight()) == (1, 2, 1, 2, 1)
    d.nack()
    again = q.receive(consumer="c3", timeout=1)
    again.nack()  # its second failed delivery: dead
    [letter] = q.dead_letters()
    assert (letter.id, letter.message, letter.reason, letter.deliveries) == (sent[0], "a", "max deliveries", 2)
    assert [q.receive(consumer="c3", timeout=1).message for _ in range(2)] == ["b", "c"]
    assert not q.closed
    q.close()
    assert q.closed
    with pytest.raises(ac.QueueClosed):
        q.send("d")
    q.close()  # twice is harmless


OPTIONS = {
    "name": "renamed",
    "delivery": "at-most-once",
    "visibility_timeout": 1.0,
    "max_deliveries": 1,
    "maxsize": 1,
    "policy": "raise",
    "closed": True,
}


@pytest.mark.parametrize("option", list(OPTIONS))
def test_options_are_read_only(backend, option):
    q = _queue(backend)
    before = getattr(q, option)
    with pytest.raises(AttributeError, match=re.escape(f"property {option!r} of {type(q).__name__!r} object has no")):
        setattr(q, option, OPTIONS[option])
    assert getattr(q, option) == before


# -- iteration, with, and the contract's type --------------------------------------------------------------------


def test_iteration_yields_deliveries_until_the_queue_is_closed(backend):
    q = _queue(backend)
    q.send("a")
    q.send("b")
    seen = []
    for d in q:  # consumer "consumer"
        seen.append((d.message, d.consumer))
        d.ack()
        if len(seen) == 2:
            q.close()  # then the next receive raises QueueClosed, which ends the loop
    assert seen == [("a", "consumer"), ("b", "consumer")]


def test_with_closes_the_queue(backend):
    with _queue(backend) as q:
        q.send("x")
        assert not q.closed
    assert q.closed
    with pytest.raises(ac.QueueClosed):
        q.send("y")


def test_every_backend_is_a_delivery_queue_at_run_time(backend):
    q = _queue(backend)
    assert isinstance(q, DeliveryQueue)
    assert not isinstance(q, AsyncDeliveryQueue)  # no __aiter__, __aenter__


TYPING_FILE = Path(__file__).with_name("contract_typing.py")
REPO = Path(__file__).parents[1]

# A backend whose surface drifted from the contract in two ways mypy must catch.
DRIFTED = """
from asyncomm.reliable.contract import DeadLetter, DeliveryQueue
from asyncomm.reliable.redis_streams import RedisDelivery, RedisStreamQueue


class PropertyDeadLetters(RedisStreamQueue):
    @property
    def dead_letters(self) -> list[DeadLetter]:  # type: ignore[override]
        return []


class PositionalConsumer(RedisStreamQueue):
    def receive(self, consumer: str, timeout: float | None = None) -> RedisDelivery:  # type: ignore[override]
        raise NotImplementedError


def property_dead_letters() -> DeliveryQueue[str]:
    q: DeliveryQueue[str] = PropertyDeadLetters()
    return q


def positional_consumer() -> DeliveryQueue[str]:
    q: DeliveryQueue[str] = PositionalConsumer()
    return q
"""


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory):
    """mypy's errors (file name, line, message) over contract_typing.py and the drifted backend, with the
    project's configuration. ``--follow-imports=silent``: the other modules are used, not reported on."""
    import mypy.api

    drifted = tmp_path_factory.mktemp("drift") / "drifted_backend.py"
    drifted.write_text(DRIFTED)
    options = ["--config-file", str(REPO / "pyproject.toml"), "--follow-imports=silent", "--cache-dir", os.devnull]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYPYPATH", str(REPO))  # this checkout's asyncomm, whatever the installed one is
        out, err, _ = mypy.api.run([*options, "--no-error-summary", str(TYPING_FILE), str(drifted)])
    assert err == ""
    rows = re.findall(r"^(.+?):(\d+): error: (.*)$", out, flags=re.MULTILINE)
    return [(Path(path).name, int(line), message) for path, line, message in rows]


def _lines_of(source: str, function: str) -> range:
    [node] = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function]
    return range(node.lineno, node.end_lineno + 1)


BACKEND_FUNCTIONS = ["memory_backend", "redis_backend", "asyncio_redis_backend"]


@pytest.mark.parametrize("function", BACKEND_FUNCTIONS)
def test_mypy_accepts_each_backend_as_its_protocol(mypy_errors, function):
    source = TYPING_FILE.read_text()
    others = set().union(*(_lines_of(source, f) for f in BACKEND_FUNCTIONS if f != function))
    assert [e for e in mypy_errors if e[0] == TYPING_FILE.name and e[1] not in others] == []


def test_mypy_refuses_a_backend_whose_signature_drifted(mypy_errors):
    """The check above is live: mypy reports each drifted backend where it is assigned to the Protocol."""
    drifted = [(line, message) for name, line, message in mypy_errors if name == "drifted_backend.py"]
    refused = (
        'Incompatible types in assignment (expression has type "{}", variable has type "DeliveryQueue[str]")  '
        "[assignment]"
    )
    assert drifted == [
        (_lines_of(DRIFTED, "property_dead_letters")[1], refused.format("PropertyDeadLetters")),
        (_lines_of(DRIFTED, "positional_consumer")[1], refused.format("PositionalConsumer")),
    ]
