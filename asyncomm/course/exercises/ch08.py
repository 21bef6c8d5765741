"""Exercises of chapter 08 (a real broker): choose a visibility timeout, write a request-reply client,
count round trips, predict the dead letters. The predictions are checked without a Redis server (the
in-memory queue follows the same contract; the tests replay the dead-letter scenario on a real server
too); the request-reply client runs on Redis (a private redis-server, else ``REDIS_URL``).

>>> from asyncomm import exercises
>>> exercises.get("08.visibility-timeout").check(60).outcome.value
'correct'
"""

from __future__ import annotations

import ast
import atexit
import inspect
import math
import os
import textwrap
import uuid
from collections.abc import Callable, Collection
from typing import Any

from asyncomm.clock import VirtualClock
from asyncomm.course.exercises._core import Exercise, as_list, as_notebook_code, clean_text, real_number, register
from asyncomm.errors import BrokerUnavailable, QueueEmpty
from asyncomm.reliable import ReliableQueue
from asyncomm.reliable.local_redis import LocalRedis, reachable
from asyncomm.reliable.redis_protocol import LOOK_EVERY
from asyncomm.reliable.redis_streams import RedisStreamQueue

__all__ = ["DEAD_LETTER_PLAN", "play_dead_letter_scenario", "rpc_client"]


# -- 08.dead-letters -------------------------------------------------------------

#: What the consumer does with each delivery of each message: "ok" (ack), "fail" (the handler raises:
#: nack, requeue), "reject" (nack(requeue=False)), "crash" (dies before acking). One entry per delivery;
#: the last entry repeats for later deliveries.
DEAD_LETTER_PLAN: dict[str, list[str]] = {
    "m1": ["ok"],
    "m2": ["fail"],
    "m3": ["crash", "ok"],
    "m4": ["reject"],
    "m5": ["crash", "crash", "ok"],
    "m6": ["ok"],
}
DEAD_LETTER_MAX_DELIVERIES = 2
_RAW = "raw"  # the entry another program wrote, not in asyncomm's format


def play_dead_letter_scenario(queue: Any, let_time_pass: Callable[[float], object]) -> list[str]:
    """Send m1..m6, then consume as :data:`DEAD_LETTER_PLAN` says until nothing comes back;
    return the names in the dead letters (in the order they were parked).

    ``queue`` is a :class:`~asyncomm.reliable.memory.ReliableQueue` or a
    :class:`~asyncomm.reliable.redis_streams.RedisStreamQueue` with ``max_deliveries=2``;
    ``let_time_pass(seconds)`` waits (virtual or real) past its visibility timeout.

    >>> clock = VirtualClock()
    >>> q = ReliableQueue(visibility_timeout=30, max_deliveries=2, clock=clock)
    >>> play_dead_letter_scenario(q, clock.advance)[:1]
    ['m2']
    """
    for name in DEAD_LETTER_PLAN:
        queue.send(name)
    crashes = 0
    while True:
        try:
            delivery = queue.receive_nowait(consumer=f"worker-{crashes}")
        except QueueEmpty:
            if not (queue.ready() or queue.in_flight()):  # ready: a delivery may have expired just now
                break
            let_time_pass(queue.visibility_timeout * 1.1)  # a crashed consumer's delivery comes back
            continue
        plan = DEAD_LETTER_PLAN[delivery.message]
        action = plan[min(delivery.delivery_count, len(plan)) - 1]
        if action == "crash":
            crashes += 1  # the worker dies holding its delivery; a new one takes its place
        elif action == "ok":
            delivery.ack()
        else:
            delivery.nack(requeue=action == "fail")
    return [letter.message for letter in queue.dead_letters()]


def _expected_dead_letters() -> set[str]:
    clock = VirtualClock()
    queue = ReliableQueue(visibility_timeout=30, max_deliveries=DEAD_LETTER_MAX_DELIVERIES, clock=clock)
    # The in-memory queue has no undecodable entries; on Redis that entry is parked as soon as it is read.
    return {*play_dead_letter_scenario(queue, clock.advance), _RAW}


