"""Queueing models: how long a queue gets, and how long a message waits, in theory and in simulation.

The source document's "math models" only count things (n messages in a queue). Queueing theory says *how
many* and *how long*, from two rates:

* ``arrival_rate`` (lambda): messages per second the producers send, at random (Poisson) instants;
* ``service_rate`` (mu): messages per second one busy consumer finishes (exponential service times).

Their ratio ``rho = arrival_rate / service_rate`` is the load. Closed forms (each a small frozen dataclass):

* :class:`MM1` -- one consumer, an unbounded queue. A steady state exists only for ``rho < 1``; at
  ``rho >= 1`` the queue grows without bound and :class:`MM1` refuses to be built.
* :class:`MM1K` -- one consumer and room for at most ``capacity`` (K) messages in the *system* (waiting plus
  being handled); a message that finds the system full is dropped. Any load works, even ``rho >= 1``.
  :meth:`MM1K.from_queue` turns a queue's ``maxsize`` into K.
* :func:`littles_law` -- ``L = arrival_rate * W`` for any stable system, whatever the distributions.

Notation, as in every textbook: ``L`` mean number in the system, ``Lq`` mean number waiting, ``W`` mean time
in the system (the latency a sender sees), ``Wq`` mean time waiting before a consumer takes the message,
``p(n)`` probability that n are in the system.

Simulations (need numpy, imported only when you call them; the closed forms need nothing):

* :func:`simulate_queue` -- one FIFO consumer fed given arrival and service times (exact, deterministic);
* :func:`simulate_mm1` / :func:`simulate_mm1k` -- the same with seeded random times, fast enough for a
  million customers. All return a :class:`SimulationResult` with the measured L, W, percentiles, drops and
  the queue-length series to plot against the theory.

>>> round(MM1(arrival_rate=0.8, service_rate=1.0).L, 6)
4.0
>>> round(MM1K(0.8, 1.0, capacity=5).blocking_probability, 5)
0.08882
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from asyncomm._checks import check_int, check_maxsize, is_number
from asyncomm._lazy import requires_extra

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

__all__ = [
    "MM1",
    "MM1K",
    "Percentiles",
    "SimulationResult",
    "littles_law",
    "simulate_mm1",
    "simulate_mm1k",
    "simulate_queue",
]


# ---------------------------------------------------------------------------------------------------------
# argument checks (exact messages: the tests pin them). As everywhere in asyncomm: a wrong type is a TypeError,
# a number out of range a ValueError, and both messages say the same rule.


def _check_real(value: Any, what: str, rule: str, within: Callable[[float], bool]) -> float:
    """``value`` as a float if it is a number (:func:`~asyncomm._checks.is_number`) and ``within(value)``."""
    if not is_number(value):
        raise TypeError(f"{what} must be {rule}, got {value!r} ({type(value).__name__})")
    if not within(float(value)):  # NaN fails every comparison, so no range lets it in
        raise ValueError(f"{what} must be {rule}, got {value!r}")
    return float(value)


def _check_rate(value: Any, what: str) -> float:
    return _check_real(value, what, "a positive, finite number of customers per second", lambda r: 0 < r < math.inf)


def _check_capacity(value: Any) -> int:
    return check_int(
        value, "capacity", minimum=1, meaning=" (the most customers in the system: waiting plus in service)"
    )


def _check_n(n: Any) -> int:
    return check_int(n, "n", minimum=0, meaning=" (a number of customers in the system)")


def _check_percent(p: Any) -> float:
    rule = "a number >= 0 and < 100 (50 is the median; 100 would be the maximum, which has no finite value here)"
    return _check_real(p, "percentile", rule, lambda p: 0 <= p < 100)


# ---------------------------------------------------------------------------------------------------------
# closed forms


@dataclass(frozen=True)
class MM1:
    """The M/M/1 queue: Poisson arrivals, one consumer with exponential service times, unbounded queue.

    Steady state needs ``arrival_rate < service_rate``; otherwise the constructor raises ``ValueError``.

    >>> q = MM1(arrival_rate=0.5, service_rate=1.0)
    >>> q.rho, q.L, q.W, q.Wq, q.p(0)
    (0.5, 1.0, 2.0, 1.0, 0.5)
    """

    arrival_rate: float
    service_rate: float

    def __post_init__(self) -> None:
        lam = _check_rate(self.arrival_rate, "arrival_rate")
        mu = _check_rate(self.service_rate, "service_rate")
        object.__setattr__(self, "arrival_rate", lam)
        object.__setattr__(self, "service_rate", mu)
        if lam >= mu:
            raise ValueError(
                f"M/M/1 has no steady state when arrival_rate >= service_rate (rho = {lam / mu:.6g} >= 1): "
                f"the queue grows without bound. Make arrivals slower or service faster, add consumers, "
                f"or bound the queue and use MM1K"
            )

    @property
    def rho(self) -> float:
        """The load ``arrival_rate / service_rate``: also the fraction of time the consumer is busy."""
        return self.arrival_rate / self.service_rate

    @property
    def utilization(self) -> float:
        """Fraction of time the consumer is busy (``rho`` for M/M/1)."""
        return self.rho

    @property
    def blocking_probability(self) -> float:
        """Always 0.0: an unbounded queue drops nothing. (Here so MM1 and MM1K can be used alike.)"""
        return 0.0

    @property
    def effective_arrival_rate(self) -> float:
        """Customers per second that enter (all of them, for M/M/1)."""
        return self.arrival_rate

    @property
    def L(self) -> float:
        """Mean number in the system, ``rho / (1 - rho)``."""
        return self.rho / (1 - self.rho)

    @property
    def Lq(self) -> float:
        """Mean number waiting (not yet taken by the consumer), ``rho**2 / (1 - rho)``."""
        return self.rho**2 / (1 - self.rho)

    @property
    def W(self) -> float:
        """Mean time in the system, ``1 / (service_rate - arrival_rate)``."""
        return 1 / (self.service_rate - self.arrival_rate)

    @property
    def Wq(self) -> float:
        """Mean time waiting before the consumer takes a customer, ``rho / (service_rate - arrival_rate)``."""
        return self.rho / (self.service_rate - self.arrival_rate)

    def p(self, n: int) -> float:
        """Probability that ``n`` customers are in the system: ``(1 - rho) * rho**n``.

        >>> MM1(0.5, 1.0).p(2)
        0.125
        """
        return (1 - self.rho) * self.rho ** _check_n(n)

    def W_percentile(self, p: float) -> float:
        """The time in the system that ``p`` percent of customers stay within.

        The time in the system is exponential with rate ``service_rate - arrival_rate``.

        >>> round(MM1(0.5, 1.0).W_percentile(50), 4)   # 2 ln 2
        1.3863
        """
        return -math.log1p(-_check_percent(p) / 100) / (self.service_rate - self.arrival_rate)

    def Wq_percentile(self, p: float) -> float:
        """The waiting time (before service) that ``p`` percent of customers stay within.

        A customer waits not at all with probability ``1 - rho`` (it finds the system empty); otherwise
        ``P(Wq > t) = rho * exp(-(service_rate - arrival_rate) * t)``.

        >>> MM1(0.5, 1.0).Wq_percentile(50)   # half the customers find the consumer free
        0.0
        """
        q = _check_percent(p) / 100
        if q <= 1 - self.rho:
            return 0.0
        return math.log(self.rho / (1 - q)) / (self.service_rate - self.arrival_rate)


@dataclass(frozen=True)
class MM1K:
    """The M/M/1/K queue: like :class:`MM1`, but at most ``capacity`` (K) customers in the system.

    K counts the customers waiting *and* the one being served. A customer that arrives when K are in the
    system is dropped (lost, not delayed). Any load is fine, even ``rho >= 1``: the drops keep it stable.
    For a message queue of ``maxsize`` m with one consumer, K = m + 1 (see :meth:`from_queue`).

    >>> q = MM1K(arrival_rate=0.8, service_rate=1.0, capacity=5)
    >>> round(q.blocking_probability, 5), round(q.L, 4), round(q.effective_arrival_rate, 4)
    (0.08882, 1.8683, 0.7289)
    """

    arrival_rate: float
    service_rate: float
    capacity: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrival_rate", _check_rate(self.arrival_rate, "arrival_rate"))
        object.__setattr__(self, "service_rate", _check_rate(self.service_rate, "service_rate"))
        object.__setattr__(self, "capacity", _check_capacity(self.capacity))

    @classmethod
    def from_queue(cls, maxsize: int, arrival_rate: float, service_rate: float) -> MM1K:
        """The model of a bounded queue of ``maxsize`` m drained by one consumer that drops when full.

        K = m + 1, because the consumer has already *received* the message it is handling: that message has
        left the queue but is still in the system. So when the queue is full there are m waiting plus 1 in
        service, and only then does a new message bounce off.

        This matches a producer that drops on a full queue (``send_nowait`` and ``QueueFull``). A producer
        that *waits* for room (``send``, backpressure) loses nothing but is slowed down: that is not M/M/1/K.

        >>> MM1K.from_queue(4, arrival_rate=0.8, service_rate=1.0).capacity
        5
        """
        if check_maxsize(maxsize) == 0:
            raise ValueError(
                "maxsize=0 means an unbounded queue, which drops nothing: model it with "
                "MM1(arrival_rate, service_rate) instead"
            )
        return cls(arrival_rate, service_rate, maxsize + 1)

    @property
    def rho(self) -> float:
        """The offered load ``arrival_rate / service_rate`` (may be >= 1; see :attr:`utilization`)."""
        return self.arrival_rate / self.service_rate

    @property
    def _x(self) -> float:
        # Everything below is written in x = ln(rho) with expm1, so it stays accurate near rho = 1 and
        # does not overflow for large rho**K.
        return math.log(self.arrival_rate) - math.log(self.service_rate)

    def p(self, n: int) -> float:
        """Probability that ``n`` customers are in the system (0.0 for ``n > capacity``).

        ``(1 - rho) * rho**n / (1 - rho**(K + 1))``; at ``rho == 1`` every n from 0 to K is equally likely.

        >>> MM1K(1.0, 1.0, capacity=3).p(2)
        0.25
        """
        n, k, x = _check_n(n), self.capacity, self._x
        if n > k:
            return 0.0
        if x == 0:
            return 1 / (k + 1)
        if x < 0:
            return math.exp(n * x) * math.expm1(x) / math.expm1((k + 1) * x)
        # rho > 1: the same distribution mirrored (n <-> K - n, rho <-> 1/rho), so rho**n never overflows
        return math.exp(-(k - n) * x) * math.expm1(-x) / math.expm1(-(k + 1) * x)

    @property
    def blocking_probability(self) -> float:
        """Probability that an arriving customer is dropped: ``p(K)`` (arrivals see time averages)."""
        return self.p(self.capacity)

    @property
    def effective_arrival_rate(self) -> float:
        """Customers per second that get in: ``arrival_rate * (1 - blocking_probability)``.

        It is also the throughput, which never exceeds ``service_rate``.
        """
        return self.arrival_rate * (1 - self.blocking_probability)

    @property
    def utilization(self) -> float:
        """Fraction of time the consumer is busy: ``1 - p(0)`` (= ``effective_arrival_rate / service_rate``)."""
        return 1 - self.p(0)

    @property
    def L(self) -> float:
        """Mean number in the system: ``rho/(1 - rho) - (K + 1) rho**(K+1) / (1 - rho**(K+1))``; K/2 at rho = 1."""
        n, x = self.capacity + 1, self._x
        if abs(x) * n < 1e-2:
            # Near rho = 1 both terms of the formula are huge and nearly cancel; use the series around x = 0:
            # the mean of a tilted uniform distribution on 0..K (its cumulants are known in closed form).
            return (n - 1) / 2 + (n * n - 1) / 12 * x - (n**4 - 1) / 720 * x**3
        t = -n * x
        second = n / math.expm1(t) if t < 700 else n * math.exp(-t)  # expm1 overflows past ~709
        return 1 / math.expm1(-x) - second

    @property
    def Lq(self) -> float:
        """Mean number waiting: ``L - utilization`` (the one in service is not waiting)."""
        return self.L - self.utilization

    @property
    def W(self) -> float:
        """Mean time in the system of the customers that get in: ``L / effective_arrival_rate`` (Little)."""
        return self.L / self.effective_arrival_rate

    @property
    def Wq(self) -> float:
        """Mean waiting time of the customers that get in: ``Lq / effective_arrival_rate``."""
        return self.Lq / self.effective_arrival_rate

    def W_percentile(self, p: float) -> float:
        """The time in the system that ``p`` percent of the admitted customers stay within.

        An admitted customer that finds n in the system leaves after n + 1 exponential services (an Erlang
        time); the percentile of that mixture is found by bisection.

        >>> round(MM1K(0.5, 1.0, capacity=1).W_percentile(50), 4)   # K = 1: one service, ln 2
        0.6931
        """
        return self._percentile(_check_percent(p) / 100, shift=0)

    def Wq_percentile(self, p: float) -> float:
        """The waiting time (before service) that ``p`` percent of the admitted customers stay within.

        >>> MM1K(0.5, 1.0, capacity=1).Wq_percentile(99)   # K = 1: nobody ever waits
        0.0
        """
        return self._percentile(_check_percent(p) / 100, shift=1)

    def _percentile(self, q: float, shift: int) -> float:
        k, mu = self.capacity, self.service_rate
        admitted = 1 - self.blocking_probability
        seen = [self.p(n) / admitted for n in range(k)]  # what an admitted customer finds on arrival
        # P(time > t) = sum over n of seen[n] * P(Poisson(mu t) <= n - shift): regroup by the Poisson term j,
        # with tail[m] = seen[m] + ... + seen[k-1].
        tail = [0.0] * (k + 1)
        for n in range(k - 1, -1, -1):
            tail[n] = tail[n + 1] + seen[n]

        def survival(t: float) -> float:
            mt = mu * t
            if mt == 0:
                return tail[shift]
            log_mt, total = math.log(mt), 0.0
            for j in range(k - shift):
                total += math.exp(-mt + j * log_mt - math.lgamma(j + 1)) * tail[j + shift]
            return total

        target = 1 - q
        if survival(0.0) <= target:
            return 0.0
        lo, hi = 0.0, (k + 1) / mu
        while survival(hi) > target:
            lo, hi = hi, 2 * hi
        for _ in range(200):
            mid = (lo + hi) / 2
            if survival(mid) > target:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-12 * hi:
                break
        return (lo + hi) / 2


def littles_law(L: float | None = None, arrival_rate: float | None = None, W: float | None = None) -> float:
    """Little's law ``L = arrival_rate * W``: give two of the three, get the third.

    It holds for any system in steady state, whatever the arrival and service distributions: L is the mean
    number inside, W the mean time one stays, ``arrival_rate`` the rate at which customers get in (for a
    queue that drops, use the effective arrival rate).

    >>> littles_law(arrival_rate=0.8, W=5.0)          # L
    4.0
    >>> littles_law(L=4.0, arrival_rate=0.8)          # W
    5.0
    >>> littles_law(L=4.0, W=5.0)                     # arrival_rate
    0.8
    """
    given = [name for name, value in (("L", L), ("arrival_rate", arrival_rate), ("W", W)) if value is not None]
    if len(given) != 2:
        raise ValueError(
            f"littles_law needs exactly two of L, arrival_rate and W (it returns the third), "
            f"got {' and '.join(given) or 'none'}"
        )
    if L is not None:
        L = _check_real(L, "L", "a finite number >= 0 (the mean number in the system)", lambda L: 0 <= L < math.inf)
    if arrival_rate is not None:
        arrival_rate = _check_rate(arrival_rate, "arrival_rate")
    if W is not None:
        rule = "a positive, finite number of seconds (the mean time in the system)"
        W = _check_real(W, "W", rule, lambda W: 0 < W < math.inf)
    if L is None:
        return arrival_rate * W  # type: ignore[operator]
    if W is None:
        return L / arrival_rate  # type: ignore[operator]
    return L / W


# ---------------------------------------------------------------------------------------------------------
# simulation


@dataclass(frozen=True)
class Percentiles:
    """The 50th, 90th and 99th percentiles of a time, in seconds.

    >>> Percentiles(p50=1.0, p90=3.0, p99=7.0).p99
    7.0
    """

    p50: float
    p90: float
    p99: float


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What a simulated single-consumer FIFO queue did, measured over ``[0, duration]``.

    ``duration`` is the last arrival time. ``L`` is the time average of the number in the system over that
    window (the area under the queue-length curve divided by ``duration``); ``W`` and ``Wq`` are averages over
    the admitted customers, all of them, including the time after ``duration`` of those still inside then.
    So ``L`` and ``effective_arrival_rate * W`` differ by those edge effects only: Little's law, measured.
    (When many are still inside at the end, as at ``rho >= 1``, the edge is no longer small and they part.)

    ``times``, ``in_system`` and ``waiting`` sample the number in the system and the number waiting (the
    queue's own length, ``len(q)``) on an even grid of ``samples`` instants from 0 to ``duration``: plot them.

    >>> r = simulate_queue([0.0, 0.5, 1.0, 4.0], [2.0, 2.0, 2.0, 2.0], capacity=2)
    >>> r.admitted, r.dropped, r.W, r.Wq_percentiles.p50   # the one at t=1 finds 2 inside: dropped
    (3, 1, 2.5, 0.0)
    """

    customers: int
    admitted: int
    dropped: int
    capacity: int | None
    duration: float
    L: float
    Lq: float
    W: float
    Wq: float
    utilization: float
    effective_arrival_rate: float
    W_percentiles: Percentiles
    Wq_percentiles: Percentiles
    times: npt.NDArray[np.float64] = field(repr=False)
    in_system: npt.NDArray[np.int64] = field(repr=False)
    waiting: npt.NDArray[np.int64] = field(repr=False)

    @property
    def arrival_rate(self) -> float:
        """Offered customers per second, as measured: ``customers / duration``."""
        return self.customers / self.duration

    @property
    def blocking_fraction(self) -> float:
        """Share of the offered customers that were dropped (estimates ``MM1K.blocking_probability``)."""
        return self.dropped / self.customers


