"""The RabbitMQ tutorials' patterns on asyncomm's queues: topic routing and fan-out, request-reply, fair dispatch.

* **Topic routing** (RabbitMQ tutorial 5): :func:`topic_matches` is the AMQP topic rule, and a
  :class:`TopicExchange` sends a published message to every bound queue whose pattern matches its
  routing key. Fan-out (tutorial 3) is the pattern ``"#"``; a pattern without wildcards is a direct
  exchange (tutorial 4).
* **Request-reply** (tutorial 6, "RPC"): :func:`serve_requests` is the server loop; the client is yours to
  write, and :func:`check_rpc_client` tests it against a server that answers out of order.
  :func:`serve_requests_async` / :func:`check_rpc_client_async` do the same with asyncio, and
  :func:`serve_requests_redis` / :func:`check_rpc_client_redis` on Redis streams (chapter 08).
* **Fair dispatch** (tutorial 2): :func:`fair_dispatch` deals messages to a fast and a slow consumer
  round-robin, or with ``prefetch=1``, on a virtual clock, and counts who did what.

A request is a dict ``{"body": ..., "reply_to": ..., "correlation_id": ...}``: ``reply_to`` is the reply
queue itself in memory, the reply stream's name on Redis. The reply is ``{"correlation_id": ..., "body":
...}``, or ``{"correlation_id": ..., "error": "ValueError: ..."}`` if the handler raised.

>>> topic_matches("lazy.#", "lazy.orange.male.rabbit"), topic_matches("*.orange.*", "quick.orange.male.rabbit")
(True, False)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import math
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from asyncomm._checks import check_int, check_seconds, check_timeout
from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.clock import VirtualClock
from asyncomm.errors import PrefetchLimitReached, QueueClosed, QueueEmpty
from asyncomm.queues import MessageQueue
from asyncomm.reliable.contract import Delivery
from asyncomm.reliable.memory import ReliableQueue

__all__ = [
    "ClientCheck",
    "ConsumerTally",
    "DispatchRun",
    "TopicExchange",
    "check_rpc_client",
    "check_rpc_client_async",
    "check_rpc_client_redis",
    "fair_dispatch",
    "serve_requests",
    "serve_requests_async",
    "serve_requests_redis",
    "topic_matches",
]

# --- topic routing ---------------------------------------------------------------------------------------------


def _words(key: str, what: str) -> list[str]:
    if not isinstance(key, str):
        raise TypeError(f"{what} must be a str of words separated by dots, like 'kern.critical'; got {key!r}")
    # As RabbitMQ splits them: "" is no word at all, "a..b" has an empty middle word, "a." ends with one.
    return key.split(".") if key else []


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Does the binding ``pattern`` match ``routing_key``? Both are words separated by dots; in the pattern
    ``*`` stands for exactly one word and ``#`` for zero or more words (only as a whole word: ``a*`` is
    just a word). As in RabbitMQ, the empty key ``""`` has no words (so ``"#"`` matches it and ``"*"``
    does not), and empty words count: ``"a..b"`` is three words.

    >>> topic_matches("*.orange.*", "quick.orange.rabbit"), topic_matches("*.*.rabbit", "quick.orange.fox")
    (True, False)
    >>> topic_matches("lazy.#", "lazy"), topic_matches("#", ""), topic_matches("*", "")
    (True, True, False)
    """
    want, have = _words(pattern, "pattern"), _words(routing_key, "routing_key")
    # reachable: how many words of the key the pattern read so far can have matched, in every way it can
    reachable = {0}
    for word in want:
        if word == "#":
            reachable = set(range(min(reachable), len(have) + 1)) if reachable else set()
        else:
            reachable = {n + 1 for n in reachable if n < len(have) and word in ("*", have[n])}
    return len(have) in reachable


