"""Messages per second: the in-memory reliable queue vs Redis Streams on loopback, side by side.

    python benchmarks/bench_broker.py [--messages N] [--url redis://...]

Without --url it starts a private redis-server (needs the binary). Each message is sent, received and
acked. "Redis, one by one" uses RedisStreamQueue as a learner would: a round trip per verb (and the
receive also looks for deliveries that came back). "Redis, pipelined" batches 100 XADDs, reads 100
entries per XREADGROUP and acks them in one pipeline: what a high-throughput consumer does.

The three ways are chapter 08's own (:func:`asyncomm.labs.redis_lab.throughput`), so this measures exactly
what a learner runs; each is timed three times and the best time kept.
"""

from __future__ import annotations

import argparse
import time

from asyncomm.labs.redis_lab import BrokerSession, throughput
from asyncomm.reliable.redis_streams import LocalRedis

BATCH = 100
REPEATS = 3


def best_seconds(url: str, n: int) -> dict[str, float]:
    """The best of REPEATS times of each way, by the way's name."""
    with BrokerSession(url, "url", prefix=f"bench-{time.monotonic_ns()}") as session:
        runs = [throughput(session, messages=n, batch=BATCH) for _ in range(REPEATS)]
    return {row["way"]: min(run[i]["seconds"] for run in runs) for i, row in enumerate(runs[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    n = args.messages
    server = None if args.url else LocalRedis().start()
    url = args.url or server.url  # type: ignore[union-attr]
    try:
        results = best_seconds(url, n)
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
