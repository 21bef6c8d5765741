"""Queueing experiments: one producer, a queue, some consumers, on a virtual clock.

:func:`simulate_pipeline` plays a producer that offers message ``i`` at
``arrivals[i]`` and ``consumers`` workers that each need ``service_time``
seconds per message, as asyncio tasks around an
:class:`~asyncomm.AsyncMessageQueue`, run by ``VirtualClock.run``: the run
takes no real time and every number it returns is exact and repeatable.

It returns plain data (a :class:`SimulationRun`): one :class:`MessageRecord` per
message and the queue length over time, read from the queue's
:class:`~asyncomm.Trace`. Chapter 05 uses it to put numbers on the seed's three
challenges: bottlenecks, resource use and reliability.

:meth:`SimulationRun.measure` reports a run the way the fast simulations of
:mod:`asyncomm.labs.queueing` do (a :class:`~asyncomm.labs.queueing.SimulationResult`: L,
W, Wq, percentiles, drops, the queue-length series), so the two can be put side
by side: fed the same arrival and service times, they give the same numbers.

Rules of the game, so that results can be predicted by hand:

* times are seconds since the run began; ``None`` means "never";
* the queue length counts messages *waiting* in the queue, not the ones a
  consumer is handling; at an instant where several things happen, the length
  recorded is the one after all of them;
* at the same instant, consumers finish (and take their next message) before
  the producer sends;
* ``policy="block"``: a full queue makes the producer wait (backpressure), so it
  may send later than it wanted; ``policy="drop"``: a message that finds the
  queue full is dropped;
* a message listed in ``crash_on`` makes its consumer crash halfway through it;
  the consumer is restarted at once, but a plain queue has already forgotten
  the message: it is lost.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import random
import sys
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asyncomm._checks import check_int, check_maxsize, is_number
from asyncomm.async_queue import AsyncMessageQueue
from asyncomm.clock import Clock, VirtualClock
from asyncomm.errors import QueueFull
from asyncomm.trace import Trace

if TYPE_CHECKING:
    from asyncomm.labs.queueing import SimulationResult

__all__ = [
    "POLICIES",
    "MessageRecord",
    "SimulationRun",
    "Summary",
    "estimate_bytes",
    "measure_schedule",
    "poisson_arrivals",
    "random_service_times",
    "regular_arrivals",
    "simulate_pipeline",
]

POLICIES = ("block", "drop")


@dataclass(frozen=True)
class MessageRecord:
    """What happened to one message. Times are seconds since the run began.

    ``sent`` is when the producer wanted to send it (its arrival time);
    ``enqueued`` when it entered the queue (later than ``sent`` if the producer
    was held back by a full queue); ``started`` when a consumer received it;
    ``finished`` when that consumer was done. ``outcome`` is ``"done"``,
    ``"dropped"`` (the queue was full, ``policy="drop"``) or ``"lost"`` (its
    consumer crashed while handling it).

    >>> MessageRecord(0, sent=0.0, enqueued=0.0, started=1.0, finished=3.0, consumer=0, outcome="done").wait
    1.0
    """

    id: int
    sent: float
    enqueued: float | None
    started: float | None
    finished: float | None
    consumer: int | None
    outcome: str

    @property
    def dropped(self) -> bool:
        return self.outcome == "dropped"

    @property
    def wait(self) -> float | None:
        """Seconds from ``sent`` until a consumer took it (``None`` if none did)."""
        return None if self.started is None else self.started - self.sent

    @property
    def producer_wait(self) -> float | None:
        """Seconds the producer was held back before the queue accepted it."""
        return None if self.enqueued is None else self.enqueued - self.sent


@dataclass(frozen=True)
class Summary:
    """The headline numbers of a run (see :meth:`SimulationRun.summary`).

    ``throughput`` is finished messages per second from the first arrival to
    the last finish; waits are over the messages a consumer received.

    >>> s = simulate_pipeline(regular_arrivals(1.0, 5), service_time=2).summary()
    >>> s.done, s.duration, s.throughput, s.max_wait, s.peak_length
    (5, 10.0, 0.5, 4.0, 2)
    """

    sent: int
    done: int
    dropped: int
    lost: int
    duration: float
    throughput: float
    mean_wait: float
    max_wait: float
    max_producer_wait: float
    peak_length: int


@dataclass(frozen=True)
class SimulationRun:
    """The result of :func:`simulate_pipeline`: plain records, nothing live.

    ``lengths`` is the queue length over time as ``(time, length)`` pairs, one
    per instant at which it changed (its value once that instant is over),
    starting at time 0.0.

    >>> run = simulate_pipeline([0, 0, 0], service_time=1)     # three at once, one consumer
    >>> run.lengths
    [(0.0, 2), (1.0, 1), (2.0, 0)]
    """

    messages: list[MessageRecord]
    lengths: list[tuple[float, int]]
    trace: Trace
    maxsize: int
    consumers: int
    policy: str

    def length_at(self, t: float) -> int:
        """The queue length at time ``t`` (after everything that happened at ``t``).

        >>> run = simulate_pipeline([0, 0, 0], service_time=1)
        >>> run.length_at(0), run.length_at(1.5), run.length_at(10)
        (2, 1, 0)
        """
        if t < 0:
            raise ValueError(f"t must be >= 0 seconds since the run began, got {t!r}")
        i = bisect.bisect_right(self.lengths, t, key=lambda pair: pair[0])
        return self.lengths[i - 1][1]

    def finish_order(self) -> list[int]:
        """Ids of the finished messages in the order they finished."""
        done = [m for m in self.messages if m.finished is not None and m.outcome == "done"]
        return [m.id for m in sorted(done, key=lambda m: (m.finished, m.id))]

    def summary(self) -> Summary:
        """Counts, throughput, waits and the peak queue length.

        >>> s = simulate_pipeline(regular_arrivals(1.0, 4), service_time=2).summary()
        >>> s.done, s.duration, s.throughput, s.max_wait, s.peak_length
        (4, 8.0, 0.5, 3.0, 2)
        """
        waits = [m.started - m.sent for m in self.messages if m.started is not None]
        producer_waits = [m.enqueued - m.sent for m in self.messages if m.enqueued is not None]
        finishes = [m.finished for m in self.messages if m.finished is not None]
        done = sum(m.outcome == "done" for m in self.messages)
        duration = (max(finishes) - self.messages[0].sent) if finishes else 0.0
        return Summary(
            sent=len(self.messages),
            done=done,
            dropped=sum(m.outcome == "dropped" for m in self.messages),
            lost=sum(m.outcome == "lost" for m in self.messages),
            duration=duration,
            throughput=done / duration if duration > 0 else 0.0,
            mean_wait=sum(waits) / len(waits) if waits else 0.0,
            max_wait=max(waits, default=0.0),
            max_producer_wait=max(producer_waits, default=0.0),
            peak_length=max(length for _, length in self.lengths),
        )

    def measure(self, samples: int = 1000) -> SimulationResult:
        """The queueing figures of the run, as :func:`asyncomm.labs.queueing.simulate_queue` reports them.

        L (time-average number in the system over ``[0, last arrival]``), W and Wq (means over the
        messages that got in), their percentiles, drops, utilisation, and the number in the system and
        waiting sampled on ``samples`` even instants (see :func:`measure_schedule`). A message is "in
        the system" from ``sent`` (when the producer wanted to send it) until ``finished``: with
        ``policy="block"`` that includes the time the producer was held back, so ``Wq`` and the
        ``waiting`` series then count the producer's backlog too. With ``policy="drop"`` the capacity
        is ``maxsize + consumers``: the waiting messages plus one in the hands of each consumer.

        Needs numpy. A run with crashes has no time in the system for its lost messages: refused.

        >>> r = simulate_pipeline([0, 1, 2], service_time=1.5).measure()
        >>> r.W, r.Wq, r.dropped
        (2.0, 0.5, 0)
        >>> simulate_pipeline([0, 0, 0, 1], 2, maxsize=1, policy="drop").measure().dropped
        2
        """
        lost = [m.id for m in self.messages if m.outcome == "lost"]
        if lost:
            raise ValueError(
                f"measure() needs a run without crashes: message(s) {lost} were lost and have no "
                f"time in the system; leave crash_on empty to measure a run"
            )
        admitted = [m for m in self.messages if m.outcome != "dropped"]
        return measure_schedule(
            [m.sent for m in admitted],
            [m.started for m in admitted],
            [m.finished for m in admitted],
            offered=len(self.messages),
            horizon=self.messages[-1].sent,
            consumers=self.consumers,
            capacity=self.maxsize + self.consumers if self.policy == "drop" else None,
            samples=samples,
        )

    def to_frame(self):  # type: ignore[no-untyped-def]
        """The message records as a pandas DataFrame, one row per message."""
        import pandas as pd  # deferred: pandas is heavy and only views need it

        columns = ["id", "sent", "enqueued", "started", "finished", "consumer", "outcome"]
        return pd.DataFrame([[getattr(m, c) for c in columns] for m in self.messages], columns=columns)


def simulate_pipeline(
    arrivals: Sequence[float],
    service_time: float | Sequence[float],
    *,
    maxsize: int = 0,
    consumers: int = 1,
    policy: str = "block",
    crash_on: Collection[int] = (),
    clock: Clock | None = None,
) -> SimulationRun:
    """Run a producer -> queue -> consumers pipeline and record what happened.

    ``arrivals``: when the producer offers message 0, 1, ... (seconds, not
    decreasing). ``service_time``: seconds a consumer needs per message, one
    number for all or one per message. ``maxsize``: queue capacity (0 =
    unbounded). ``policy``: what a full queue does to the producer, ``"block"``
    (wait for room) or ``"drop"`` (discard the message). ``crash_on``: ids of
    messages whose consumer crashes halfway through them. ``clock``: default a
    fresh :class:`~asyncomm.VirtualClock`, so the run is instant and exact.

    >>> run = simulate_pipeline(regular_arrivals(1.0, 20), service_time=2)
    >>> run.length_at(10.5)   # 11 sent, 5 finished, 1 being handled
    5
    >>> simulate_pipeline([0, 0, 0], 1, maxsize=1, policy="drop").summary().dropped
    1
    """
    times = _check_arrivals(arrivals)
    services = _check_services(service_time, len(times))
    maxsize = check_maxsize(maxsize)
    check_int(consumers, "consumers", minimum=1)
    if policy not in POLICIES:
        raise ValueError(f"policy must be 'block' (wait for room) or 'drop' (discard when full), got {policy!r}")
    if policy == "drop" and maxsize == 0:
        raise ValueError(
            "policy='drop' needs a bounded queue: an unbounded one (maxsize=0) is never full; give a maxsize > 0"
        )
    crashes = _check_crashes(crash_on, len(times))
    if clock is None:
        clock = VirtualClock()
    elif not isinstance(clock, Clock):
        raise TypeError(f"clock must be an asyncomm clock such as VirtualClock(), got {clock!r}")
    trace = Trace()
    origin = clock.now()  # the trace's times are the clock's: lengths are made relative to the start
    state = clock.run(_pipeline(times, services, maxsize, consumers, policy, crashes, trace))
    messages = [MessageRecord(i, sent=t, **state[i]) for i, t in enumerate(times)]
    return SimulationRun(messages, _lengths(trace, origin), trace, maxsize, consumers, policy)


async def _pipeline(
    times: list[float],
    services: list[float],
    maxsize: int,
    consumers: int,
    policy: str,
    crashes: frozenset[int],
    trace: Trace,
) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    origin = loop.time()
    queue = AsyncMessageQueue(maxsize, trace=trace, name="pipeline")
    state: list[dict[str, Any]] = [
        {"enqueued": None, "started": None, "finished": None, "consumer": None, "outcome": "dropped"} for _ in times
    ]

    async def sleep_until(when: float) -> None:
        # call_at with the exact target time: now + delay could drift by a float ulp
        # and break ties that the rules above promise.
        if loop.time() < when:
            fut = loop.create_future()
            loop.call_at(when, fut.set_result, None)
            await fut

    async def producer() -> None:
        for i, t in enumerate(times):
            await sleep_until(origin + t)
            await asyncio.sleep(0)  # consumers due at this same instant go first
            if policy == "drop":
                try:
                    queue.send_nowait(i)
                except QueueFull:
                    continue
            else:
                await queue.send(i)
            state[i]["enqueued"] = loop.time() - origin
            state[i]["outcome"] = "queued"
        queue.close()

    async def consumer(number: int) -> None:
        async for i in queue:  # until the producer has closed the queue and it is drained
            start = loop.time()
            state[i].update(started=start - origin, consumer=number)
            if i in crashes:
                # Crash halfway; the supervisor restarts us at once, but the message is gone.
                await sleep_until(start + services[i] / 2)
                state[i]["outcome"] = "lost"
                continue
            await sleep_until(start + services[i])
            state[i].update(finished=loop.time() - origin, outcome="done")

    workers = [asyncio.create_task(consumer(n)) for n in range(consumers)]
    await asyncio.sleep(0)  # let every consumer reach receive() before the first message
    await asyncio.gather(producer(), *workers)
    return state


def _lengths(trace: Trace, origin: float) -> list[tuple[float, int]]:
    settled: list[tuple[float, int]] = [(0.0, 0)]  # the last length at each instant
    for row in trace.rows:
        t = row.time - origin
        if t == settled[-1][0]:
            settled[-1] = (t, row.size)
        else:
            settled.append((t, row.size))
    series = settled[:1]
    for t, length in settled[1:]:
        if length != series[-1][1]:
            series.append((t, length))
    return series


def _check_arrivals(arrivals: Any) -> list[float]:
    if isinstance(arrivals, (str, bytes)) or not isinstance(arrivals, Iterable):
        raise TypeError(f"arrivals must be a sequence of times in seconds, got {arrivals!r}")
    times = list(arrivals)
    if not times:
        raise ValueError("arrivals is empty: give at least one arrival time")
    previous = 0.0
    for i, t in enumerate(times):
        if not is_number(t) or not math.isfinite(t) or t < 0:
            raise ValueError(f"arrivals[{i}] must be a finite number of seconds >= 0, got {t!r}")
        if t < previous:
            raise ValueError(
                f"arrivals must not decrease: arrivals[{i}] = {t!r} comes before arrivals[{i - 1}] = {previous!r}"
            )
        previous = t
    return [float(t) for t in times]


def _check_services(service_time: Any, count: int) -> list[float]:
    if is_number(service_time):
        services = [service_time] * count
    elif isinstance(service_time, Iterable) and not isinstance(service_time, (str, bytes)):
        services = list(service_time)
        if len(services) != count:
            raise ValueError(
                f"service_time has {len(services)} values but there are {count} arrivals; "
                f"give one per message, or a single number for all"
            )
    else:
        raise TypeError(f"service_time must be a number of seconds or one per message, got {service_time!r}")
    for s in services:
        if not is_number(s) or not math.isfinite(s) or s <= 0:
            raise ValueError(f"service_time must be a finite number of seconds > 0, got {s!r}")
    return [float(s) for s in services]


def _check_crashes(crash_on: Any, count: int) -> frozenset[int]:
    crashes = frozenset(crash_on)
    for i in sorted(crashes, key=repr):
        check_int(i, "each message in crash_on")
        if not 0 <= i < count:
            raise ValueError(f"crash_on names message {i!r}, but the messages are numbered 0 to {count - 1}")
    return crashes


def regular_arrivals(interval: float, count: int, *, start: float = 0.0) -> list[float]:
    """``count`` arrival times ``interval`` seconds apart, the first at ``start``.

    >>> regular_arrivals(0.5, 4)
    [0.0, 0.5, 1.0, 1.5]
    """
    if not is_number(interval) or not math.isfinite(interval) or interval <= 0:
        raise ValueError(f"interval must be a finite number of seconds > 0, got {interval!r}")
    check_int(count, "count", minimum=1)
    return [start + i * interval for i in range(count)]  # i * interval: no drift from repeated adding


def poisson_arrivals(rate: float, count: int, *, seed: int) -> list[float]:
    """``count`` random arrival times, on average ``rate`` per second
    (exponential gaps: a Poisson stream), the same for the same ``seed``.

    >>> times = poisson_arrivals(2.0, 1000, seed=1)
    >>> len(times), 450 < times[-1] < 550
    (1000, True)
    """
    if not is_number(rate) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"rate must be a finite number of arrivals per second > 0, got {rate!r}")
    check_int(count, "count", minimum=1)
    rng = random.Random(seed)
    times, t = [], 0.0
    for _ in range(count):
        t += rng.expovariate(rate)
        times.append(t)
    return times


def random_service_times(rate: float, count: int, *, seed: int) -> list[float]:
    """``count`` random service times, on average ``1 / rate`` seconds each
    (exponential: the "M" of M/M/1), the same for the same ``seed``.

    They come from a different random stream than :func:`poisson_arrivals` with
    the same seed, so arrivals and services stay independent.

    >>> times = random_service_times(2.0, 1000, seed=1)
    >>> times == random_service_times(2.0, 1000, seed=1), 0.45 < sum(times) / len(times) < 0.55
    (True, True)
    """
    if not is_number(rate) or not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"rate must be a finite number of messages per second > 0, got {rate!r}")
    check_int(count, "count", minimum=1)
    rng = random.Random(f"service times/{seed}")  # a str seed is hashed (SHA-512): stable across runs
    return [rng.expovariate(rate) for _ in range(count)]


def measure_schedule(
    arrivals: Sequence[float] | Any,
    starts: Sequence[float] | Any,
    departures: Sequence[float] | Any,
    *,
    offered: int,
    horizon: float,
    consumers: int = 1,
    capacity: int | None = None,
    samples: int = 1000,
) -> SimulationResult:
    """Measure a queue from when each admitted customer arrived, started service and left.

    One list entry per customer that got in, in arrival order; ``offered`` counts every customer,
    dropped ones included, and ``horizon`` is the last arrival time (dropped ones included): the
    window ``[0, horizon]`` over which L, Lq and the utilisation are time averages. W, Wq and the
    percentiles are over the admitted customers. ``consumers`` is the number of servers, so that
    ``utilization`` is the share of their time they were busy. This is how
    :func:`asyncomm.labs.queueing.simulate_queue` measures its one consumer; here any number of consumers,
    whose customers may leave in any order, can be measured the same way.

    >>> r = measure_schedule([0.0, 1.0, 2.0], [0.0, 1.5, 3.0], [1.5, 3.0, 4.5], offered=3, horizon=2.0)
    >>> r.W, r.Wq, r.L, r.utilization
    (2.0, 0.5, 1.25, 1.0)
    """
    import numpy as np

    from asyncomm.labs.queueing import _measure

    arrived = np.asarray(arrivals, dtype=np.float64)
    start = np.asarray(starts, dtype=np.float64)
    depart = np.asarray(departures, dtype=np.float64)
    if not (arrived.ndim == start.ndim == depart.ndim == 1) or not len(arrived) == len(start) == len(depart) > 0:
        raise ValueError(
            f"arrivals, starts and departures must be flat and of the same, non-zero length, got "
            f"shapes {arrived.shape}, {start.shape} and {depart.shape}"
        )
    if not (
        np.all(np.isfinite(depart))
        and np.all(np.diff(arrived) >= 0)
        and np.all(start >= arrived)
        and np.all(depart >= start)
    ):
        raise ValueError(
            "each customer must arrive, start and leave in that order, at finite times, and arrivals must not decrease"
        )
    check_int(offered, "offered", minimum=len(arrived), meaning=" (the admitted customers plus the dropped ones)")
    if not is_number(horizon) or not math.isfinite(horizon) or horizon <= 0 or horizon < arrived[-1]:
        raise ValueError(
            f"horizon must be the last arrival time, > 0 seconds (time averages need a window of "
            f"some length), got {horizon!r}"
        )
    check_int(consumers, "consumers", minimum=1)
    check_int(samples, "samples", minimum=2)
    return _measure(
        offered, capacity, float(horizon), arrived, start, depart, samples, consumers=consumers, in_order=False
    )


def estimate_bytes(messages: Iterable[Any]) -> int:
    """An *estimate* of the memory that queued ``messages`` hold: one pointer
    per queue slot plus ``sys.getsizeof`` of each distinct message object.

    Shallow: objects a message refers to (a dict's values...) are not counted,
    and the interpreter's allocator adds its own overhead, so read it as a lower
    bound that grows the way the real figure does.

    >>> estimate_bytes([bytes(1000)] * 3) == 3 * 8 + sys.getsizeof(bytes(1000))
    True
    """
    seen: dict[int, Any] = {}  # holds each object, so its id cannot be reused meanwhile
    total = 0
    for message in messages:
        total += 8  # the queue's pointer to the message (64-bit)
        if id(message) not in seen:
            seen[id(message)] = message
            total += sys.getsizeof(message)
    return total
