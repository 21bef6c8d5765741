"""The queueing lab: the model behind the interactive widget (:func:`asyncomm.widgets.queueing_lab`).

Four knobs in -- arrival rate, service rate, number of consumers, queue capacity -- and out come a
simulation of tens of thousands of messages and, where one exists, the closed-form theory to hold it
against:

* one consumer: :class:`~asyncomm.labs.queueing.MM1` (unbounded queue) or :class:`~asyncomm.labs.queueing.MM1K`;
* ``c`` consumers: :class:`MMc` (unbounded; the Erlang C formula) or :class:`MMcK` (bounded).

A queue of ``maxsize`` m drained by c consumers holds at most K = m + c messages in the system: m waiting
and one in the hands of each consumer. A message that finds it full is dropped (``send_nowait`` and
``QueueFull``). With an unbounded queue and ``rho = arrival_rate / (c * service_rate) >= 1`` there is no
steady state: the theory has no answer and the simulated queue just keeps growing.

The simulation of one consumer is :func:`asyncomm.labs.queueing.simulate_queue` (vectorised); for several it is
:func:`simulate_servers`, first come first served: each message starts at the later of its arrival and the
moment the earliest consumer becomes free (a heap of the consumers' free times). Needs numpy (imported
only when you simulate); the closed forms need nothing.

>>> round(MMc(arrival_rate=2.0, service_rate=1.0, servers=3).probability_of_waiting, 4)   # 4/9
0.4444
>>> lab = QueueingLab(arrival_rate=0.8, service_rate=1.0, customers=20_000, seed=1)
>>> lab.outcome.model_name, round(lab.outcome.theory.L, 3), round(lab.outcome.simulation.L, 1)
('M/M/1', 4.0, 3.9)
"""

from __future__ import annotations

import heapq
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, NamedTuple

from asyncomm._checks import check_int, check_maxsize
from asyncomm._lazy import requires_extra
from asyncomm.i18n import tr
from asyncomm.labs.queueing import (
    MM1,
    MM1K,
    Percentiles,
    SimulationResult,
    _check_capacity,
    _check_n,
    _check_percent,
    _check_rate,
)
from asyncomm.labs.simulate import measure_schedule

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "SETTINGS",
    "SLIDERS",
    "SYMBOLS",
    "LabOutcome",
    "LabRow",
    "MMc",
    "MMcK",
    "QueueingLab",
    "SliderSpec",
    "settle",
    "simulate_servers",
    "slider_range",
    "theory_for",
]

#: The lab's knobs and their ranges (the widget's sliders use them): name -> (lowest, highest).
SETTINGS: dict[str, tuple[float, float]] = {
    "arrival_rate": (0.05, 10.0),
    "service_rate": (0.05, 10.0),
    "consumers": (1, 16),
    "maxsize": (0, 200),
}


#: What a learner calls each knob in messages.
SYMBOLS = {"arrival_rate": "λ", "service_rate": "μ", "consumers": "c", "maxsize": "maxsize"}


class SliderSpec(NamedTuple):
    """How the widget's slider for one setting moves: its range and its step.

    The slider covers the region worth exploring, in fine steps, so that a short drag is a small change
    (a slider over all of ``SETTINGS`` at its width moved λ by 3 for a 30 px drag); the number box beside it
    takes any value in ``SETTINGS``, and the slider's range grows to show a typed value beyond it.

    >>> SLIDERS["arrival_rate"].step, SLIDERS["consumers"]
    (0.01, SliderSpec(low=1, high=16, step=1))
    """

    low: float
    high: float
    step: float


#: The sliders (the arrival rate's top follows the other knobs: see :func:`slider_range`).
SLIDERS: dict[str, SliderSpec] = {
    "arrival_rate": SliderSpec(0.05, 2.0, 0.01),
    "service_rate": SliderSpec(0.05, 4.0, 0.01),
    "consumers": SliderSpec(1, 16, 1),
    "maxsize": SliderSpec(0, 50, 1),
}