def _judge_dead_letters(answer: Any) -> str | None:
    if (
        isinstance(answer, str)
        or not isinstance(answer, Collection)
        or not all(isinstance(name, str) for name in answer)
    ):
        return "answer with a set of names, e.g. answer = {'m1', 'raw'}"
    entries = {*DEAD_LETTER_PLAN, _RAW}
    unknown = sorted(name for name in answer if clean_text(name) not in entries)
    if unknown:
        return f"the entries are m1 .. m6 and 'raw'; {unknown} is not one of them"
    names = {clean_text(name) for name in answer}
    expected = _expected_dead_letters()
    if names == expected:
        return None
    if _RAW not in names:
        return (
            "what does a consumer do with an entry it cannot decode? It never reaches your handler: the queue "
            "parks it at once, with the reason 'malformed: ...'"
        )
    if "m3" in names:
        return (
            "a crash is not the message's fault: m3 comes back after the visibility timeout, and its "
            "second delivery goes well"
        )
    if "m5" not in names:
        return "count m5's deliveries: each crash used one, and only max_deliveries=2 are allowed"
    if "m4" not in names:
        return "nack(requeue=False) means 'never give me this again': where does the message go instead?"
    if "m2" not in names:
        return "m2's handler fails on every delivery: how many times is it handed out before the queue gives up?"
    return "m1 and m6 are acked on their first delivery: the queue forgets them"


register(
    Exercise(
        id="08.dead-letters",
        title="Predict what ends in the dead letters",
        kind="predict",
        prompt=(
            "A RedisStreamQueue on the stream 'orders' has max_deliveries=2 and visibility_timeout=30. It holds "
            "m1 .. m6, and between them an entry 'raw' that another program wrote by hand "
            "(XADD orders * data hello: not JSON). Consumers take messages one at a time; a consumer that crashes "
            "is replaced at once by a new one. What happens to each message:\n"
            "  m1, m6: handled, acked.\n"
            "  m2: its handler raises on every delivery; the consumer calls nack() (requeue).\n"
            "  m3: the first consumer to get it crashes before acking; the next delivery goes well.\n"
            "  m4: the consumer finds it invalid and calls nack(requeue=False).\n"
            "  m5: the consumer crashes on its first and on its second delivery; a third would go well.\n"
            "Which entries end in 'orders:dead'? Answer with a set of names: answer = {'m1', 'raw'} ..."
        ),
        judge=_judge_dead_letters,
        hints=[
            "Three roads lead to the dead letters: a delivery count above max_deliveries, nack(requeue=False), "
            "and an entry that cannot be decoded.",
            "Every delivery counts, however it ended: a nack, or a crash (the delivery comes back after the "
            "visibility timeout). With max_deliveries=2 a third delivery never happens.",
        ],
        solution_text=(
            "answer = {'m2', 'm4', 'm5', 'raw'}\n"
            "# m2: two failed deliveries, then 'max deliveries'. m4: 'rejected' at once.\n"
            "# m5: two deliveries ended in crashes; when it comes back a third time the queue parks it\n"
            "# ('max deliveries', deliveries=2) instead of handing it out.\n"
            "# raw: 'malformed: ...' as soon as a consumer reads it.\n"
            "# m3 crashed only once: its second delivery is acked. Replay it on the in-memory queue:\n"
            "#     from asyncomm.course.exercises.ch08 import play_dead_letter_scenario\n"
            "#     clock = ac.VirtualClock()\n"
            "#     q = ac.ReliableQueue(visibility_timeout=30, max_deliveries=2, clock=clock)\n"
            "#     play_dead_letter_scenario(q, clock.advance)"
        ),
        reference={"m2", "m4", "m5", "raw"},
        wrong_answers=[
            {"m2", "m4", "m5"},
            {"m2", "m3", "m4", "m5", "raw"},
            {"m2", "m4", "raw"},
            {"m2", "m5", "raw"},
            {"m4", "m5", "raw"},
            {"m1", "m2", "m4", "m5", "raw", "m6"},
            "m2",
            {"m7"},
            {"M2", "M4", "RAW"},
            {2, 4, 5},
        ],
    )
)


