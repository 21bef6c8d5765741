"""Redis Streams, three ways side by side: throughput against the in-memory queue, receive latency with many
deliveries in flight, and asyncomm's round trip against a plain redis-py loop (the floor).

    python benchmarks/bench_broker.py [--messages N] [--rounds N] [--url redis://...] [--quick]

Without --url it starts a private redis-server (needs the binary). Three tables, in one run:

1. **Throughput** (messages sent, received and acked per second). "Redis, one by one" uses RedisStreamQueue as
   a learner would: a round trip per verb. "Redis, pipelined" batches 100 XADDs, reads 100 entries per
   XREADGROUP and acks them in one pipeline: what a high-throughput consumer does. The three ways are chapter
   08's own (:func:`asyncomm.labs.redis_lab.throughput`); each is timed three times and the best time kept.
2. **Receive latency with 0, 5,000 and 20,000 deliveries in flight** (held, unacked and within their
   visibility timeout, by another consumer). One queue object per stream; each round sends one message to
   each stream and times ``receive_nowait`` on each, the order reversed every other round, so a neighbour
   process that slows the machine slows all three alike. Reported: median, mean and slowest receive, and the
   median over rounds of the ratio to the receive with none in flight (target: <= 1.5x for 20,000). A
   receive that looks through the pending list for expired deliveries (a queue object does so at most every
   quarter visibility timeout) is timed separately, as the first receive of fresh queue objects ("a look").
3. **Round trip**: send + receive + ack with RedisStreamQueue against a plain redis-py loop issuing the same
   commands one by one (XADD; XREADGROUP COUNT 1; XACK), JSON encoded and decoded as asyncomm does. Runs of
   ``ROUND_TRIP_RUN`` messages, the two alternating, the order reversed every other repeat; the ratio is the
   median over repeats of the two runs' ratio, as in ``bench_core.py`` (target: <= 1.3x).

Importing this module runs nothing; ``main()`` does.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from statistics import mean, median
from typing import Any

import redis

from asyncomm.labs.redis_lab import BrokerSession, throughput
from asyncomm.reliable.redis_streams import LocalRedis, RedisStreamQueue

BATCH = 100
REPEATS = 3
IN_FLIGHT = (0, 5_000, 20_000)
LOOKS = 5  # fresh queue objects per stream whose first receive (a look) is timed
ROUND_TRIP_RUN = 100  # messages per timed run of the round-trip contenders
GROUP = "workers"  # RedisStreamQueue's default group


def _expect(condition: bool, what: str) -> None:
    # Not `assert`: a benchmark that silently measured the wrong thing under `python -O` is worse than none.
    if not condition:
        raise RuntimeError(f"benchmark sanity check failed: {what}")


# -- 1. throughput ---------------------------------------------------------------------------------------------
def best_seconds(url: str, n: int) -> dict[str, float]:
    """The best of REPEATS times of each way, by the way's name."""
    with BrokerSession(url, "url", prefix=f"bench-{time.monotonic_ns()}") as session:
        runs = [throughput(session, messages=n, batch=BATCH) for _ in range(REPEATS)]
    return {row["way"]: min(run[i]["seconds"] for run in runs) for i, row in enumerate(runs[0])}


# -- 2. receive latency with deliveries in flight --------------------------------------------------------------
def hold(client: Any, stream: str, n: int) -> None:
    """``n`` entries delivered to consumer "holder", which never acks them (a slow consumer at work)."""
    for first in range(0, n, 1000):
        with client.pipeline(transaction=False) as pipe:
            for i in range(first, min(first + 1000, n)):
                pipe.xadd(stream, {"data": json.dumps({"m": f"held {i}", "k": None})})
            pipe.execute()
    held = 0
    while held < n:
        [(_, entries)] = client.xreadgroup(GROUP, "holder", {stream: ">"}, count=min(10_000, n - held))
        held += len(entries)


def receive_latencies(url: str, rounds: int) -> tuple[dict[int, list[float]], dict[int, list[float]]]:
    """Seconds of each steady receive, and of each look (a fresh queue object's first receive), per level."""
    client = redis.Redis.from_url(url, decode_responses=True)
    prefix = f"bench-inflight-{time.monotonic_ns()}"
    queues: dict[int, RedisStreamQueue] = {}
    looks: dict[int, list[float]] = {n: [] for n in IN_FLIGHT}
    try:
        for n in IN_FLIGHT:
            queues[n] = RedisStreamQueue(url, f"{prefix}-{n}")  # visibility_timeout 30 s: the held stay in flight
            hold(client, queues[n].stream, n)
            _expect(queues[n].in_flight() == n, f"{n} deliveries in flight")
        for _ in range(LOOKS):
            for n in IN_FLIGHT:
                with RedisStreamQueue(url, queues[n].stream) as fresh:
                    fresh.send("look")
                    start = time.perf_counter()
                    delivery = fresh.receive_nowait(consumer="c")
                    looks[n].append(time.perf_counter() - start)
                    delivery.ack()
        steady: dict[int, list[float]] = {n: [] for n in IN_FLIGHT}
        for r in range(rounds):
            for n in IN_FLIGHT if r % 2 == 0 else reversed(IN_FLIGHT):
                q = queues[n]
                q.send(r)
                start = time.perf_counter()
                delivery = q.receive_nowait(consumer="c")
                steady[n].append(time.perf_counter() - start)
                _expect(delivery.message == r, f"round {r} received {delivery.message!r}")
                delivery.ack()
        for n, q in queues.items():
            _expect(q.in_flight() == n, f"{n} deliveries still in flight after the run")
        return steady, looks
    finally:
        for q in queues.values():
            client.delete(q.stream, f"{q.stream}:dead")
            q.close()
        client.close()