def simulate_queue(
    arrival_times: Sequence[float] | npt.ArrayLike,
    service_times: Sequence[float] | npt.ArrayLike,
    *,
    capacity: int | None = None,
    samples: int = 1000,
) -> SimulationResult:
    """Play one FIFO consumer fed customers at ``arrival_times`` needing ``service_times``; measure it.

    ``arrival_times``: seconds, not decreasing, the last one > 0. ``service_times``: seconds, one per
    customer (a dropped customer's is unused). ``capacity``: at most this many in the system (waiting plus
    in service), a customer arriving when it is full is dropped; ``None`` = unbounded. A departure at the
    same instant as an arrival happens first.

    Without a capacity this is Lindley's recursion, ``Wq[n+1] = max(0, Wq[n] + S[n] - A[n+1])`` with ``A`` the
    gap between two arrivals, or in times: customer n starts at ``max(its arrival, departure of n-1)``.
    Unrolled, the max of maxes is a running maximum, ``start[n] = C[n-1] + max(arrival[k] - C[k-1] for k <= n)``
    with ``C`` the running sum of service times, so numpy solves it for a million customers at once.

    With a capacity the state is more than one number (who is still inside), and a plain loop runs it:
    departures come in arrival order, so the customer arriving at ``a`` finds K inside exactly when the K-th
    previous *admitted* customer has not left yet. The loop keeps the departure times and compares ``a``
    with the one K back.

    >>> r = simulate_queue([0.0, 1.0, 2.0], [1.5, 1.5, 1.5])
    >>> r.W, r.Wq, r.W_percentiles.p50
    (2.0, 0.5, 2.0)
    """
    with requires_extra():
        import numpy as np

    arrivals = np.asarray(arrival_times, dtype=np.float64)
    services = np.asarray(service_times, dtype=np.float64)
    if arrivals.ndim != 1 or services.ndim != 1 or len(arrivals) != len(services) or len(arrivals) == 0:
        raise ValueError(
            f"arrival_times and service_times must be two flat sequences of the same, non-zero length, "
            f"got shapes {arrivals.shape} and {services.shape}"
        )
    if not (np.all(np.isfinite(arrivals)) and arrivals[0] >= 0 and np.all(np.diff(arrivals) >= 0)):
        raise ValueError("arrival_times must be finite seconds >= 0, in order (not decreasing)")
    if arrivals[-1] <= 0:
        raise ValueError("the last arrival time must be > 0: rates and time averages need a window of some length")
    if not (np.all(np.isfinite(services)) and np.all(services >= 0)):
        raise ValueError("service_times must be finite seconds >= 0")
    if capacity is not None:
        capacity = _check_capacity(capacity)
    samples = check_int(samples, "samples", minimum=2)

    if capacity is None:
        arrived = arrivals
        done_before = np.cumsum(services) - services  # service time of all earlier customers
        start = np.maximum(done_before + np.maximum.accumulate(arrived - done_before), arrived)
        depart = np.maximum.accumulate(start + services)  # a no-op but for rounding: keeps departures sorted
    else:
        admitted, depart = _admit_bounded(arrivals.tolist(), services.tolist(), capacity)
        arrived = arrivals[admitted]
        start = np.maximum(arrived, np.concatenate(([-np.inf], depart[:-1])))
    return _measure(len(arrivals), capacity, float(arrivals[-1]), arrived, start, depart, samples)