# -- 08.visibility-timeout -------------------------------------------------------

LONGEST_JOB = 45.0
MARGIN = 10.0
RETRY_WITHIN = 90.0
#: The longest timeout that keeps the margin (1.25 x timeout + margin <= limit), and the one past which a
#: crashed job can miss the limit itself.
_LATEST = (RETRY_WITHIN - MARGIN) / (1 + LOOK_EVERY)
_TOO_LATE = RETRY_WITHIN / (1 + LOOK_EVERY)


def _replay_visibility(visibility_timeout: float) -> tuple[float | None, float]:
    """On the in-memory queue: when (if ever) a healthy consumer's longest job is handed out again
    while it still runs, and how long after a crash its job starts again - to the exact instant:
    the clock moves straight to each delivery's deadline (the queue's own), and the queue is asked there.

    >>> _replay_visibility(90.5)
    (None, 90.5)
    >>> clock = VirtualClock(); q = ReliableQueue(visibility_timeout=90.5, clock=clock); _ = q.send("job")
    >>> d = q.receive_nowait(consumer="doomed"); _ = clock.advance_to(d.deadline - 1e-6); len(q)
    0
    >>> _ = clock.advance_to(d.deadline); len(q)
    1
    >>> _replay_visibility(44.5)
    (44.5, 44.5)
    """
    clock = VirtualClock()
    queue = ReliableQueue(visibility_timeout=visibility_timeout, clock=clock)
    queue.send("longest job")
    job = queue.receive_nowait(consumer="healthy")
    again: float | None = None
    if job.deadline is not None and job.deadline <= LONGEST_JOB:
        clock.advance_to(job.deadline)
        if len(queue):  # the job is back in the queue while the healthy consumer still works on it
            again = clock.now()
    clock.advance_to(LONGEST_JOB)
    if again is None:
        job.ack()
    queue.send("job of a consumer that crashes right after receiving it")
    doomed = queue.receive_nowait(consumer="doomed")
    crashed_at = clock.now()
    if doomed.deadline is not None:
        clock.advance_to(doomed.deadline)  # at that instant the job is back in the queue (see the doctest)
    return again, clock.now() - crashed_at


def _judge_visibility(answer: Any) -> str | None:
    answer = real_number(answer)
    if answer is None:
        return "answer with a number of seconds, e.g. answer = 30"
    if answer <= 0:
        return "a visibility timeout is a positive number of seconds"
    again, timeout_ran_out = _replay_visibility(answer)
    # RedisStreamQueue looks for returned deliveries at most every LOOK_EVERY of the timeout: at worst the
    # crashed job comes back that much after its timeout ran out.
    retry = timeout_ran_out + answer * LOOK_EVERY
    if again is not None:
        return (
            f"with visibility_timeout={answer:g} the {LONGEST_JOB:g} s job was handed to a second consumer at "
            f"t = {again:g} s while the first was still working on it: it ran twice"
        )
    if answer < LONGEST_JOB + MARGIN:
        return (
            f"the longest job only just fits: a network delay or a pause of a few seconds and it is handed "
            f"out twice. Keep the {MARGIN:g} s margin"
        )
    if retry > RETRY_WITHIN + 1e-9:
        return (
            f"a crashed consumer's job can start again {retry:.10g} s after the crash (the timeout, plus up to "
            f"a quarter of it until a consumer looks): too late, it must restart within {RETRY_WITHIN:g} s"
        )
    if retry > RETRY_WITHIN - MARGIN + 1e-9:
        return (
            f"a crashed consumer's job only just restarts in time: at worst it comes back {retry:.10g} s after "
            f"the crash (the timeout, plus up to a quarter of it until a consumer looks). Keep the {MARGIN:g} s "
            f"margin on this side too"
        )
    return None