def _send_now(queue: Any) -> Callable[[Any], Any]:
    send = getattr(queue, "send_nowait", None)
    if not callable(send) or inspect.iscoroutinefunction(send):
        raise TypeError(
            f"bind a queue with a plain send_nowait() (ac.MessageQueue, ac.AsyncMessageQueue, ReliableQueue, "
            f"RedisStreamQueue), got {queue!r}"
        )
    return send


class TopicExchange:
    """Routes each published message to every bound queue whose pattern matches the routing key
    (:func:`topic_matches`); a queue bound by several matching patterns gets the message once. A message
    no pattern matches is dropped, as RabbitMQ drops it. Publishing never waits: it uses each queue's
    ``send_nowait``, so a full bounded queue follows its policy (or raises :class:`~asyncomm.QueueFull`).

    >>> import asyncomm as ac
    >>> logs = TopicExchange()
    >>> kernel, critical, everything = ac.MessageQueue(), ac.MessageQueue(), ac.MessageQueue()
    >>> logs.bind(kernel, "kern.*"); logs.bind(critical, "*.critical"); logs.bind(everything, "#")
    >>> logs.publish("kern.critical", "disk on fire")          # the number of queues it went to
    3
    >>> logs.publish("cron.info", "tick"), everything.snapshot(), kernel.snapshot()
    (1, ['disk on fire', 'tick'], ['disk on fire'])
    """

    def __init__(self) -> None:
        self._bindings: list[tuple[Any, str]] = []
        self._lock = threading.Lock()  # publishers and binders may be different threads

    def bind(self, queue: Any, pattern: str) -> None:
        """Send ``queue`` every message whose routing key matches ``pattern`` (``"#"``: all of them)."""
        _send_now(queue)
        _words(pattern, "pattern")
        with self._lock:
            if not any(bound is queue and bound_pattern == pattern for bound, bound_pattern in self._bindings):
                self._bindings.append((queue, pattern))

    def unbind(self, queue: Any, pattern: str) -> None:
        """Undo :meth:`bind`; raises ``ValueError`` if ``queue`` was not bound with ``pattern``."""
        with self._lock:
            for index, (bound, bound_pattern) in enumerate(self._bindings):
                if bound is queue and bound_pattern == pattern:
                    del self._bindings[index]
                    return
        raise ValueError(f"{queue!r} is not bound with pattern {pattern!r}; see exchange.bindings()")

    def bindings(self) -> list[tuple[Any, str]]:
        """The ``(queue, pattern)`` pairs, in the order they were bound."""
        with self._lock:
            return list(self._bindings)

    def publish(self, routing_key: str, message: Any) -> int:
        """Send ``message`` to each queue with a matching binding; return how many queues got it."""
        _words(routing_key, "routing_key")
        targets: list[Any] = []
        for queue, pattern in self.bindings():
            if topic_matches(pattern, routing_key) and not any(queue is target for target in targets):
                targets.append(queue)
        for queue in targets:
            queue.send_nowait(message)
        return len(targets)


# --- request-reply: the server ---------------------------------------------------------------------------------

REQUEST_KEYS = ("body", "reply_to", "correlation_id")


def _request(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict) or any(key not in message for key in REQUEST_KEYS):
        raise ValueError(
            f"a request must be a dict with the keys 'body', 'reply_to' (where to send the reply) and "
            f"'correlation_id' (to match the reply to its request), got {message!r}"
        )
    return message


def _error_reply(request: dict[str, Any], err: Exception) -> dict[str, Any]:
    # The client still gets a reply, so it does not wait forever for one.
    return {"correlation_id": request["correlation_id"], "error": f"{type(err).__name__}: {err}"}


def _answer(request: dict[str, Any], handler: Callable[[Any], Any]) -> dict[str, Any]:
    try:
        return {"correlation_id": request["correlation_id"], "body": handler(request["body"])}
    except Exception as err:
        return _error_reply(request, err)


def _check_limits(limit: Any, idle: Any) -> tuple[int | None, float | None]:
    if limit is not None:
        limit = check_int(limit, "limit", minimum=1, meaning=" (a number of requests; None: no limit)")
    return limit, check_timeout(idle, "idle")