def _admit_bounded(arrivals: list[float], services: list[float], capacity: int) -> tuple[Any, Any]:
    with requires_extra():
        import numpy as np

    # departures[-capacity] is the departure time of the K-th previous admitted customer; the padding
    # (-inf: long gone) stands for the customers before the first.
    departures = [-math.inf] * capacity
    dropped: list[int] = []
    last = -math.inf
    append, drop = departures.append, dropped.append
    for i, a in enumerate(arrivals):
        if departures[-capacity] > a:
            drop(i)
        else:
            last = (last if last > a else a) + services[i]
            append(last)
    keep = np.ones(len(arrivals), dtype=bool)
    keep[dropped] = False
    return np.flatnonzero(keep), np.array(departures[capacity:], dtype=np.float64)


def _measure(
    customers: int,
    capacity: int | None,
    horizon: float,
    arrived: Any,
    start: Any,
    depart: Any,
    samples: int,
    *,
    consumers: int = 1,
    in_order: bool = True,
) -> SimulationResult:
    """The measurements of a schedule (arrays in arrival order, all arrivals within ``[0, horizon]``).

    ``in_order``: starts and departures are already sorted, as with one FIFO consumer; with several
    consumers customers may leave in any order, and are sorted to count who has left by when.
    """
    with requires_extra():
        import numpy as np

    in_system_time = depart - arrived
    waiting_time = start - arrived
    # Areas under the number-in-system and number-busy curves over [0, horizon]: each customer adds the part
    # of its stay (or of its service) that falls inside the window. Every arrival is inside it.
    left_by_horizon = np.minimum(depart, horizon)
    area = float(np.sum(left_by_horizon - arrived))
    busy = float(np.sum(left_by_horizon - np.minimum(start, horizon)))
    grid = np.linspace(0.0, horizon, samples)
    entered = np.searchsorted(arrived, grid, side="right")
    started = np.searchsorted(start if in_order else np.sort(start), grid, side="right")
    left = np.searchsorted(depart if in_order else np.sort(depart), grid, side="right")
    w = np.percentile(in_system_time, (50, 90, 99))
    wq = np.percentile(waiting_time, (50, 90, 99))
    return SimulationResult(
        customers=customers,
        admitted=len(arrived),
        dropped=customers - len(arrived),
        capacity=capacity,
        duration=horizon,
        L=area / horizon,
        Lq=(area - busy) / horizon,
        W=float(np.mean(in_system_time)),
        Wq=float(np.mean(waiting_time)),
        utilization=busy / (consumers * horizon),
        effective_arrival_rate=len(arrived) / horizon,
        W_percentiles=Percentiles(*(float(v) for v in w)),
        Wq_percentiles=Percentiles(*(float(v) for v in wq)),
        times=grid,
        in_system=(entered - left).astype(np.int64),
        waiting=(entered - started).astype(np.int64),
    )