register(
    Exercise(
        id="08.visibility-timeout",
        title="Choose the visibility timeout",
        kind="predict",
        prompt=(
            f"Jobs on a queue take between 20 and {LONGEST_JOB:g} seconds (measured over a week). When a consumer "
            f"crashes, its job must be started again by another consumer within {RETRY_WITHIN:g} seconds of the "
            f"crash. The queue is a RedisStreamQueue: it looks for deliveries that came back at most every "
            f"quarter of the visibility timeout, so a crashed job can come back up to visibility_timeout / 4 "
            f"after its timeout ran out. Keep a margin of {MARGIN:g} seconds on both limits, for network delays "
            f"and pauses. Choose the queue's visibility_timeout, in seconds: answer = ..."
        ),
        judge=_judge_visibility,
        hints=[
            "Two limits: too short, and a healthy consumer's job is handed out again while it still runs; too long, "
            "and a crashed consumer's job waits too long to come back.",
            "A delivery's timeout runs out visibility_timeout seconds after it was received: no earlier than the "
            "longest job plus the margin.",
            "A crashed job comes back at worst visibility_timeout x 1.25 after the crash (the timeout, plus a "
            "quarter of it until a consumer looks): that plus the margin must stay within the retry limit.",
        ],
        solution_text=(
            f"answer = 60\n"
            f"# Anything from {LONGEST_JOB + MARGIN:g} to {_LATEST:g} s. Below {LONGEST_JOB:g} s the longest "
            f"jobs run twice;\n"
            f"# below {LONGEST_JOB + MARGIN:g} s a short pause does it. A crashed job's timeout runs out "
            f"visibility_timeout\n"
            f"# seconds after it was received (at worst that long after the crash), and the queue\n"
            f"# looks for it up to a quarter of the timeout later: 1.25 x visibility_timeout + {MARGIN:g} <= "
            f"{RETRY_WITHIN:g}\n"
            f"# gives at most {_LATEST:g} s; above {_TOO_LATE:g} s (1.25 x {_TOO_LATE:g} = {RETRY_WITHIN:g}) "
            f"it can miss the limit itself.\n"
            f"# If no value met both, a consumer would have to extend its lease while it works (a heartbeat)."
        ),
        reference=60,
        wrong_answers=[30, 45, 50, 65, 70, 72, 75, 80, 90, 85, 120, 0, -5, "60", True, 90.5, 44.5],
    )
)


# -- 08.round-trips --------------------------------------------------------------

#: Round trips per message with RedisStreamQueue one by one: XADD; XREADGROUP; EVAL (the ack). A queue object's
#: first receive also looks for deliveries that came back (one EVAL); the next look is due a quarter of the
#: visibility timeout later (7.5 s by default), so the exercise ignores it.
ROUND_TRIPS = {"send": 1, "receive": 1, "ack": 1}
FIRST_LOOK = 1
ROUND_TRIP_SECONDS = 0.0005
ROUND_TRIP_MESSAGES = 1000
BATCH = 100
ROUND_TRIPS_PER_BATCH = 3  # one pipeline of XADDs; one XREADGROUP of a batch; one pipeline of XACKs