def slider_range(
    name: str, arrival_rate: float, service_rate: float, consumers: int, maxsize: int
) -> tuple[float, float]:
    """The (min, max) of the slider of setting ``name`` for these settings.

    The arrival rate's slider ends at twice the capacity ``c * μ`` (at least 0.5, at most the lab's top), so
    ρ = 1 sits in its middle whatever the consumers and the service rate: the region where queues grow is
    always a wide stretch of the slider, not its first few pixels (its entry in ``SLIDERS`` is the range for
    the lab's first settings, c = 1 and μ = 1). Every range holds the setting's current value.

    >>> slider_range("arrival_rate", 0.8, 1.0, 1, 0), slider_range("arrival_rate", 0.8, 1.5, 3, 0)
    ((0.05, 2.0), (0.05, 9.0))
    >>> slider_range("maxsize", 0.8, 1.0, 1, 120)     # a typed value past the slider's end widens it
    (0, 120)
    """
    spec = SLIDERS[name]
    high = spec.high
    if name == "arrival_rate":
        high = min(SETTINGS[name][1], max(0.5, round(2 * consumers * service_rate, 2)))
    current = {"arrival_rate": arrival_rate, "service_rate": service_rate, "consumers": consumers, "maxsize": maxsize}
    return spec.low, max(high, current[name])


def settle(name: str, typed: Any, current: float) -> tuple[float, str | None]:
    """A value typed for setting ``name`` as the lab will use it, and a note for the learner (None: as typed).

    Out of the lab's range: the nearest end, and a note saying so. Not a number (or not whole, where the
    setting counts): ``current`` kept, and a note saying what to type.

    >>> settle("arrival_rate", 0.85, 0.8)
    (0.85, None)
    >>> settle("arrival_rate", 50, 0.8)
    (10.0, "λ = 50 is above the lab's highest value, 10: set to 10")
    >>> settle("consumers", 2.5, 1)
    (1, 'c must be a whole number from 1 to 16: kept at 1')
    """
    if name not in SETTINGS:
        raise TypeError(f"unknown lab setting {name!r}; the settings are {', '.join(SETTINGS)}")
    low, high = SETTINGS[name]
    symbol, counts = SYMBOLS[name], name in ("consumers", "maxsize")
    number = typed if isinstance(typed, numbers.Real) and not isinstance(typed, bool) else None
    if number is None or not math.isfinite(number) or (counts and not float(number).is_integer()):
        kind = tr("a whole number", "整数") if counts else tr("a number", "数")
        return current, tr(
            f"{symbol} must be {kind} from {low:g} to {high:g}: kept at {current:g}",
            f"{symbol} 必须是 {low:g} 到 {high:g} 之间的{kind}：保持为 {current:g}",
        )
    typed_number = float(number)
    value: float = int(typed_number) if counts else typed_number
    if value < low:
        return (int(low) if counts else low), tr(
            f"{symbol} = {typed_number:g} is below the lab's lowest value, {low:g}: set to {low:g}",
            f"{symbol} = {typed_number:g} 低于实验的下限 {low:g}：已设为 {low:g}",
        )
    if value > high:
        return (int(high) if counts else high), tr(
            f"{symbol} = {typed_number:g} is above the lab's highest value, {high:g}: set to {high:g}",
            f"{symbol} = {typed_number:g} 超过了实验的上限 {high:g}：已设为 {high:g}",
        )
    return value, None


def _check_servers(value: Any) -> int:
    return check_int(value, "servers", minimum=1, meaning=" (the number of consumers)")


def _invert(survival: Callable[[float], float], p: float, scale: float) -> float:
    """The time t with ``survival(t) = 1 - p/100``: a percentile, by bisection (survival decreases)."""
    target = 1 - _check_percent(p) / 100
    if survival(0.0) <= target:
        return 0.0
    lo, hi = 0.0, scale
    while survival(hi) > target:
        lo, hi = hi, 2 * hi
    for _ in range(200):
        mid = (lo + hi) / 2
        if survival(mid) > target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-11 * hi:
            break
    return (lo + hi) / 2


def _poisson_pmf(mean: float, count: int) -> list[float]:
    """``P(N = j)`` for j = 0 .. count - 1, N Poisson with this mean (computed in logs: no underflow trap)."""
    if mean == 0:
        return [1.0] + [0.0] * (count - 1)
    log_mean = math.log(mean)
    return [math.exp(-mean + j * log_mean - math.lgamma(j + 1)) for j in range(count)]


# ---------------------------------------------------------------------------------------------------------
# closed forms for c consumers


