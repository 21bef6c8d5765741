"""Messages per second: the in-memory reliable queue vs Redis Streams on loopback, one run, side by side.

    python benchmarks/bench_broker.py [--messages N] [--url redis://...]

Without --url it starts a private redis-server (needs the binary). Each message is sent, received and
acked. "Redis, one by one" uses RedisStreamQueue as a learner would: a round trip per verb (and the
receive also looks for deliveries that came back). "Redis, pipelined" batches 100 XADDs, reads 100
entries per XREADGROUP and acks them in one pipeline: what a high-throughput consumer does.
"""

from __future__ import annotations

import argparse
import time

import asyncomm as ac
from asyncomm.reliable import ReliableQueue
from asyncomm.reliable.redis_streams import JSONSerializer, LocalRedis, RedisStreamQueue

BATCH = 100


def in_memory(n: int) -> float:
    q = ReliableQueue(clock=ac.VirtualClock())
    start = time.perf_counter()
    for i in range(n):
        q.send(i)
    for _ in range(n):
        q.receive_nowait(consumer="c").ack()
    return time.perf_counter() - start


def redis_one_by_one(url: str, n: int) -> float:
    with RedisStreamQueue(url, f"bench-single-{time.monotonic_ns()}") as q:
        start = time.perf_counter()
        for i in range(n):
            q.send(i)
        for _ in range(n):
            q.receive_nowait(consumer="c").ack()
        return time.perf_counter() - start


def redis_pipelined(url: str, n: int) -> float:
    serializer = JSONSerializer()
    with RedisStreamQueue(url, f"bench-pipe-{time.monotonic_ns()}") as q:  # makes the stream and its group
        r, stream, group = q._client, q.stream, q.group
        start = time.perf_counter()
        for first in range(0, n, BATCH):
            with r.pipeline(transaction=False) as pipe:
                for i in range(first, min(first + BATCH, n)):
                    pipe.xadd(stream, {"data": serializer.dumps(i, None)})
                pipe.execute()
        received = 0
        while received < n:
            reply = r.xreadgroup(group, "c", {stream: ">"}, count=BATCH)
            entries = reply[0][1]
            with r.pipeline(transaction=False) as pipe:
                for entry_id, fields in entries:
                    serializer.loads(fields["data"])
                    pipe.xack(stream, group, entry_id)
                pipe.execute()
            received += len(entries)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    n = args.messages
    server = None if args.url else LocalRedis().start()
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        results = {
            "in-memory ReliableQueue": min(in_memory(n) for _ in range(3)),
            "Redis, one by one": redis_one_by_one(url, n),
            "Redis, pipelined (batches of 100)": min(redis_pipelined(url, n) for _ in range(3)),
        }
    finally:
        if server is not None:
            server.stop()
    base = results["in-memory ReliableQueue"]
    print(f"{n} messages sent, received and acked (loopback)\n")
    print("| backend | messages/s | time vs in-memory |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        print(f"| {name} | {n / seconds:,.0f} | {seconds / base:.1f}x |")


if __name__ == "__main__":
    main()