def _unwrap(got: Any) -> tuple[Any, Any]:
    """A plain queue hands over the message; a reliable one a delivery, to ack once the reply is sent."""
    return (got.message, got) if isinstance(got, Delivery) else (got, None)


def serve_requests(
    requests: Any,
    handler: Callable[[Any], Any],
    *,
    limit: int | None = None,
    idle: float | None = None,
    reply_queue: Callable[[Any], Any] | None = None,
) -> int:
    """Answer requests from the queue ``requests``: for each, send ``{"correlation_id": ..., "body":
    handler(body)}`` to its ``reply_to`` queue. Stops when the queue is closed and drained, after ``limit``
    requests, or when none came for ``idle`` seconds; returns how many it answered. Works with
    ``ac.MessageQueue`` and ``ReliableQueue`` (it acks each delivery after replying). ``reply_queue`` turns
    a request's ``reply_to`` into the queue to send to (default: ``reply_to`` is that queue).

    Run it in a thread next to your client:

    >>> import threading, asyncomm as ac
    >>> requests, replies = ac.MessageQueue(), ac.MessageQueue()
    >>> server = threading.Thread(target=serve_requests, args=(requests, lambda n: n * n)); server.start()
    >>> _ = requests.send({"body": 7, "reply_to": replies, "correlation_id": "req-1"})
    >>> replies.receive(timeout=5)
    {'correlation_id': 'req-1', 'body': 49}
    >>> requests.close(); server.join()
    """
    limit, idle = _check_limits(limit, idle)
    served = 0
    while limit is None or served < limit:
        try:
            got = requests.receive(timeout=idle)
        except (QueueClosed, QueueEmpty):
            break
        message, delivery = _unwrap(got)
        request = _request(message)
        reply = _answer(request, handler)
        target = request["reply_to"] if reply_queue is None else reply_queue(request["reply_to"])
        target.send(reply)
        if delivery is not None:
            delivery.ack()
        served += 1
    return served


async def serve_requests_async(
    requests: AsyncMessageQueue[Any],
    handler: Callable[[Any], Any],
    *,
    limit: int | None = None,
    idle: float | None = None,
) -> int:
    """:func:`serve_requests` for an ``ac.AsyncMessageQueue``; ``handler`` may be a plain or an async
    function, and each ``reply_to`` an ``AsyncMessageQueue``.

    >>> import asyncio, asyncomm as ac
    >>> async def main():
    ...     requests, replies = ac.AsyncMessageQueue(), ac.AsyncMessageQueue()
    ...     server = asyncio.create_task(serve_requests_async(requests, lambda n: n + 1))
    ...     await requests.send({"body": 41, "reply_to": replies, "correlation_id": "a"})
    ...     reply = await replies.receive()
    ...     requests.close(); await server
    ...     return reply
    >>> ac.VirtualClock().run(main())
    {'correlation_id': 'a', 'body': 42}
    """
    limit, idle = _check_limits(limit, idle)
    served = 0
    while limit is None or served < limit:
        try:
            message = await requests.receive(timeout=idle)
        except (QueueClosed, QueueEmpty):
            break
        request = _request(message)
        try:
            answer = handler(request["body"])
            if inspect.isawaitable(answer):
                answer = await answer
            reply = {"correlation_id": request["correlation_id"], "body": answer}
        except Exception as err:
            reply = _error_reply(request, err)
        await request["reply_to"].send(reply)
        served += 1
    return served