@dataclass(frozen=True)
class MMc:
    """The M/M/c queue: Poisson arrivals, ``servers`` consumers with exponential service, unbounded queue.

    A steady state needs ``rho = arrival_rate / (servers * service_rate) < 1``; otherwise the constructor
    raises ``ValueError``. A message waits only when all consumers are busy, which happens with the
    Erlang C probability :attr:`probability_of_waiting`; everything else follows from it.
    With ``servers=1`` it is :class:`~asyncomm.labs.queueing.MM1`.

    >>> q = MMc(arrival_rate=2.0, service_rate=1.0, servers=3)
    >>> round(q.Lq, 4), round(q.Wq, 4), round(q.W, 4), round(q.L, 4)
    (0.8889, 0.4444, 1.4444, 2.8889)
    """

    arrival_rate: float
    service_rate: float
    servers: int

    def __post_init__(self) -> None:
        lam = _check_rate(self.arrival_rate, "arrival_rate")
        mu = _check_rate(self.service_rate, "service_rate")
        c = _check_servers(self.servers)
        object.__setattr__(self, "arrival_rate", lam)
        object.__setattr__(self, "service_rate", mu)
        object.__setattr__(self, "servers", c)
        if lam >= c * mu:
            raise ValueError(
                f"M/M/c has no steady state when arrival_rate >= servers * service_rate "
                f"(rho = {lam / (c * mu):.6g} >= 1): the queue grows without bound. Add consumers, make "
                f"service faster, or bound the queue and use MMcK"
            )

    @property
    def rho(self) -> float:
        """The load per consumer ``arrival_rate / (servers * service_rate)``: the share of time each is busy."""
        return self.arrival_rate / (self.servers * self.service_rate)

    @property
    def utilization(self) -> float:
        """Share of time a consumer is busy (``rho``)."""
        return self.rho

    @property
    def offered_load(self) -> float:
        """``arrival_rate / service_rate``: the mean number of busy consumers (in "erlangs")."""
        return self.arrival_rate / self.service_rate

    @property
    def blocking_probability(self) -> float:
        """Always 0.0: an unbounded queue drops nothing."""
        return 0.0

    @property
    def effective_arrival_rate(self) -> float:
        """Customers per second that enter (all of them)."""
        return self.arrival_rate

    @cached_property
    def probability_of_waiting(self) -> float:
        """Erlang C: the probability that an arriving customer finds every consumer busy and waits."""
        # Erlang B by its stable recursion, then C from B.
        a, b = self.offered_load, 1.0
        for k in range(1, self.servers + 1):
            b = a * b / (k + a * b)
        return b / (1 - self.rho * (1 - b))

    def p(self, n: int) -> float:
        """Probability that ``n`` customers are in the system.

        >>> round(MMc(1.0, 1.0, servers=2).p(0), 4)   # (1 - C) of finding a free consumer, spread over 0, 1
        0.3333
        """
        n, c, a = _check_n(n), self.servers, self.offered_load
        # p(0) from P(fewer than c inside) = 1 - C = p(0) * sum_{k<c} a^k / k!
        below = sum(math.exp(k * math.log(a) - math.lgamma(k + 1)) for k in range(c))
        p0 = (1 - self.probability_of_waiting) / below
        if n <= c:
            return p0 * math.exp(n * math.log(a) - math.lgamma(n + 1))
        return p0 * math.exp(c * math.log(a) - math.lgamma(c + 1)) * self.rho ** (n - c)

    @property
    def Lq(self) -> float:
        """Mean number waiting: ``C * rho / (1 - rho)``."""
        return self.probability_of_waiting * self.rho / (1 - self.rho)

    @property
    def Wq(self) -> float:
        """Mean wait before a consumer takes a customer: ``C / (servers * service_rate - arrival_rate)``."""
        return self.probability_of_waiting / (self.servers * self.service_rate - self.arrival_rate)

    @property
    def W(self) -> float:
        """Mean time in the system: ``Wq + 1 / service_rate``."""
        return self.Wq + 1 / self.service_rate

    @property
    def L(self) -> float:
        """Mean number in the system: ``arrival_rate * W`` (Little), that is ``Lq + offered_load``."""
        return self.arrival_rate * self.W

    def Wq_percentile(self, p: float) -> float:
        """The wait before service that ``p`` percent of customers stay within.

        ``P(Wq > t) = C * exp(-(servers * service_rate - arrival_rate) * t)``.

        >>> MMc(2.0, 1.0, servers=3).Wq_percentile(50)   # more than half find a free consumer
        0.0
        """
        q, c_wait = _check_percent(p) / 100, self.probability_of_waiting
        if q <= 1 - c_wait:
            return 0.0
        return math.log(c_wait / (1 - q)) / (self.servers * self.service_rate - self.arrival_rate)

    def W_percentile(self, p: float) -> float:
        """The time in the system that ``p`` percent of customers stay within.

        The time is the service (exponential, rate mu) plus, with probability C, an exponential wait of
        rate ``theta = servers * mu - arrival_rate``; its survival function is closed-form and inverted
        by bisection.

        >>> round(MMc(0.5, 1.0, servers=1).W_percentile(50), 4)   # M/M/1: 2 ln 2, as MM1 says
        1.3863
        """
        mu, c_wait = self.service_rate, self.probability_of_waiting
        theta = self.servers * mu - self.arrival_rate
        d = theta - mu

        def survival(t: float) -> float:
            # P(wait + service > t) = e^{-theta t} + theta (e^{-mu t} - e^{-theta t}) / d. The difference is
            # written with expm1 around the slower exponential, so it neither cancels as d -> 0 (where it
            # becomes t e^{-mu t}) nor overflows for large t.
            if d > 0:
                spread = math.exp(-mu * t) * -math.expm1(-d * t) / d
            elif d < 0:
                spread = math.exp(-theta * t) * math.expm1(d * t) / d
            else:
                spread = t * math.exp(-mu * t)
            return (1 - c_wait) * math.exp(-mu * t) + c_wait * (math.exp(-theta * t) + theta * spread)

        return _invert(survival, p, 1 / mu)