def _round_trip_answer() -> tuple[float, float]:
    one_by_one = ROUND_TRIP_MESSAGES * sum(ROUND_TRIPS.values()) * ROUND_TRIP_SECONDS
    pipelined = -(-ROUND_TRIP_MESSAGES // BATCH) * ROUND_TRIPS_PER_BATCH * ROUND_TRIP_SECONDS
    return one_by_one, pipelined


def _judge_round_trips(answer: Any) -> str | None:
    pair = as_list(answer)
    if pair is None or len(pair) != 2 or any(real_number(x) is None for x in pair):
        return "answer with a pair of numbers of seconds: answer = (one_by_one, pipelined)"
    one_by_one, pipelined = (float(x) for x in pair)
    expected_one, expected_pipe = _round_trip_answer()
    n, rtt, batches = ROUND_TRIP_MESSAGES, ROUND_TRIP_SECONDS, -(-ROUND_TRIP_MESSAGES // BATCH)

    def near(value: float, target: float) -> bool:
        return math.isclose(value, target, rel_tol=1e-6)

    if not near(one_by_one, expected_one):
        if near(one_by_one, expected_one * 1000):
            return "answer in seconds, not milliseconds"
        if near(one_by_one, n * rtt):
            return "one by one: not one round trip per message, one per command - count send, receive and ack"
        if near(one_by_one, n * 4 * rtt):
            return (
                "one by one: after the first receive, a receive is one round trip (it looks for deliveries that "
                "came back only every quarter of the visibility timeout)"
            )
        return "one by one: messages x round trips per message x time per round trip"
    if not near(pipelined, expected_pipe):
        if near(pipelined, expected_pipe * 1000):
            return "answer in seconds, not milliseconds"
        if near(pipelined, batches * rtt):
            return "pipelined: each batch takes three round trips (send, read, ack), not one"
        return "pipelined: batches x round trips per batch x time per round trip"
    return None


register(
    Exercise(
        id="08.round-trips",
        title="Count the round trips",
        kind="predict",
        prompt=(
            f"A producer sends {ROUND_TRIP_MESSAGES} messages, and a consumer receives and acks them, through "
            f"Redis on another machine: one round trip takes {ROUND_TRIP_SECONDS * 1000:g} ms. Ignore everything "
            f"else (the server's work, JSON, Python). How many seconds does it take\n"
            f"  (a) one by one with RedisStreamQueue (send, receive, ack: the round trips counted above for the "
            f"next message; ignore the first receive's look), and\n"
            f"  (b) pipelined in batches of {BATCH}: one round trip sends a batch of XADDs, one XREADGROUP reads "
            f"a batch, one more sends the batch's XACKs?\n"
            f"Answer with a pair of seconds: answer = (a, b)"
        ),
        judge=_judge_round_trips,
        hints=[
            "Time = number of round trips x time of one. Count the round trips of one message (one by one) and of "
            "one batch (pipelined).",
            "One by one: send 1 + receive 1 + ack 1 = 3 per message. Pipelined: 3 per batch of 100.",
        ],
        solution_text=(
            "answer = (1.5, 0.015)\n"
            "# One by one: 1000 x 3 round trips x 0.5 ms = 1.5 s, at most about 670 messages per second whatever\n"
            "# the machines. Pipelined: 10 batches x 3 round trips x 0.5 ms = 15 ms: 100 times less\n"
            "# waiting. On loopback a round trip is far shorter, so the gap measured above is smaller."
        ),
        reference=(1.5, 0.015),
        wrong_answers=[
            (0.5, 0.015),
            (2.0, 0.015),
            (1500.0, 15.0),
            (1.5, 15.0),
            (1.5, 0.005),
            (1.5, 1.5),
            1.5,
            (1.5, "fast"),
            [1.5, 0.005],
            [1.5, 0.015, 0.0],
        ],
    )
)


# -- 08.rpc-client ---------------------------------------------------------------

_private_server: LocalRedis | None = None


def _check_server_url() -> str | None:
    """Where the request-reply check runs: a private redis-server started once for this Python process
    (it leaves the check's streams on no one's server), else the server named by ``REDIS_URL``."""
    global _private_server
    if _private_server is None:
        try:
            _private_server = LocalRedis().start()
        except BrokerUnavailable:
            url = os.environ.get("REDIS_URL")
            return url if url and reachable(url) else None
        atexit.register(_private_server.stop)
    return _private_server.url


def _only_raises_not_implemented(fn: Any) -> bool:
    """The shipped placeholder, recognised without running it: run, it would keep the check's server
    waiting for requests that never come."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    body = [
        node
        for node in tree.body[0].body  # type: ignore[attr-defined]
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))  # a docstring
    ]
    return (
        len(body) == 1
        and isinstance(body[0], ast.Raise)
        and "NotImplementedError" in ast.unparse(body[0].exc or ast.Constant(None))
    )


def _judge_rpc(fn: Any) -> str | None:
    if not callable(fn) or inspect.iscoroutinefunction(fn):
        return "rpc_client must be a plain function (def, not async def) taking (requests, bodies)"
    if _only_raises_not_implemented(fn):
        raise NotImplementedError
    try:
        from asyncomm.labs.messaging import check_rpc_client_redis

        url = _check_server_url()
    except ImportError:
        return "this check runs your client on Redis and needs redis-py: pip install 'asyncomm[redis]'"
    if url is None:
        return "this check runs your client on Redis: install redis-server (section 2) or set REDIS_URL"
    found = check_rpc_client_redis(fn, url)
    return None if found.ok else found.problem


def rpc_client(requests, bodies):
    replies = RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}")  # this client's own reply stream
    ids = [uuid.uuid4().hex for _ in bodies]
    for body, correlation_id in zip(bodies, ids, strict=True):  # send every request first
        requests.send({"body": body, "reply_to": replies.stream, "correlation_id": correlation_id})
    results = {}
    while len(results) < len(ids):
        delivery = replies.receive(consumer="client", timeout=10)
        delivery.ack()
        reply = delivery.message
        if reply["correlation_id"] in ids:  # a reply to another request is not ours: skip it
            results[reply["correlation_id"]] = reply["body"]
    replies.close()
    return [results[correlation_id] for correlation_id in ids]  # in the order of the bodies


def _rpc_variant(*, same_id: bool = False, check_id: bool = True, reorder: bool = True) -> Any:
    def variant(requests: Any, bodies: list[Any]) -> list[Any]:
        replies = RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}")
        ids = ["request" if same_id else uuid.uuid4().hex for _ in bodies]
        for body, correlation_id in zip(bodies, ids, strict=True):
            requests.send({"body": body, "reply_to": replies.stream, "correlation_id": correlation_id})
        arrived: list[Any] = []
        while len(arrived) < len(ids):
            delivery = replies.receive(consumer="client", timeout=10)
            delivery.ack()
            if not check_id or delivery.message["correlation_id"] in ids:
                arrived.append(delivery.message)
        replies.close()
        if reorder:
            by_id = {reply["correlation_id"]: reply["body"] for reply in arrived}
            return [by_id[correlation_id] for correlation_id in ids]
        return [reply["body"] for reply in arrived]

    variant.__qualname__ = f"rpc_client_same_id_{same_id}_check_id_{check_id}_reorder_{reorder}"
    return variant


def _rpc_placeholder(requests: Any, bodies: list[Any]) -> list[Any]:
    raise NotImplementedError


register(
    Exercise(
        id="08.rpc-client",
        title="Write the request-reply client",
        kind="write",
        prompt=textwrap.dedent("""\
        Write `rpc_client(requests, bodies)`: `requests` is a RedisStreamQueue a server reads; send it one
        request per body, and return the server's results in the order of `bodies`.
          - a request is {"body": body, "reply_to": <your reply stream's name>, "correlation_id": <an id>};
          - open your own reply stream: replies = ac.RedisStreamQueue(requests.url, "replies:" + a unique id),
            and put replies.stream in reply_to;
          - give each request its own correlation_id (uuid.uuid4().hex), and send EVERY request first;
          - then receive replies (receive(consumer=..., timeout=10), ack each) until each of your ids has one:
            a reply is {"correlation_id": ..., "body": result}; ignore replies with an id you did not send.
        The check runs a server on Redis that answers the last request first and sends one stray reply."""),
        judge=_judge_rpc,
        hints=[
            "Replies do not come back in the order the requests went out: keep a dict correlation_id -> result, "
            "then build the list from your ids, in the order of the bodies.",
            "Send all the requests before you wait for any reply: the server may wait for several requests "
            "before it answers. Skip a reply whose correlation_id is not in your list of ids.",
        ],
        solution_text="import uuid\n\n\n"
        + as_notebook_code(textwrap.dedent(inspect.getsource(rpc_client)), ["RedisStreamQueue"]),
        reference=rpc_client,
        wrong_answers=[
            _rpc_variant(same_id=True),
            _rpc_variant(check_id=False, reorder=False),
            _rpc_variant(reorder=False),
            "rpc_client",
        ],
    )
)