@contextlib.contextmanager
def _redis_reply_queues(requests: Any) -> Iterator[Callable[[Any], Any]]:
    """Opens (once each) the reply streams named by ``reply_to``, on the request queue's server."""
    from asyncomm.reliable.redis_streams import RedisStreamQueue  # deferred: needs redis-py

    opened: dict[str, RedisStreamQueue] = {}

    def reply_queue(name: Any) -> RedisStreamQueue:
        if not isinstance(name, str):
            raise ValueError(f"on Redis, reply_to must be the name of the reply stream (a str), got {name!r}")
        if name not in opened:
            opened[name] = RedisStreamQueue(requests.url, name)
        return opened[name]

    try:
        yield reply_queue
    finally:
        for queue in opened.values():
            queue.close()


def serve_requests_redis(
    requests: Any, handler: Callable[[Any], Any], *, limit: int | None = None, idle: float | None = None
) -> int:
    """:func:`serve_requests` on a ``RedisStreamQueue``: each ``reply_to`` names the reply stream (on the
    same server). Replies and requests are JSON, so bodies must be too. Give it ``limit`` or ``idle``:
    another process cannot close a stream, so without them it serves forever.

    A sketch (it needs a Redis server, so it is shown, not run as a doctest)::

        import threading
        from asyncomm.labs import redis_lab

        session = redis_lab.connect()
        requests = session.queue("rpc")
        server = threading.Thread(target=serve_requests_redis, args=(requests, lambda n: n * n), kwargs={"idle": 10})
        server.start()   # clients send {"body": 7, "reply_to": "<their reply stream>", "correlation_id": ...}
    """
    with _redis_reply_queues(requests) as reply_queue:
        return serve_requests(requests, handler, limit=limit, idle=idle, reply_queue=reply_queue)


# --- request-reply: checking a client --------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientCheck:
    """What :func:`check_rpc_client` found: ``ok``, else ``problem`` says what to change. ``results`` is
    what the client returned, ``expected`` what it should have.

    >>> ClientCheck(ok=True, problem="", results=[1], expected=[1])
    ClientCheck(ok=True, problem='', results=[1], expected=[1])
    """

    ok: bool
    problem: str
    results: Any
    expected: list[Any]


#: The one reply the checking server sends that answers no request: a client must ignore it.
STRAY = {"correlation_id": "not-one-of-yours", "body": "stray reply"}
#: Seconds the checking server waits for the next request (on the virtual clock for the async check): far
#: longer than a client that sends its requests one after the other needs.
PATIENCE = 5.0


def _square(n: Any) -> Any:
    return n * n