@dataclass(frozen=True)
class MMcK:
    """The M/M/c/K queue: ``servers`` consumers and room for at most ``capacity`` (K) in the system.

    K counts the customers waiting *and* the ones being served, so K >= servers. A customer arriving when
    K are inside is dropped. Any load works. For a queue of ``maxsize`` m drained by c consumers,
    K = m + c (:meth:`from_queue`). With ``servers=1`` it is :class:`~asyncomm.labs.queueing.MM1K`; with
    ``capacity == servers`` nobody ever waits and the blocking probability is Erlang B.

    >>> q = MMcK(arrival_rate=1.0, service_rate=1.0, servers=2, capacity=2)
    >>> round(q.blocking_probability, 12)   # Erlang B for 2 consumers and 1 erlang: (1/2) / (1 + 1 + 1/2)
    0.2
    """

    arrival_rate: float
    service_rate: float
    servers: int
    capacity: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrival_rate", _check_rate(self.arrival_rate, "arrival_rate"))
        object.__setattr__(self, "service_rate", _check_rate(self.service_rate, "service_rate"))
        c = _check_servers(self.servers)
        k = _check_capacity(self.capacity)
        if k < c:
            raise ValueError(
                f"capacity must be >= servers (the system holds at least the {c} being served), got capacity={k}"
            )
        object.__setattr__(self, "servers", c)
        object.__setattr__(self, "capacity", k)

    @classmethod
    def from_queue(cls, maxsize: int, arrival_rate: float, service_rate: float, servers: int) -> MMcK:
        """The model of a queue of ``maxsize`` m drained by ``servers`` consumers: K = m + servers.

        >>> MMcK.from_queue(4, arrival_rate=2.0, service_rate=1.0, servers=3).capacity
        7
        """
        if check_maxsize(maxsize) == 0:
            raise ValueError(
                "maxsize=0 means an unbounded queue, which drops nothing: model it with "
                "MMc(arrival_rate, service_rate, servers) instead"
            )
        servers = _check_servers(servers)
        return cls(arrival_rate, service_rate, servers, maxsize + servers)

    @property
    def rho(self) -> float:
        """The offered load per consumer ``arrival_rate / (servers * service_rate)`` (may be >= 1)."""
        return self.arrival_rate / (self.servers * self.service_rate)

    @cached_property
    def _distribution(self) -> list[float]:
        # p(n) is proportional to a^n / n! up to c, then a^c / c! * rho^(n - c); in logs, so that large K
        # and rho > 1 neither overflow nor lose the small terms.
        a, c = self.arrival_rate / self.service_rate, self.servers
        log_a, log_rho = math.log(a), math.log(self.rho)
        logs = [
            n * log_a - math.lgamma(n + 1) if n <= c else c * log_a - math.lgamma(c + 1) + (n - c) * log_rho
            for n in range(self.capacity + 1)
        ]
        top = max(logs)
        weights = [math.exp(x - top) for x in logs]
        total = sum(weights)
        return [w / total for w in weights]

    def p(self, n: int) -> float:
        """Probability that ``n`` customers are in the system (0.0 for ``n > capacity``).

        >>> MMcK(1.0, 1.0, servers=1, capacity=3).p(2)   # rho = 1, one consumer: uniform on 0..3
        0.25
        """
        n = _check_n(n)
        return self._distribution[n] if n <= self.capacity else 0.0

    @property
    def blocking_probability(self) -> float:
        """Probability that an arriving customer is dropped: ``p(K)``."""
        return self._distribution[-1]

    @property
    def effective_arrival_rate(self) -> float:
        """Customers per second that get in: ``arrival_rate * (1 - blocking_probability)`` (the throughput)."""
        return self.arrival_rate * (1 - self.blocking_probability)

    @property
    def utilization(self) -> float:
        """Share of time a consumer is busy: ``effective_arrival_rate / (servers * service_rate)``."""
        return self.effective_arrival_rate / (self.servers * self.service_rate)

    @property
    def L(self) -> float:
        """Mean number in the system: ``sum of n * p(n)``."""
        return sum(n * p for n, p in enumerate(self._distribution))

    @property
    def Lq(self) -> float:
        """Mean number waiting: ``sum of (n - servers) * p(n)`` over n > servers."""
        c = self.servers
        return sum((n - c) * p for n, p in enumerate(self._distribution) if n > c)

    @property
    def W(self) -> float:
        """Mean time in the system of the customers that get in: ``L / effective_arrival_rate`` (Little)."""
        return self.L / self.effective_arrival_rate

    @property
    def Wq(self) -> float:
        """Mean wait of the customers that get in: ``Lq / effective_arrival_rate``."""
        return self.Lq / self.effective_arrival_rate

    @cached_property
    def _seen(self) -> list[float]:
        # What an admitted customer finds on arrival (arrivals see time averages; full = dropped).
        admitted = 1 - self.blocking_probability
        return [p / admitted for p in self._distribution[:-1]]

    def Wq_percentile(self, p: float) -> float:
        """The wait before service that ``p`` percent of the admitted customers stay within.

        A customer finding n >= c inside waits for n - c + 1 departures at rate ``servers * service_rate``
        (an Erlang time); the percentile of that mixture is found by bisection.

        >>> MMcK(1.0, 1.0, servers=2, capacity=2).Wq_percentile(99)   # K = c: nobody waits
        0.0
        """
        c, nu, seen = self.servers, self.servers * self.service_rate, self._seen

        def survival(t: float) -> float:
            pmf = _poisson_pmf(nu * t, len(seen) - c + 1)
            total, cdf = 0.0, 0.0
            for n in range(c, len(seen)):  # P(Erlang(n - c + 1, nu) > t) = P(Poisson(nu t) <= n - c)
                cdf += pmf[n - c]
                total += seen[n] * cdf
            return total

        return _invert(survival, p, 1 / nu)

    def W_percentile(self, p: float) -> float:
        """The time in the system that ``p`` percent of the admitted customers stay within.

        The wait (an Erlang time, as in :meth:`Wq_percentile`) plus an exponential service. With
        ``nu = servers * mu`` and ``r = (servers - 1) / servers``, ``P(Erlang(k, nu) + Exp(mu) > t)`` is
        ``P(Poisson(nu t) <= k - 1) + T(k)`` where ``T(k) = P(Poisson(nu t) = k) + r * T(k + 1)``: a
        recursion of positive terms, so nothing cancels. Found by bisection.

        >>> round(MMcK(0.5, 1.0, servers=1, capacity=1).W_percentile(50), 4)   # one service: ln 2
        0.6931
        """
        c, mu, seen = self.servers, self.service_rate, self._seen
        nu, r = c * mu, (c - 1) / c
        waits = len(seen) - c  # k = 1 .. waits: customers that find n = c + k - 1 inside
        free = sum(seen[:c])  # customers that find a free consumer: only their service
        tail_terms = 0 if r == 0 else math.ceil(math.log(1e-18) / math.log(r))

        def survival(t: float) -> float:
            total = free * math.exp(-mu * t)
            if waits <= 0:
                return total
            pmf = _poisson_pmf(nu * t, waits + 1 + tail_terms)
            # T(waits + 1) = sum over i >= 0 of r^i P(Poisson = waits + 1 + i), truncated where r^i < 1e-18
            tail, weight = 0.0, 1.0
            for j in range(waits + 1, len(pmf)):
                tail += weight * pmf[j]
                weight *= r
            cdf = [0.0] * (waits + 1)  # cdf[k] = P(Poisson <= k - 1)
            for k in range(1, waits + 1):
                cdf[k] = cdf[k - 1] + pmf[k - 1]
            for k in range(waits, 0, -1):
                tail = pmf[k] + r * tail
                total += seen[c + k - 1] * (cdf[k] + tail)
            return total

        return _invert(survival, p, 1 / mu)


