"""The RabbitMQ tutorials' patterns: topic matching and the exchange, request-reply and its checker, fair dispatch."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import asyncomm as ac
from asyncomm.labs import messaging
from asyncomm.labs.messaging import TopicExchange, topic_matches
from asyncomm.reliable import ReliableQueue

# --- topic matching --------------------------------------------------------------------------------------------

# RabbitMQ's own test of its topic exchange (rabbit's unit tests, "test_topic_matching"): these bindings, and
# for each routing key the bindings that must match it. It fixes the edge cases: "" has no words, "#" and
# "#.#" match it, "*" does not.
RABBIT_BINDINGS = {
    "t1": "a.b.c",
    "t2": "a.*.c",
    "t3": "a.#.b",
    "t4": "a.b.b.c",
    "t5": "#",
    "t6": "#.#",
    "t7": "#.b",
    "t8": "*.*",
    "t9": "a.*",
    "t10": "*.b.c",
    "t11": "a.#",
    "t12": "a.#.#",
    "t13": "b.b.c",
    "t14": "a.b.b",
    "t15": "a.b",
    "t16": "b.c",
    "t17": "",
    "t18": "*.*.*",
    "t19": "vodka.martini",
    "t20": "a.b.c",
    "t21": "*.#",
    "t22": "#.*.#",
    "t23": "*.#.#",
    "t24": "#.#.#",
    "t25": "*",
    "t26": "#.b.#",
    "t27": "args-test",
}
RABBIT_EXPECTED = {
    "a.b.c": "t1 t2 t5 t6 t10 t11 t12 t18 t20 t21 t22 t23 t24 t26",
    "a.b": "t3 t5 t6 t7 t8 t9 t11 t12 t15 t21 t22 t23 t24 t26",
    "a.b.b": "t3 t5 t6 t7 t11 t12 t14 t18 t21 t22 t23 t24 t26",
    "": "t5 t6 t17 t24",
    "b.c.c": "t5 t6 t18 t21 t22 t23 t24 t26",
    "a.a.a.a.a": "t5 t6 t11 t12 t21 t22 t23 t24",
    "vodka.gin": "t5 t6 t8 t21 t22 t23 t24",
    "vodka.martini": "t5 t6 t8 t19 t21 t22 t23 t24",
    "b.b.c": "t5 t6 t10 t13 t18 t21 t22 t23 t24 t26",
    "nothing.here.at.all": "t5 t6 t21 t22 t23 t24",
    "oneword": "t5 t6 t21 t22 t23 t24 t25",
    "args-test": "t5 t6 t21 t22 t23 t24 t25 t27",
}


@pytest.mark.parametrize("key", list(RABBIT_EXPECTED))
def test_topic_matching_agrees_with_rabbitmqs_own_test(key: str) -> None:
    matched = {name for name, pattern in RABBIT_BINDINGS.items() if topic_matches(pattern, key)}
    assert matched == set(RABBIT_EXPECTED[key].split())


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        # RabbitMQ tutorial 5: <speed>.<colour>.<species>
        ("*.orange.*", "quick.orange.rabbit", True),
        ("*.*.rabbit", "quick.orange.rabbit", True),
        ("*.orange.*", "quick.orange.fox", True),
        ("lazy.#", "lazy.brown.fox", True),
        ("*.orange.*", "quick.brown.fox", False),
        ("*.orange.*", "orange", False),
        ("*.orange.*", "quick.orange.male.rabbit", False),
        ("lazy.#", "lazy.orange.male.rabbit", True),
        ("lazy.#", "lazy", True),  # '#' can be zero words
        # empty words are words
        ("a.*.b", "a..b", True),
        ("a.b", "a..b", False),
        ("a.*", "a.", True),
        ("*.*", ".", True),
        ("*", ".", False),
        ("#", ".", True),
        ("", "", True),
        ("", "a", False),
        # '*' and '#' are wildcards only as whole words
        ("a*", "ab", False),
        ("a*", "a*", True),
        ("#a", "ba", False),
        ("kern.*", "kern.#", True),  # a routing key's '#' is just a word
    ],
)
def test_topic_matching_edge_cases(pattern: str, key: str, expected: bool) -> None:
    assert topic_matches(pattern, key) is expected


def _oracle(pattern: list[str], key: list[str]) -> bool:
    """A second, recursive reading of the rule, to compare with."""
    if not pattern:
        return not key
    first, rest = pattern[0], pattern[1:]
    if first == "#":
        return any(_oracle(rest, key[skip:]) for skip in range(len(key) + 1))
    return bool(key) and first in ("*", key[0]) and _oracle(rest, key[1:])


_word = st.sampled_from(["a", "b", "", "ab"])
_pattern_word = st.sampled_from(["a", "b", "", "*", "#"])


def _join(words: list[str]) -> str:
    return ".".join(words)


def _split(key: str) -> list[str]:
    return key.split(".") if key else []


@settings(max_examples=400, deadline=None)
@given(st.lists(_pattern_word, max_size=5), st.lists(_word, max_size=6))
def test_topic_matching_agrees_with_a_recursive_reading(pattern: list[str], key: list[str]) -> None:
    pattern_text, key_text = _join(pattern), _join(key)
    assert topic_matches(pattern_text, key_text) == _oracle(_split(pattern_text), _split(key_text))


@settings(max_examples=200, deadline=None)
@given(st.lists(_word, max_size=6), st.lists(_word, max_size=6))
def test_hash_matches_everything_and_a_plain_pattern_only_itself(words: list[str], other: list[str]) -> None:
    key = _join(words)
    assert topic_matches("#", key)
    assert topic_matches(key, key)
    assert topic_matches(_join(other), key) == (_join(other) == key)
    assert topic_matches(_join(["*"] * len(_split(key))), key)  # n stars: exactly n words
    assert topic_matches(_join(["*"] * (len(_split(key)) + 1)), key) is False


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: topic_matches(None, "a"), "pattern must be a str of words separated by dots"),
        (lambda: topic_matches("a", 3), "routing_key must be a str of words separated by dots"),
    ],
)
def test_topic_matching_refuses_what_is_not_a_key(call, message) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        call()


# --- the exchange ----------------------------------------------------------------------------------------------


def test_the_exchange_routes_as_the_tutorial_says() -> None:
    exchange = TopicExchange()
    q1, q2 = ac.MessageQueue(), ac.MessageQueue()
    exchange.bind(q1, "*.orange.*")
    exchange.bind(q2, "*.*.rabbit")
    exchange.bind(q2, "lazy.#")
    assert exchange.publish("quick.orange.rabbit", 1) == 2
    assert exchange.publish("lazy.orange.elephant", 2) == 2
    assert exchange.publish("quick.orange.fox", 3) == 1
    assert exchange.publish("lazy.brown.fox", 4) == 1
    assert exchange.publish("lazy.pink.rabbit", 5) == 1  # matches two of q2's bindings: delivered once
    assert exchange.publish("quick.brown.fox", 6) == 0  # matches nothing: dropped
    assert exchange.publish("quick.orange.male.rabbit", 7) == 0
    assert exchange.publish("lazy.orange.male.rabbit", 8) == 1
    assert q1.snapshot() == [1, 2, 3]
    assert q2.snapshot() == [1, 2, 4, 5, 8]


def test_fan_out_is_the_pattern_hash_and_unbind_stops_delivery() -> None:
    exchange = TopicExchange()
    queues = [ac.MessageQueue() for _ in range(3)]
    for queue in queues:
        exchange.bind(queue, "#")
    exchange.bind(queues[0], "#")  # binding twice changes nothing
    assert exchange.publish("", "all") == 3 and exchange.publish("any.key", "all again") == 3
    assert [q.snapshot() for q in queues] == [["all", "all again"]] * 3
    exchange.unbind(queues[1], "#")
    assert exchange.publish("x", "two") == 2 and queues[1].snapshot() == ["all", "all again"]
    assert [pattern for _, pattern in exchange.bindings()] == ["#", "#"]
    with pytest.raises(ValueError, match=re.escape("is not bound with pattern 'x.*'; see exchange.bindings()")):
        exchange.unbind(queues[0], "x.*")


def test_the_exchange_feeds_reliable_and_asyncio_queues() -> None:
    exchange = TopicExchange()
    reliable: ReliableQueue[str] = ReliableQueue()
    exchange.bind(reliable, "order.*")
    exchange.publish("order.paid", "pay")
    delivery = reliable.receive_nowait()
    assert delivery.message == "pay"
    delivery.ack()

    async def main() -> list[str]:
        inbox: ac.AsyncMessageQueue[str] = ac.AsyncMessageQueue()
        exchange.bind(inbox, "#.paid")
        exchange.publish("order.paid", "async pay")
        return [await inbox.receive()]

    assert ac.VirtualClock().run(main()) == ["async pay"]


def test_a_full_queue_follows_its_policy() -> None:
    exchange = TopicExchange()
    strict, lossy = ac.MessageQueue(maxsize=1), ac.MessageQueue(maxsize=1, policy="drop-oldest")
    exchange.bind(lossy, "#")
    exchange.publish("k", 1)
    exchange.publish("k", 2)
    assert lossy.snapshot() == [2]
    exchange.bind(strict, "#")
    exchange.publish("k", 3)
    with pytest.raises(ac.QueueFull):
        exchange.publish("k", 4)


def test_bind_refuses_what_it_cannot_send_to() -> None:
    class AsyncOnly:
        async def send_nowait(self, message: Any) -> None: ...

    exchange = TopicExchange()
    for thing in (AsyncOnly(), [], "queue"):
        with pytest.raises(TypeError, match=re.escape("bind a queue with a plain send_nowait()")):
            exchange.bind(thing, "#")
    with pytest.raises(TypeError, match=re.escape("pattern must be a str")):
        exchange.bind(ac.MessageQueue(), 5)
    assert exchange.bindings() == []


# --- request-reply: the server ---------------------------------------------------------------------------------


def _request(body: Any, reply_to: Any, correlation_id: Any) -> dict[str, Any]:
    return {"body": body, "reply_to": reply_to, "correlation_id": correlation_id}


def _thread(target, *args, **kwargs) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(target(*args, **kwargs)))
    thread.start()
    return thread, out


def test_the_server_replies_with_the_correlation_id_on_the_reply_queue() -> None:
    requests: ac.MessageQueue[Any] = ac.MessageQueue()
    mine, theirs = ac.MessageQueue(), ac.MessageQueue()
    server, served = _thread(messaging.serve_requests, requests, lambda n: n * 2)
    requests.send(_request(1, mine, "a"))
    requests.send(_request(2, theirs, "b"))
    requests.send(_request(3, mine, "c"))
    requests.close()
    server.join(10)
    assert served == [3]
    assert mine.snapshot() == [{"correlation_id": "a", "body": 2}, {"correlation_id": "c", "body": 6}]
    assert theirs.snapshot() == [{"correlation_id": "b", "body": 4}]


def test_a_failing_handler_still_answers_and_the_server_goes_on() -> None:
    requests: ac.MessageQueue[Any] = ac.MessageQueue()
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    for body, cid in ((4, 1), (0, 2), (2, 3)):
        requests.send(_request(body, replies, cid))
    assert messaging.serve_requests(requests, lambda n: 8 // n, limit=3) == 3
    assert replies.snapshot() == [
        {"correlation_id": 1, "body": 2},
        {"correlation_id": 2, "error": "ZeroDivisionError: integer division or modulo by zero"},
        {"correlation_id": 3, "body": 4},
    ]


def test_the_server_acks_reliable_deliveries_after_replying() -> None:
    requests: ReliableQueue[Any] = ReliableQueue()
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    requests.send(_request("x", replies, 7))
    assert messaging.serve_requests(requests, str.upper, limit=1) == 1
    assert replies.snapshot() == [{"correlation_id": 7, "body": "X"}]
    assert (requests.ready(), requests.in_flight()) == (0, 0)


def test_the_server_stops_when_idle() -> None:
    clock = ac.VirtualClock()
    requests: ac.MessageQueue[Any] = ac.MessageQueue(clock=clock)
    assert messaging.serve_requests(requests, str, idle=5) == 0
    assert clock.now() == 5


@pytest.mark.parametrize("bad", ["just a body", {"body": 1, "reply_to": None}, ["body", "reply_to"]])
def test_a_request_without_its_keys_is_refused_clearly(bad: Any) -> None:
    requests: ac.MessageQueue[Any] = ac.MessageQueue()
    requests.send(bad)
    message = "a request must be a dict with the keys 'body', 'reply_to' (where to send the reply) and"
    with pytest.raises(ValueError, match=re.escape(message)):
        messaging.serve_requests(requests, str, limit=1)


def test_the_async_server_awaits_async_handlers() -> None:
    async def slow_double(n: int) -> int:
        await asyncio.sleep(n)
        return 2 * n

    async def main() -> tuple[list[Any], int, float]:
        requests: ac.AsyncMessageQueue[Any] = ac.AsyncMessageQueue()
        replies: ac.AsyncMessageQueue[Any] = ac.AsyncMessageQueue()
        server = asyncio.create_task(messaging.serve_requests_async(requests, slow_double))
        for n in (3, 1):
            await requests.send(_request(n, replies, f"r{n}"))
        await requests.send(_request("x", replies, "bad"))  # "x" cannot be slept: an error reply
        got = [await replies.receive() for _ in range(3)]
        requests.close()
        return got, await server, asyncio.get_running_loop().time()

    got, served, when = ac.VirtualClock().run(main())
    assert served == 3 and when == 4.0
    assert got[:2] == [{"correlation_id": "r3", "body": 6}, {"correlation_id": "r1", "body": 2}]
    assert got[2]["correlation_id"] == "bad" and got[2]["error"].startswith("TypeError: ")


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("limit must be")):
        messaging.serve_requests(ac.MessageQueue(), str, limit=0)
    with pytest.raises(ValueError, match=re.escape("idle must be >= 0 seconds")):
        messaging.serve_requests(ac.MessageQueue(), str, idle=-1)


# --- request-reply: checking a learner's client ----------------------------------------------------------------


def correct_client(requests: Any, bodies: list[Any]) -> list[Any]:
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    ids = [uuid.uuid4().hex for _ in bodies]
    for body, cid in zip(bodies, ids, strict=True):
        requests.send(_request(body, replies, cid))
    results: dict[str, Any] = {}
    while len(results) < len(ids):
        reply = replies.receive(timeout=10)
        if reply["correlation_id"] in ids:
            results[reply["correlation_id"]] = reply["body"]
    return [results[cid] for cid in ids]


def in_arrival_order(requests: Any, bodies: list[Any]) -> list[Any]:
    """Ignores the stray reply, but pairs the others with the requests in the order they come."""
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    ids = [uuid.uuid4().hex for _ in bodies]
    for body, cid in zip(bodies, ids, strict=True):
        requests.send(_request(body, replies, cid))
    results: list[Any] = []
    while len(results) < len(ids):
        reply = replies.receive(timeout=10)
        if reply["correlation_id"] in ids:
            results.append(reply["body"])
    return results


def same_id(requests: Any, bodies: list[Any]) -> list[Any]:
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    for body in bodies:
        requests.send(_request(body, replies, "one id"))
    return [replies.receive(timeout=10)["body"] for _ in bodies]


def one_at_a_time(requests: Any, bodies: list[Any]) -> list[Any]:
    replies: ac.MessageQueue[Any] = ac.MessageQueue()
    results = []
    for body in bodies:
        cid = uuid.uuid4().hex
        requests.send(_request(body, replies, cid))
        while (reply := replies.receive(timeout=10))["correlation_id"] != cid:
            pass
        results.append(reply["body"])
    return results


def test_a_client_that_matches_by_correlation_id_passes() -> None:
    check = messaging.check_rpc_client(correct_client)
    assert check == messaging.ClientCheck(True, "", [1, 4, 9, 16, 25], [1, 4, 9, 16, 25])
    assert messaging.check_rpc_client(correct_client, n=3, handler=str).results == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("client", "problem"),
    [
        (in_arrival_order, "the replies came back in a different order than the requests went out; match each reply"),
        (same_id, "two requests carried the same correlation_id: give each its own, e.g. uuid.uuid4().hex"),
        (lambda requests, bodies: 1 / 0, "your client raised ZeroDivisionError: division by zero"),
        (lambda requests, bodies: requests.send("hi"), "a request must be a dict with the keys 'body'"),
    ],
)
def test_a_wrong_client_gets_a_specific_problem(client, problem) -> None:
    check = messaging.check_rpc_client(client)
    assert not check.ok
    assert check.problem.startswith(problem)


def test_a_client_that_waits_for_each_reply_is_told_to_send_all_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messaging, "PATIENCE", 0.3)
    check = messaging.check_rpc_client(one_at_a_time)
    assert check.problem == (
        "the server received 1 of 5 requests before it gave up waiting: send every request first, then collect "
        "the replies"
    )


def test_the_async_checker() -> None:
    async def client(requests: Any, bodies: list[Any]) -> list[Any]:
        replies: ac.AsyncMessageQueue[Any] = ac.AsyncMessageQueue()
        ids = [uuid.uuid4().hex for _ in bodies]
        for body, cid in zip(bodies, ids, strict=True):
            await requests.send(_request(body, replies, cid))
        results: dict[str, Any] = {}
        while len(results) < len(ids):
            reply = await replies.receive(timeout=10)
            if reply["correlation_id"] in ids:
                results[reply["correlation_id"]] = reply["body"]
        return [results[cid] for cid in ids]

    assert messaging.check_rpc_client_async(client).ok

    async def naive(requests: Any, bodies: list[Any]) -> list[Any]:
        replies: ac.AsyncMessageQueue[Any] = ac.AsyncMessageQueue()
        for body in bodies:
            await requests.send(_request(body, replies, body))
        return [(await replies.receive())["body"] for _ in bodies]

    assert messaging.check_rpc_client_async(naive).problem.startswith("a reply whose correlation_id you did not send")


def test_the_checker_needs_two_requests_at_least() -> None:
    with pytest.raises(ValueError, match=re.escape("n must be")):
        messaging.check_rpc_client(correct_client, n=1)


# --- request-reply on Redis ------------------------------------------------------------------------------------


def test_request_reply_on_redis_streams(redis_url: str) -> None:
    from asyncomm.reliable.redis_streams import RedisStreamQueue

    name = uuid.uuid4().hex
    with RedisStreamQueue(redis_url, f"rpc:{name}") as requests, RedisStreamQueue(redis_url, f"re:{name}") as replies:
        for n in (5, 6):
            requests.send(_request(n, replies.stream, f"id{n}"))
        assert messaging.serve_requests_redis(requests, lambda n: n + 1, idle=0.5) == 2
        got = [replies.receive(timeout=5) for _ in range(2)]
        for delivery in got:
            delivery.ack()
        assert [d.message for d in got] == [{"correlation_id": "id5", "body": 6}, {"correlation_id": "id6", "body": 7}]
        assert requests.in_flight() == 0


def test_the_redis_checker(redis_url: str) -> None:
    from asyncomm.reliable.redis_streams import RedisStreamQueue

    def client(requests: Any, bodies: list[Any]) -> list[Any]:
        with RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}") as replies:
            ids = [uuid.uuid4().hex for _ in bodies]
            for body, cid in zip(bodies, ids, strict=True):
                requests.send(_request(body, replies.stream, cid))
            results: dict[str, Any] = {}
            while len(results) < len(ids):
                delivery = replies.receive(timeout=10)
                delivery.ack()
                if delivery.message["correlation_id"] in ids:
                    results[delivery.message["correlation_id"]] = delivery.message["body"]
            return [results[cid] for cid in ids]

    assert messaging.check_rpc_client_redis(client, redis_url) == messaging.ClientCheck(
        True, "", [1, 4, 9, 16, 25], [1, 4, 9, 16, 25]
    )

    def naive(requests: Any, bodies: list[Any]) -> list[Any]:
        with RedisStreamQueue(requests.url, f"replies:{uuid.uuid4().hex}") as replies:
            for body in bodies:
                requests.send(_request(body, replies.stream, body))
            return [replies.receive(timeout=10).message["body"] for _ in bodies]

    check = messaging.check_rpc_client_redis(naive, redis_url, n=3)
    assert check.problem.startswith("a reply whose correlation_id you did not send must be ignored")


# --- fair dispatch ---------------------------------------------------------------------------------------------


def test_round_robin_gives_the_slow_consumer_half_the_work_and_prefetch_one_only_what_it_can_take() -> None:
    times = {"fast": 1.0, "slow": 3.0}
    round_robin = messaging.fair_dispatch(times, 12, prefetch=0)
    fair = messaging.fair_dispatch(times, 12, prefetch=1)
    assert round_robin.consumers == {
        "fast": messaging.ConsumerTally(6, 6.0),
        "slow": messaging.ConsumerTally(6, 18.0),
    }
    assert (round_robin.prefetch, round_robin.total) == (0, 18.0)
    assert fair.counts() == {"fast": 9, "slow": 3} and fair.total == 9.0
    assert messaging.fair_dispatch(times, 12, prefetch=1) == fair  # deterministic


def test_fair_dispatch_with_three_consumers_and_a_larger_prefetch() -> None:
    times = {"a": 1.0, "b": 2.0, "c": 4.0}
    run = messaging.fair_dispatch(times, 14, prefetch=1)
    assert run.counts() == {"a": 8, "b": 4, "c": 2} and run.total == 8.0
    assert sum(messaging.fair_dispatch(times, 14, prefetch=2).counts().values()) == 14
    assert messaging.fair_dispatch(times, 14, prefetch=0).counts() == {"a": 5, "b": 5, "c": 4}


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([],), {}, TypeError, "service_times must be a dict of consumer name -> seconds per message"),
        (({"a": -1},), {}, ValueError, "service_times['a']"),
        (({"a": 1},), {"messages": 0}, ValueError, "messages must be"),
        (({"a": 1},), {"prefetch": -1}, ValueError, "prefetch must be"),
    ],
)
def test_fair_dispatch_refuses_bad_settings(args, kwargs, error, message) -> None:
    with pytest.raises(error, match=re.escape(message)):
        messaging.fair_dispatch(*args, **kwargs)