# -- 3. round trip against a plain redis-py loop ---------------------------------------------------------------
def asyncomm_round_trips(url: str, stream: str) -> tuple[Callable[[int], float], Callable[[], None]]:
    q = RedisStreamQueue(url, stream)

    def run(n: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            q.send(i)
            delivery = q.receive(consumer="c")
            delivery.ack()
        elapsed = time.perf_counter() - start
        _expect(delivery.message == n - 1, "asyncomm received the last message sent")
        return elapsed

    return run, q.close


def plain_round_trips(url: str, stream: str) -> tuple[Callable[[int], float], Callable[[], None]]:
    client = redis.Redis.from_url(url, decode_responses=True)
    client.xgroup_create(stream, GROUP, id="0", mkstream=True)

    def run(n: int) -> float:
        start = time.perf_counter()
        for i in range(n):
            client.xadd(stream, {"data": json.dumps({"m": i, "k": None})})
            [(_, [(entry_id, fields)])] = client.xreadgroup(GROUP, "c", {stream: ">"}, count=1)
            message = json.loads(fields["data"])["m"]
            client.xack(stream, GROUP, entry_id)
        elapsed = time.perf_counter() - start
        _expect(message == n - 1, "redis-py received the last message sent")
        return elapsed

    return run, client.close


def round_trip_runs(url: str, repeats: int) -> dict[str, list[float]]:
    """Seconds per message of each contender, one value per repeat, the two timed next to each other."""
    prefix = f"bench-roundtrip-{time.monotonic_ns()}"
    made = {
        "asyncomm": asyncomm_round_trips(url, f"{prefix}-asyncomm"),
        "redis-py": plain_round_trips(url, f"{prefix}-plain"),
    }
    try:
        for run, _ in made.values():
            run(ROUND_TRIP_RUN)  # warm up: connections, the server's script cache, the interpreter
        runs: dict[str, list[float]] = {name: [] for name in made}
        names = list(made)
        for r in range(repeats):
            for name in names if r % 2 == 0 else reversed(names):
                gc.collect()
                runs[name].append(made[name][0](ROUND_TRIP_RUN) / ROUND_TRIP_RUN)
        return runs
    finally:
        for _, close in made.values():
            close()
        with redis.Redis.from_url(url) as client:
            client.delete(f"{prefix}-asyncomm", f"{prefix}-asyncomm:dead", f"{prefix}-plain")


# -- the report ------------------------------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages of the throughput table")
    parser.add_argument("--rounds", type=int, default=1000, help="receives per level of the in-flight table")
    parser.add_argument("--repeats", type=int, default=40, help="paired runs of the round-trip table")
    parser.add_argument("--url", default=None)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args()
    n, rounds, repeats = (500, 100, 6) if args.quick else (args.messages, args.rounds, args.repeats)
    server = None if args.url else LocalRedis().start()
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        results = best_seconds(url, n)
        steady, looks = receive_latencies(url, rounds)
        trips = round_trip_runs(url, repeats)
    finally:
        if server is not None:
            server.stop()

    base = results["in-memory ReliableQueue"]
    print(f"{n} messages sent, received and acked (loopback)\n")
    print("| backend | messages/s | time vs in-memory |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {n / seconds:,.0f} | {seconds / base:.1f}x |")

    print(f"\nreceive_nowait with deliveries in flight: {rounds} receives per level, interleaved (ms)\n")
    print("| in flight | median | mean | slowest | median ratio to none | a look (median of 5) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for level in IN_FLIGHT:
        ratio = median(a / b for a, b in zip(steady[level], steady[0], strict=True))
        print(
            f"| {level:,} | {_ms(median(steady[level]))} | {_ms(mean(steady[level]))} | "
            f"{_ms(max(steady[level]))} | {ratio:.2f}x | {_ms(median(looks[level]))} |"
        )
    verdict = "met" if median(a / b for a, b in zip(steady[IN_FLIGHT[-1]], steady[0], strict=True)) <= 1.5 else "MISSED"
    print(f"\ntarget: {IN_FLIGHT[-1]:,} in flight within 1.5x of none (median): {verdict}")

    ratio = median(a / b for a, b in zip(trips["asyncomm"], trips["redis-py"], strict=True))
    print(f"\nsend + receive + ack, {repeats} paired runs of {ROUND_TRIP_RUN} messages (µs per message)\n")
    print("| contender | fastest run | median run | median ratio to redis-py |")
    print("|---|---:|---:|---:|")
    for name, runs in trips.items():
        shown = f"{ratio:.2f}x" if name == "asyncomm" else "1.00x"
        print(f"| {name} | {min(runs) * 1e6:,.0f} | {median(runs) * 1e6:,.0f} | {shown} |")
    print(f"\ntarget: asyncomm within 1.3x of the plain redis-py loop: {'met' if ratio <= 1.3 else 'MISSED'}")


if __name__ == "__main__":
    main()