Model = MM1 | MM1K | MMc | MMcK


def theory_for(arrival_rate: float, service_rate: float, consumers: int = 1, maxsize: int = 0) -> Model | None:
    """The closed-form model of a queue of ``maxsize`` (0: unbounded) drained by ``consumers`` consumers.

    :class:`~asyncomm.labs.queueing.MM1` / :class:`~asyncomm.labs.queueing.MM1K` for one consumer, :class:`MMc` /
    :class:`MMcK` for several; ``None`` when the queue is unbounded and ``rho >= 1``: no steady state.

    >>> theory_for(0.8, 1.0)
    MM1(arrival_rate=0.8, service_rate=1.0)
    >>> theory_for(0.8, 1.0, maxsize=4).capacity, theory_for(3.0, 1.0, consumers=4, maxsize=2).capacity
    (5, 6)
    >>> theory_for(1.5, 1.0) is None
    True
    """
    lam = _check_rate(arrival_rate, "arrival_rate")
    mu = _check_rate(service_rate, "service_rate")
    c = check_int(consumers, "consumers", minimum=1)
    m = check_maxsize(maxsize)
    if m:
        return MM1K.from_queue(m, lam, mu) if c == 1 else MMcK.from_queue(m, lam, mu, c)
    if lam >= c * mu:
        return None
    return MM1(lam, mu) if c == 1 else MMc(lam, mu, c)