def simulate_mm1(
    arrival_rate: float, service_rate: float, customers: int = 1_000_000, *, seed: int = 0, samples: int = 1000
) -> SimulationResult:
    """Simulate an M/M/1 queue: ``customers`` Poisson arrivals, exponential services, one consumer.

    Seeded (``numpy.random.default_rng(seed)``), so the same arguments give the same result. A million
    customers take a fraction of a second. Unlike :class:`MM1`, any load is allowed: at ``rho >= 1`` you
    watch the queue grow (and the measured L and W depend on how long you run).

    >>> r = simulate_mm1(0.5, 1.0, customers=100_000, seed=1)
    >>> round(r.L, 1), round(r.W, 1)      # theory: MM1(0.5, 1.0).L == 1, .W == 2
    (1.0, 2.0)
    """
    arrivals, services = _draw(arrival_rate, service_rate, customers, seed)
    return simulate_queue(arrivals, services, samples=samples)


def simulate_mm1k(
    arrival_rate: float,
    service_rate: float,
    capacity: int,
    customers: int = 1_000_000,
    *,
    seed: int = 0,
    samples: int = 1000,
) -> SimulationResult:
    """Simulate an M/M/1/K queue: like :func:`simulate_mm1`, but a customer finding ``capacity`` customers
    in the system (waiting plus in service) is dropped.

    A million customers take a few tenths of a second (the admission test is a Python loop).

    >>> r = simulate_mm1k(0.8, 1.0, capacity=5, customers=100_000, seed=1)
    >>> round(r.blocking_fraction, 2)     # theory: MM1K(0.8, 1.0, 5).blocking_probability == 0.0888...
    0.09
    """
    capacity = _check_capacity(capacity)
    arrivals, services = _draw(arrival_rate, service_rate, customers, seed)
    return simulate_queue(arrivals, services, capacity=capacity, samples=samples)


def _draw(arrival_rate: float, service_rate: float, customers: int, seed: int) -> tuple[Any, Any]:
    with requires_extra():
        import numpy as np

    lam = _check_rate(arrival_rate, "arrival_rate")
    mu = _check_rate(service_rate, "service_rate")
    customers = check_int(customers, "customers", minimum=1)
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers))
    services = rng.exponential(1 / mu, customers)
    return arrivals, services