class _Scrambler:
    """The checking server's bookkeeping: the requests it got, and what was wrong with them."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.requests: list[dict[str, Any]] = []
        self.problem = ""

    def take(self, message: Any) -> bool:
        """Keep one request; False (and a problem) if it is not one."""
        try:
            self.requests.append(_request(message))
        except ValueError as err:
            self.problem = str(err)
            return False
        return True

    def replies(self, handler: Callable[[Any], Any]) -> list[tuple[Any, dict[str, Any]]]:
        """(reply_to, reply) pairs in the order to send them: a stray reply first, then the last request's
        reply first (the order of a server whose later requests happen to be quicker)."""
        if not self.requests:
            return []
        out: list[tuple[Any, dict[str, Any]]] = [(self.requests[0]["reply_to"], dict(STRAY))]
        for request in reversed(self.requests):
            out.append((request["reply_to"], _answer(request, handler)))
        return out

    def judge(self, results: Any, expected: list[Any], error: BaseException | None) -> ClientCheck:
        def bad(problem: str) -> ClientCheck:
            return ClientCheck(False, problem, results, expected)

        if self.problem:
            return bad(self.problem)
        # A client that gave up waiting for a reply most likely waited before sending every request.
        gave_up = isinstance(error, QueueEmpty | QueueClosed) and len(self.requests) < self.n
        if error is not None and not gave_up:
            return bad(f"your client raised {type(error).__name__}: {error}")
        if len(self.requests) < self.n:
            return bad(
                f"the server received {len(self.requests)} of {self.n} requests before it gave up waiting: send "
                f"every request first, then collect the replies"
            )
        ids = [request["correlation_id"] for request in self.requests]
        if len(set(map(repr, ids))) < len(ids):
            return bad("two requests carried the same correlation_id: give each its own, e.g. uuid.uuid4().hex")
        if not isinstance(results, list | tuple) or len(results) != len(expected):
            return bad(f"return a list with one result per body, in the order of the bodies, got {results!r}")
        if STRAY["body"] in results:
            return bad("a reply whose correlation_id you did not send must be ignored, not taken as a result")
        if list(results) != expected:
            return bad(
                "the replies came back in a different order than the requests went out; match each reply to "
                "its request by correlation_id, and return the results in the order of the bodies"
            )
        return ClientCheck(True, "", results, expected)


def _plan(n: Any, handler: Any) -> tuple[int, list[int], Callable[[Any], Any], list[Any]]:
    n = check_int(n, "n", minimum=2, meaning=" (requests: at least 2, for an order to be mixed up)")
    handler = _square if handler is None else handler
    bodies = list(range(1, n + 1))
    return n, bodies, handler, [handler(body) for body in bodies]


def check_rpc_client(
    client: Callable[[Any, list[Any]], Any], *, n: int = 5, handler: Callable[[Any], Any] | None = None
) -> ClientCheck:
    """Test a request-reply client: ``client(requests, bodies)`` sends one request per body to the
    ``ac.MessageQueue`` ``requests`` (each with its own ``reply_to`` queue and ``correlation_id``), and
    returns the results in the order of ``bodies``. The checking server waits for all ``n`` requests, then
    sends a stray reply nobody asked for and answers the last request first. The handler squares numbers
    unless ``handler`` says otherwise.

    >>> import uuid, asyncomm as ac
    >>> def client(requests, bodies):
    ...     replies = ac.MessageQueue()
    ...     ids = [uuid.uuid4().hex for _ in bodies]
    ...     for body, id in zip(bodies, ids):
    ...         requests.send({"body": body, "reply_to": replies, "correlation_id": id})
    ...     results = {}
    ...     while len(results) < len(ids):
    ...         reply = replies.receive(timeout=10)
    ...         if reply["correlation_id"] in ids:
    ...             results[reply["correlation_id"]] = reply["body"]
    ...     return [results[id] for id in ids]
    >>> check_rpc_client(client).ok
    True
    >>> def naive(requests, bodies):           # takes the replies in the order they come
    ...     replies = ac.MessageQueue()
    ...     for body in bodies:
    ...         requests.send({"body": body, "reply_to": replies, "correlation_id": body})
    ...     return [replies.receive(timeout=10)["body"] for _ in bodies]
    >>> check_rpc_client(naive).problem
    'a reply whose correlation_id you did not send must be ignored, not taken as a result'
    """
    n, bodies, handler, expected = _plan(n, handler)
    requests: MessageQueue[Any] = MessageQueue()
    scrambler = _Scrambler(n)

    def server() -> None:
        try:
            while len(scrambler.requests) < n and scrambler.take(requests.receive(timeout=PATIENCE)):
                pass
        except (QueueEmpty, QueueClosed):
            pass
        for reply_to, reply in scrambler.replies(handler):
            with contextlib.suppress(Exception):  # a reply_to that is no queue is the client's problem
                reply_to.send(reply)
        for request in scrambler.requests:  # no more replies will come: a client still waiting learns it
            with contextlib.suppress(Exception):
                request["reply_to"].close()

    thread = threading.Thread(target=server, name="asyncomm-rpc-checker", daemon=True)
    thread.start()
    results, error = None, None
    try:
        results = client(requests, list(bodies))
    except Exception as err:  # reported in the check, not raised at the learner
        error = err
    finally:
        requests.close()  # a server still waiting for requests stops at once
        thread.join(PATIENCE)
    return scrambler.judge(results, expected, error)


def check_rpc_client_async(
    client: Callable[[Any, list[Any]], Any], *, n: int = 5, handler: Callable[[Any], Any] | None = None
) -> ClientCheck:
    """:func:`check_rpc_client` for an async client: ``await client(requests, bodies)`` with
    ``ac.AsyncMessageQueue``\\ s, run on a virtual clock (a client that waits forever is reported at once).

    >>> import asyncomm as ac
    >>> async def one_at_a_time(requests, bodies):   # waits for each reply before sending the next request
    ...     replies, results = ac.AsyncMessageQueue(), []
    ...     for body in bodies:
    ...         await requests.send({"body": body, "reply_to": replies, "correlation_id": body})
    ...         results.append((await replies.receive(timeout=60))["body"])
    ...     return results
    >>> check_rpc_client_async(one_at_a_time).problem
    'the server received 1 of 5 requests before it gave up waiting: send every request first, then collect the replies'
    """
    n, bodies, handler, expected = _plan(n, handler)
    scrambler = _Scrambler(n)

    async def main() -> tuple[Any, BaseException | None]:
        requests: AsyncMessageQueue[Any] = AsyncMessageQueue()

        async def server() -> None:
            try:
                while len(scrambler.requests) < n and scrambler.take(await requests.receive(timeout=PATIENCE)):
                    pass
            except (QueueEmpty, QueueClosed):
                pass
            for reply_to, reply in scrambler.replies(handler):
                with contextlib.suppress(Exception):
                    await reply_to.send(reply)
            for request in scrambler.requests:
                with contextlib.suppress(Exception):
                    request["reply_to"].close()

        serving = asyncio.create_task(server())
        try:
            return await client(requests, list(bodies)), None
        except Exception as err:
            return None, err
        finally:
            requests.close()
            await serving

    results, error = VirtualClock().run(main())
    return scrambler.judge(results, expected, error)


def check_rpc_client_redis(
    client: Callable[[Any, list[Any]], Any],
    url: str,
    *,
    n: int = 5,
    handler: Callable[[Any], Any] | None = None,
    stream: str | None = None,
) -> ClientCheck:
    """:func:`check_rpc_client` on the Redis server at ``url``: ``client(requests, bodies)`` gets a
    ``RedisStreamQueue`` (on a fresh stream, or ``stream``), and each request's ``reply_to`` names the
    client's reply stream (``RedisStreamQueue(requests.url, name)``). Bodies and results are JSON numbers.

    For a right client (a sketch: it needs a Redis server)::

        check_rpc_client_redis(my_client, session.url)
        # ClientCheck(ok=True, problem='', results=[1, 4, 9, 16, 25], expected=[1, 4, 9, 16, 25])
    """
    from asyncomm.reliable.redis_streams import RedisStreamQueue  # deferred: needs redis-py

    n, bodies, handler, expected = _plan(n, handler)
    scrambler = _Scrambler(n)
    name = stream if stream is not None else f"asyncomm:rpc-check:{uuid.uuid4().hex}"
    requests = RedisStreamQueue(url, name)

    def server() -> None:
        # A queue of its own on the same stream: the client's queue object stays the client's.
        with RedisStreamQueue(url, name) as incoming, _redis_reply_queues(incoming) as reply_queue:
            while len(scrambler.requests) < n:
                try:
                    delivery = incoming.receive(consumer="rpc-checker", timeout=PATIENCE)
                except QueueEmpty:
                    break
                delivery.ack()
                if not scrambler.take(delivery.message):
                    break
            for reply_to, reply in scrambler.replies(handler):
                with contextlib.suppress(Exception):
                    reply_queue(reply_to).send(reply)

    thread = threading.Thread(target=server, name="asyncomm-rpc-checker", daemon=True)
    thread.start()
    results, error = None, None
    try:
        results = client(requests, list(bodies))
    except Exception as err:
        error = err
    finally:
        thread.join(PATIENCE)
        requests.close()
    return scrambler.judge(results, expected, error)


# --- fair dispatch ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumerTally:
    """One consumer's share of a :func:`fair_dispatch` run: how many messages it processed, and when
    (virtual seconds) it finished its last one.

    >>> ConsumerTally(count=3, finished=6.0)
    ConsumerTally(count=3, finished=6.0)
    """

    count: int
    finished: float


@dataclass(frozen=True)
class DispatchRun:
    """The result of :func:`fair_dispatch`: the ``prefetch`` used, each consumer's tally by name, and
    ``total``, when the last message was done.

    >>> run = fair_dispatch({"fast": 1.0, "slow": 3.0}, messages=8, prefetch=0)
    >>> run.counts(), run.total
    ({'fast': 4, 'slow': 4}, 12.0)
    """

    prefetch: int
    consumers: dict[str, ConsumerTally]
    total: float

    def counts(self) -> dict[str, int]:
        """Messages processed, by consumer."""
        return {name: tally.count for name, tally in self.consumers.items()}


def fair_dispatch(service_times: dict[str, float], messages: int = 12, *, prefetch: int = 1) -> DispatchRun:
    """Send ``messages`` messages at once to a :class:`~asyncomm.reliable.ReliableQueue` with ``prefetch``,
    and let consumers that take ``service_times[name]`` seconds per message process them, on a virtual
    clock. The broker deals messages round-robin to every consumer allowed one more; a consumer acks
    each message when done. ``prefetch=0`` (no limit) deals them all at once, alternately, as RabbitMQ
    does by default: the slow consumer gets half the work. ``prefetch=1`` hands a consumer its next
    message only once it has acked the last: each gets what it can take.

    >>> times = {"fast": 1.0, "slow": 3.0}
    >>> fair_dispatch(times, 12, prefetch=0).counts(), fair_dispatch(times, 12, prefetch=0).total
    ({'fast': 6, 'slow': 6}, 18.0)
    >>> fair_dispatch(times, 12, prefetch=1).counts(), fair_dispatch(times, 12, prefetch=1).total
    ({'fast': 9, 'slow': 3}, 9.0)
    """
    if not isinstance(service_times, dict) or not service_times:
        raise TypeError(f"service_times must be a dict of consumer name -> seconds per message, got {service_times!r}")
    times = {name: check_seconds(seconds, f"service_times[{name!r}]") for name, seconds in service_times.items()}
    messages = check_int(messages, "messages", minimum=1)
    clock = VirtualClock()
    queue: ReliableQueue[int] = ReliableQueue(prefetch=prefetch, visibility_timeout=math.inf, clock=clock)
    for number in range(messages):
        queue.send(number)
    names = list(times)
    buffers: dict[str, list[Any]] = {name: [] for name in names}  # deliveries a consumer holds, oldest first
    busy_until: dict[str, float] = {}  # consumer -> when it finishes the message it is working on
    tallies = {name: ConsumerTally(0, 0.0) for name in names}
    turn = 0
    while True:
        # The broker deals: one message to each consumer in turn that may hold one more, while any is left.
        dealt = True
        while dealt and queue.ready():
            dealt = False
            for offset in range(len(names)):
                name = names[(turn + offset) % len(names)]
                try:
                    buffers[name].append(queue.receive_nowait(consumer=name))
                except (PrefetchLimitReached, QueueEmpty):
                    continue
                turn, dealt = (turn + offset + 1) % len(names), True
                break
        # Idle consumers start on their oldest message.
        for name in names:
            if name not in busy_until and buffers[name]:
                busy_until[name] = clock.now() + times[name]
        if not busy_until:
            return DispatchRun(queue.prefetch, tallies, max(t.finished for t in tallies.values()))
        # Time moves to the next finish; that consumer acks, which frees a prefetch slot.
        name = min(busy_until, key=lambda who: (busy_until[who], names.index(who)))
        clock.advance_to(busy_until.pop(name))
        buffers[name].pop(0).ack()
        tallies[name] = ConsumerTally(tallies[name].count + 1, clock.now())