# ---------------------------------------------------------------------------------------------------------
# simulation of c consumers


def simulate_servers(
    arrival_times: Sequence[float] | npt.ArrayLike,
    service_times: Sequence[float] | npt.ArrayLike,
    servers: int,
    *,
    capacity: int | None = None,
    samples: int = 1000,
) -> SimulationResult:
    """Play ``servers`` consumers sharing one FIFO queue, fed at ``arrival_times`` with ``service_times``.

    First come, first served: each customer starts at the later of its arrival and the moment the earliest
    consumer becomes free. ``capacity``: at most this many in the system (waiting plus in service, so at
    least ``servers``); a customer arriving when it is full is dropped, and a departure at the same instant
    as an arrival happens first. With ``servers=1`` this is :func:`asyncomm.labs.queueing.simulate_queue`
    (which is vectorised and faster). Measured by :func:`asyncomm.labs.simulate.measure_schedule`.

    >>> r = simulate_servers([0.0, 0.0, 0.0, 1.0], [2.0, 2.0, 2.0, 2.0], servers=2)
    >>> r.W_percentiles.p50, r.Wq, r.dropped   # the third waits 2 s for a consumer, the fourth 1 s
    (2.5, 0.75, 0)
    >>> simulate_servers([0.0, 0.0, 0.0, 1.0], [2.0] * 4, servers=2, capacity=2).dropped
    2
    """
    with requires_extra():
        import numpy as np

    arrivals = np.asarray(arrival_times, dtype=np.float64)
    services = np.asarray(service_times, dtype=np.float64)
    if arrivals.ndim != 1 or services.ndim != 1 or len(arrivals) != len(services) or len(arrivals) == 0:
        raise ValueError(
            f"arrival_times and service_times must be two flat sequences of the same, non-zero "
            f"length, got shapes {arrivals.shape} and {services.shape}"
        )
    if not (np.all(np.isfinite(arrivals)) and arrivals[0] >= 0 and np.all(np.diff(arrivals) >= 0)):
        raise ValueError("arrival_times must be finite seconds >= 0, in order (not decreasing)")
    if not (np.all(np.isfinite(services)) and np.all(services >= 0)):
        raise ValueError("service_times must be finite seconds >= 0")
    servers = _check_servers(servers)
    if capacity is not None:
        capacity = _check_capacity(capacity)
        if capacity < servers:
            raise ValueError(
                f"capacity must be >= servers (the system holds at least the {servers} being "
                f"served), got capacity={capacity}"
            )
    free = [0.0] * servers  # a heap: when each consumer is next free (arrivals are >= 0)
    arrived: list[float] = []
    starts: list[float] = []
    departs: list[float] = []
    inside: list[float] = []  # a heap of the departure times of the customers in the system
    replace, push, pop = heapq.heapreplace, heapq.heappush, heapq.heappop
    for a, s in zip(arrivals.tolist(), services.tolist(), strict=True):
        if capacity is not None:
            while inside and inside[0] <= a:
                pop(inside)
            if len(inside) >= capacity:
                continue
        earliest = free[0]
        start = a if a > earliest else earliest
        depart = start + s
        replace(free, depart)
        if capacity is not None:
            push(inside, depart)
        arrived.append(a)
        starts.append(start)
        departs.append(depart)
    return measure_schedule(
        arrived,
        starts,
        departs,
        offered=len(arrivals),
        horizon=float(arrivals[-1]),
        consumers=servers,
        capacity=capacity,
        samples=samples,
    )


# ---------------------------------------------------------------------------------------------------------
# the lab


class LabRow(NamedTuple):
    """One line of the lab's comparison: a quantity, as simulated and in theory (None: no theory).

    >>> QueueingLab(customers=1000).outcome.rows()[2].quantity
    'W: mean time in the system (s)'
    """

    quantity: str
    simulated: float
    theory: float | None


@dataclass(frozen=True, eq=False)
class LabOutcome:
    """One run of the lab: the settings, the simulation and the theory (``None`` if there is none).

    >>> out = QueueingLab(arrival_rate=2.0, service_rate=1.0, consumers=3, customers=5000).outcome
    >>> out.model_name, round(out.rho, 4), out.rows()[0].quantity
    ('M/M/3 (Erlang C)', 0.6667, 'L: mean number in the system')
    """

    arrival_rate: float
    service_rate: float
    consumers: int
    maxsize: int
    customers: int
    seed: int
    simulation: SimulationResult = field(repr=False)
    theory: Model | None = field(repr=False)

    @property
    def rho(self) -> float:
        """The load per consumer: ``arrival_rate / (consumers * service_rate)``."""
        return self.arrival_rate / (self.consumers * self.service_rate)

    @property
    def capacity(self) -> int | None:
        """K, the most messages in the system: ``maxsize + consumers`` (None: unbounded)."""
        return self.maxsize + self.consumers if self.maxsize else None

    @property
    def model_name(self) -> str:
        """Kendall's notation for the model: ``M/M/1``, ``M/M/1/K (K = 5)``, ``M/M/3 (Erlang C)`` ..."""
        c = self.consumers
        if self.maxsize:
            return f"M/M/{c}/K (K = {self.capacity})"
        return "M/M/1" if c == 1 else f"M/M/{c} (Erlang C)"

    @property
    def note(self) -> str:
        """One sentence on what the theory can say here (in the course's language)."""
        if self.theory is None:
            return tr(
                "ρ ≥ 1 and the queue is unbounded: there is no steady state, so the theory has no answer. "
                "The simulated queue keeps growing, and its figures depend on how long it runs.",
                "ρ ≥ 1 且队列无界：不存在稳态，理论给不出答案。模拟的队列会一直变长，其数值取决于运行多久。",
            )
        if self.rho >= 1:
            return tr(
                "ρ ≥ 1, but the queue is bounded: drops keep it stable, and the theory applies.",
                "ρ ≥ 1，但队列有界：丢弃的消息让它保持稳定，理论依然适用。",
            )
        return tr(
            "ρ < 1: a steady state exists, and simulation and theory should agree.",
            "ρ < 1：存在稳态，模拟与理论应当吻合。",
        )

    @cached_property
    def theory_W_percentiles(self) -> Percentiles | None:
        """The theory's p50, p90 and p99 of the time in the system (None: no theory). Computed once."""
        if self.theory is None:
            return None
        return Percentiles(*(self.theory.W_percentile(p) for p in (50, 90, 99)))

    def rows(self) -> list[LabRow]:
        """The comparison table: means, percentiles of the time in the system, drops and utilisation (quantities
        named in the course's language)."""
        sim, th, tp = self.simulation, self.theory, self.theory_W_percentiles

        def theory(get: Callable[[Model], float]) -> float | None:
            return None if th is None else get(th)

        return [
            LabRow(tr("L: mean number in the system", "L：系统中的平均消息数"), sim.L, theory(lambda m: m.L)),
            LabRow(tr("Lq: mean number waiting", "Lq：平均等待消息数"), sim.Lq, theory(lambda m: m.Lq)),
            LabRow(tr("W: mean time in the system (s)", "W：在系统中的平均时间（秒）"), sim.W, theory(lambda m: m.W)),
            LabRow(
                tr("Wq: mean wait for a consumer (s)", "Wq：等待消费者的平均时间（秒）"), sim.Wq, theory(lambda m: m.Wq)
            ),
            LabRow(tr("W p50 (s)", "W p50（秒）"), sim.W_percentiles.p50, None if tp is None else tp.p50),
            LabRow(tr("W p90 (s)", "W p90（秒）"), sim.W_percentiles.p90, None if tp is None else tp.p90),
            LabRow(tr("W p99 (s)", "W p99（秒）"), sim.W_percentiles.p99, None if tp is None else tp.p99),
            LabRow(tr("share dropped", "丢弃比例"), sim.blocking_fraction, theory(lambda m: m.blocking_probability)),
            LabRow(tr("consumer utilisation", "消费者利用率"), sim.utilization, theory(lambda m: m.utilization)),
        ]

    def to_frame(self):  # type: ignore[no-untyped-def]
        """:meth:`rows` as a pandas DataFrame indexed by quantity."""
        with requires_extra():  # deferred: pandas is heavy and only views need it
            import pandas as pd

        return pd.DataFrame(self.rows()).set_index("quantity")


class QueueingLab:
    """The model of the interactive queueing lab: change a knob, get a new :class:`LabOutcome`.

    The random draws depend on ``customers`` and ``seed`` only, and the rates scale them: moving a slider
    replays the *same* customers faster or slower, so what changes on screen is the effect of the knob,
    not new noise. With one consumer and an unbounded queue the run is exactly
    :func:`asyncomm.labs.queueing.simulate_mm1` with the same seed.

    >>> lab = QueueingLab(arrival_rate=0.9, service_rate=1.0, maxsize=4, customers=20_000)
    >>> out = lab.update(consumers=2)
    >>> out.consumers, out.capacity, out.model_name
    (2, 6, 'M/M/2/K (K = 6)')
    """

    def __init__(
        self,
        arrival_rate: float = 0.8,
        service_rate: float = 1.0,
        consumers: int = 1,
        maxsize: int = 0,
        *,
        customers: int = 20_000,
        seed: int = 0,
        samples: int = 1000,
    ) -> None:
        self.customers = check_int(customers, "customers", minimum=2)
        self.seed = check_int(seed, "seed", minimum=0)
        self.samples = check_int(samples, "samples", minimum=2)
        self._draws: tuple[Any, Any] | None = None
        self.outcome = self._run(arrival_rate, service_rate, consumers, maxsize)

    def update(self, **changes: Any) -> LabOutcome:
        """Change some of ``arrival_rate``, ``service_rate``, ``consumers``, ``maxsize``; run again."""
        unknown = sorted(set(changes) - set(SETTINGS))
        if unknown:
            raise TypeError(f"unknown lab setting(s) {unknown}; the settings are {', '.join(SETTINGS)}")
        current = {name: getattr(self.outcome, name) for name in SETTINGS}
        self.outcome = self._run(**(current | changes))
        return self.outcome

    def _standard_draws(self) -> tuple[Any, Any]:
        if self._draws is None:
            with requires_extra():
                import numpy as np

            rng = np.random.default_rng(self.seed)
            # The same order and the same generator as asyncomm.labs.queueing.simulate_mm1: gaps, then services.
            self._draws = (rng.standard_exponential(self.customers), rng.standard_exponential(self.customers))
        return self._draws

    def _run(self, arrival_rate: float, service_rate: float, consumers: int, maxsize: int) -> LabOutcome:
        lam = _check_rate(arrival_rate, "arrival_rate")
        mu = _check_rate(service_rate, "service_rate")
        c = check_int(consumers, "consumers", minimum=1)
        m = check_maxsize(maxsize)
        for name, value in (("arrival_rate", lam), ("service_rate", mu), ("consumers", c), ("maxsize", m)):
            low, high = SETTINGS[name]
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low:g} and {high:g} in the lab, got {value!r}")
        theory = theory_for(lam, mu, c, m)  # first: cheap, and it checks the arguments once more
        with requires_extra():
            import numpy as np

        gaps, work = self._standard_draws()
        arrivals = np.cumsum(gaps * (1 / lam))  # as rng.exponential(1 / lam) would scale them
        services = work * (1 / mu)
        capacity = m + c if m else None
        if c == 1:
            from asyncomm.labs.queueing import simulate_queue

            simulation = simulate_queue(arrivals, services, capacity=capacity, samples=self.samples)
        else:
            simulation = simulate_servers(arrivals, services, c, capacity=capacity, samples=self.samples)
        return LabOutcome(lam, mu, c, m, self.customers, self.seed, simulation, theory)
