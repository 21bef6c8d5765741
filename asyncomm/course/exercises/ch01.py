"""Chapter 01 · Background: when does asynchronous code save time?

* ``01.predict-totals`` (predict): total time of waiting tasks, sequential vs asyncio;
* ``01.total-time`` (write): the model as a function, checked against the timing lab;
* ``01.which-benefit`` (predict): which workloads does one event loop serve better?
* ``01.cpu-bound`` (predict): computing tasks on each of the four strategies (the GIL);
* ``01.pool-total`` (write): ``n`` waiting tasks on a pool of ``k`` workers;
* ``01.fetch-all`` (write): the same with the standard library, a ``ThreadPoolExecutor`` (checked by a barrier).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asyncomm._checks import is_number
from asyncomm.course.exercises._core import Exercise, clean_text, register
from asyncomm.labs.timing import run_tasks

__all__ = ["FETCH_COUNT", "FETCH_PATIENCE", "WORKLOADS"]


def _keys_cleaned(answer: Any) -> Any:
    """A dict answer with its string keys cleaned ('Sequential ' counts as 'sequential'); anything else as is."""
    if isinstance(answer, dict) and all(isinstance(key, str) for key in answer):
        cleaned = {clean_text(key): value for key, value in answer.items()}
        if len(cleaned) == len(answer):
            return cleaned
    return answer


# --- 01.predict-totals -------------------------------------------------------

_N, _LATENCY = 8, 0.5


def _judge_totals(answer: Any) -> str | None:
    answer = _keys_cleaned(answer)
    if not isinstance(answer, dict) or set(answer) != {"sequential", "asyncio"}:
        return "answer with a dict of two numbers of seconds: {'sequential': ..., 'asyncio': ...}"
    sequential, concurrent = answer["sequential"], answer["asyncio"]
    if not (is_number(sequential) and is_number(concurrent)):
        return "both totals must be numbers of seconds, like 1.5"
    expected = {"sequential": _N * _LATENCY, "asyncio": _LATENCY}
    seq_ok = math.isclose(sequential, expected["sequential"])
    async_ok = math.isclose(concurrent, expected["asyncio"])
    if seq_ok and async_ok:
        return None
    if math.isclose(sequential, expected["asyncio"]) and math.isclose(concurrent, expected["sequential"]):
        return "you swapped the two: which strategy starts a task only after the previous one has finished?"
    if (sequential, concurrent) in ((_N, 1), (_N, _N)):
        return "the totals are in seconds, not in numbers of tasks: how long does each task wait?"
    if not seq_ok:
        return (
            "'sequential' is off: synchronous code starts the next task only when the previous one has "
            "finished, so the waits add up"
        )
    if math.isclose(concurrent, expected["sequential"]):
        return (
            "'asyncio' is off: one thread, yes, but while a task awaits its reply the event loop starts the "
            "others, so their waits overlap"
        )
    return (
        f"'asyncio' is off: all {_N} tasks start at t=0 and each waits the same time; when has the last one finished?"
    )


register(
    Exercise(
        id="01.predict-totals",
        title="Predict the total time",
        kind="predict",
        prompt=(
            f"{_N} tasks each wait {_LATENCY} s for a reply (a web request, say). On the virtual clock, how many "
            f"seconds until all {_N} have finished when they run\n"
            f"  - 'sequential': plain synchronous code, one after the other;\n"
            f"  - 'asyncio': one coroutine per task, all started together on one event loop?\n"
            f"Answer with a dict: {{'sequential': seconds, 'asyncio': seconds}}"
        ),
        judge=_judge_totals,
        hints=[
            "Draw a timeline: one bar of 0.5 s per task. Where does each bar start in each strategy?",
            "Sequential: bars end to end. Asyncio: every task starts at t=0, because awaiting the reply hands the "
            "thread back to the event loop, which starts the next task.",
        ],
        solution_text=(
            "answer = {'sequential': 4.0, 'asyncio': 0.5}\n"
            "# sequential: 8 waits one after the other, 8 x 0.5 s = 4.0 s\n"
            "# asyncio: the 8 waits overlap, so the run lasts as long as one wait: 0.5 s\n"
            "# check it: run_tasks(8, 0.5, 'sequential').total, run_tasks(8, 0.5, 'asyncio').total"
        ),
        reference={"sequential": 4.0, "asyncio": 0.5},
        wrong_answers=[
            {"sequential": 0.5, "asyncio": 4.0},
            {"sequential": 4.0, "asyncio": 4.0},
            {"sequential": 8, "asyncio": 1},
            {"sequential": 0.5, "asyncio": 0.5},
            {"sequential": 4.0, "asyncio": 0.0625},
            (4.0, 0.5),
            {"sequential": "4", "asyncio": "0.5"},
        ],
    )
)


# --- 01.total-time -----------------------------------------------------------

_CASES = [
    (1, 2.0, "sequential"),
    (1, 2.0, "asyncio"),
    (3, 1.0, "sequential"),
    (3, 1.0, "asyncio"),
    (5, 0.25, "sequential"),
    (6, 0.5, "asyncio"),
    (4, 0.0, "sequential"),
]


def _judge_total_time(total_time: Any) -> str | None:
    if not callable(total_time):
        return "pass the function itself, total_time, not a call of it"
    for n, latency, strategy in _CASES:
        got = total_time(n, latency, strategy)
        call = f"total_time({n}, {latency}, {strategy!r})"
        if not is_number(got):
            return f"{call} returned {got!r}: return a number of seconds"
        # The oracle is the simulation itself, not a formula written twice.
        if not math.isclose(got, run_tasks(n, latency, strategy).total, abs_tol=1e-9):
            if strategy == "sequential":
                return (
                    f"{call} returned {got!r}, but the timing lab disagrees: in synchronous code each task "
                    f"waits only after the previous one is done"
                )
            return (
                f"{call} returned {got!r}, but the timing lab disagrees: with asyncio all tasks wait at the "
                f"same time; does your answer still depend on n?"
            )
    return None


def _reference_total_time(n: int, latency: float, strategy: str) -> float:
    return n * latency if strategy == "sequential" else latency


register(
    Exercise(
        id="01.total-time",
        title="Write the model: total_time(n, latency, strategy)",
        kind="write",
        prompt=(
            "Write total_time(n, latency, strategy) -> float: the seconds until n tasks that each wait `latency` "
            "seconds have all finished, for strategy 'sequential' or 'asyncio'. check() compares your function "
            "with run_tasks(...).total on the virtual clock for several n and latencies."
        ),
        judge=_judge_total_time,
        hints=[
            "Only one of the two strategies makes the total grow with n.",
            "Sequential: the waits add up. Asyncio: they overlap completely (they all start at t=0 and last as long).",
        ],
        solution_text=(
            "def total_time(n, latency, strategy):\n"
            "    if strategy == 'sequential':\n"
            "        return n * latency   # one wait after the other\n"
            "    return latency           # asyncio: all waits overlap\n"
        ),
        reference=_reference_total_time,
        wrong_answers=[
            lambda n, latency, strategy: n * latency,
            lambda n, latency, strategy: latency,
            lambda n, latency, strategy: latency if strategy == "sequential" else n * latency,
            lambda n, latency, strategy: n * latency if strategy == "sequential" else latency / n,
            lambda n, latency, strategy: f"{n * latency if strategy == 'sequential' else latency} s",
            lambda n, latency: n * latency,  # forgot a parameter: check() reports the TypeError
        ],
    )
)


# --- 01.which-benefit --------------------------------------------------------

WORKLOADS: dict[str, str] = {
    "a": "download 200 web pages from different servers",
    "b": "resize 200 photos that are already in memory",
    "c": "a chat server that keeps 5,000 mostly idle connections open",
    "d": "compute the SHA-256 hash of a 2 GB byte string already in memory",
    "e": "ask 5 independent database servers one query each and combine the answers",
    "f": "find all prime numbers below 10 million",
}
_WAITING = {"a", "c", "e"}


def _letters(answer: Any) -> set[str] | None:
    if isinstance(answer, str):
        items: list[Any] = [ch for ch in answer if not ch.isspace() and ch != ","]
    elif isinstance(answer, (set, frozenset, list, tuple)):
        items = list(answer)
    else:
        return None
    if not all(isinstance(item, str) for item in items):
        return None
    return {item.strip().lower() for item in items}


def _judge_benefit(answer: Any) -> str | None:
    chosen = _letters(answer)
    if chosen is None:
        return "answer with a set of letters, like {'a', 'b'}"
    unknown = chosen - set(WORKLOADS)
    if unknown:
        return f"there is no workload {', '.join(sorted(unknown))}: the letters are a to f"
    computing = chosen - _WAITING
    missed = _WAITING - chosen
    if computing:
        which = "one of your choices keeps" if len(computing) == 1 else f"{len(computing)} of your choices keep"
        return f"{which} the CPU busy the whole time: with nothing to wait for, an event loop has nothing to overlap"
    if missed:
        return (
            f"you missed {len(missed)} workload(s) that spend most of their time waiting for another machine "
            f"(or a person): that waiting is what async overlaps"
        )
    return None


register(
    Exercise(
        id="01.which-benefit",
        title="Which workloads does one event loop serve better?",
        kind="predict",
        prompt=(
            "Which of these workloads does one asyncio event loop (one thread) serve better than plain "
            "sequential code (also one thread): the results, or the replies to clients, come sooner? "
            "(Threads could do that too, but only with one thread per task.) Answer with a set of letters.\n"
            + "\n".join(f"  {key}) {text}" for key, text in WORKLOADS.items())
        ),
        judge=_judge_benefit,
        hints=[
            "For each workload ask: while it runs, is the CPU busy, or is the program waiting for something outside?",
            "Waiting for networks, disks, databases or people overlaps on one thread; computing does not "
            "(run_tasks(..., work='cpu') shows it).",
        ],
        solution_text=(
            "answer = {'a', 'c', 'e'}\n"
            "# a, c, e wait for other machines or people: one event loop overlaps the waits.\n"
            "# (c never finishes: there, each client's reply comes sooner, and 5,000 connections cost\n"
            "# one thread instead of 5,000.)\n"
            "# b, d, f compute: one thread does the same work whatever the order. Only more cores\n"
            "# (processes, or native code that releases the GIL) make them faster: parallelism, not async."
        ),
        reference={"a", "c", "e"},
        wrong_answers=[
            {"a", "b", "c", "d", "e", "f"},
            {"a", "c"},
            {"b", "d", "f"},
            {"a", "c", "e", "f"},
            set(),
            "ace g",
            42,
        ],
    )
)


# --- 01.cpu-bound ------------------------------------------------------------

_CPU_N, _CPU_SECONDS, _CPU_PROCESSES = 6, 0.5, 3
_CPU_STRATEGIES = ("sequential", "asyncio", "threads", "processes")


def _cpu_expected() -> dict[str, float]:
    # The oracle is the timing lab's model, not the formula written a second time.
    return {
        strategy: run_tasks(
            _CPU_N, _CPU_SECONDS, strategy, work="cpu", workers=_CPU_PROCESSES if strategy == "processes" else None
        ).total
        for strategy in _CPU_STRATEGIES
    }


_CPU_HINTS = {
    "sequential": "'sequential' is off: one task after the other, each computing for the whole of its time",
    "asyncio": (
        "'asyncio' is off: a coroutine that computes never reaches an await that waits, so the event loop "
        "cannot start another task meanwhile"
    ),
    "threads": (
        "'threads' is off: there is one thread per task, but in CPython (with its GIL) how many threads "
        "can run Python code at the same instant?"
    ),
}


def _judge_cpu_bound(answer: Any) -> str | None:
    answer = _keys_cleaned(answer)
    if not isinstance(answer, dict) or set(answer) != set(_CPU_STRATEGIES):
        return (
            "answer with a dict of four numbers of seconds: "
            "{'sequential': ..., 'asyncio': ..., 'threads': ..., 'processes': ...}"
        )
    if not all(is_number(value) for value in answer.values()):
        return "every total must be a number of seconds, like 1.5"
    expected = _cpu_expected()
    for strategy in _CPU_STRATEGIES:
        if math.isclose(answer[strategy], expected[strategy]):
            continue
        if strategy in _CPU_HINTS:
            return _CPU_HINTS[strategy]
        if math.isclose(answer[strategy], _CPU_SECONDS):
            return (
                f"'processes' is off: there are only {_CPU_PROCESSES} processes for {_CPU_N} tasks; a process "
                f"takes its next task when it has finished one"
            )
        if math.isclose(answer[strategy], expected["sequential"]):
            return "'processes' is off: each process has a core of its own, so do their computations overlap?"
        return (
            f"'processes' is off: {_CPU_PROCESSES} processes compute side by side; how many tasks does each "
            f"one get, one after the other?"
        )
    return None


register(
    Exercise(
        id="01.cpu-bound",
        title="Predict: tasks that compute",
        kind="predict",
        prompt=(
            f"{_CPU_N} tasks each compute for {_CPU_SECONDS} s (resize a photo, say): no waiting at all. On the "
            f"virtual clock's model, how many seconds until all {_CPU_N} have finished with\n"
            f"  - 'sequential': one after the other;\n"
            f"  - 'asyncio': one coroutine per task on one event loop;\n"
            f"  - 'threads': a pool of {_CPU_N} threads, one per task (standard CPython, with its GIL);\n"
            f"  - 'processes': a pool of {_CPU_PROCESSES} processes, each with a core of its own?\n"
            f"Answer with a dict: {{'sequential': s, 'asyncio': s, 'threads': s, 'processes': s}}"
        ),
        judge=_judge_cpu_bound,
        hints=[
            "Only one of the four strategies runs Python code on more than one core at the same instant.",
            "Asyncio overlaps waits, not computing. CPython's global interpreter lock lets one thread run Python code "
            "at a time, so threads take turns. Processes each have an interpreter (and a core) of their own, but "
            "there are fewer of them than tasks.",
        ],
        solution_text=(
            "answer = {'sequential': 3.0, 'asyncio': 3.0, 'threads': 3.0, 'processes': 1.0}\n"
            "# sequential, asyncio and threads: 6 x 0.5 s of computing on one core = 3.0 s\n"
            "#   (threads take turns under the GIL: they all finish near 3.0 s, none sooner)\n"
            "# processes: 3 cores, 2 tasks each, one after the other: 2 x 0.5 s = 1.0 s\n"
            "# check it: [run_tasks(6, 0.5, s, work='cpu', workers=3 if s == 'processes' else None).total\n"
            "#            for s in ('sequential', 'asyncio', 'threads', 'processes')]\n"
            "# On a free-threaded build (python3.13t and later, without the GIL) threads would run on\n"
            "# several cores too."
        ),
        reference={"sequential": 3.0, "asyncio": 3.0, "threads": 3.0, "processes": 1.0},
        wrong_answers=[
            {"sequential": 3.0, "asyncio": 0.5, "threads": 0.5, "processes": 0.5},
            {"sequential": 3.0, "asyncio": 3.0, "threads": 0.5, "processes": 1.0},
            {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0, "processes": 0.5},
            {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0, "processes": 3.0},
            {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0, "processes": 1.5},
            {"sequential": 0.5, "asyncio": 3.0, "threads": 3.0, "processes": 1.0},
            {"sequential": 3.0, "asyncio": 3.0, "threads": 3.0},
            {"sequential": "3", "asyncio": 3.0, "threads": 3.0, "processes": 1.0},
        ],
    )
)


# --- 01.pool-total -----------------------------------------------------------

_POOL_CASES = [(10, 1.0, 4), (8, 0.5, 4), (3, 2.0, 5), (1, 1.0, 1), (7, 0.25, 2), (12, 1.0, 3), (5, 1.0, 5)]


def _judge_pool_total(pool_total: Any) -> str | None:
    if not callable(pool_total):
        return "pass the function itself, pool_total, not a call of it"
    for n, latency, workers in _POOL_CASES:
        got = pool_total(n, latency, workers)
        call = f"pool_total({n}, {latency}, {workers})"
        if not is_number(got):
            return f"{call} returned {got!r}: return a number of seconds"
        expected = run_tasks(n, latency, "threads", workers=workers).total
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        rounded_down = n % workers != 0 and math.isclose(got, (n // workers) * latency)
        if rounded_down or math.isclose(got, n * latency / workers):
            return (
                f"{call} returned {got!r}, but the timing lab disagrees: a worker runs whole tasks, one after "
                f"the other; when n is not a multiple of the workers, the last round is not full, but it still "
                f"lasts a whole latency"
            )
        if got < expected:
            return (
                f"{call} returned {got!r}, but the timing lab disagrees: with fewer workers than tasks, the "
                f"rest wait for a free worker; how many rounds of tasks does the pool need?"
            )
        return (
            f"{call} returned {got!r}, but the timing lab disagrees: the {workers} workers wait at the same "
            f"time; how many rounds of tasks do they need?"
        )
    return None


register(
    Exercise(
        id="01.pool-total",
        title="Write the model: pool_total(n, latency, workers)",
        kind="write",
        prompt=(
            "A pool of `workers` threads runs n tasks that each wait `latency` seconds; each worker takes the next "
            "task as soon as it is free. Write pool_total(n, latency, workers) -> float: the seconds until all n "
            "have finished. check() compares it with run_tasks(n, latency, 'threads', workers=workers).total on "
            "the virtual clock for several cases, some where n is not a multiple of workers."
        ),
        judge=_judge_pool_total,
        hints=[
            "Draw it: workers are lanes; the first round of tasks starts at t=0, the next when the first ends.",
            "The pool runs in rounds of `workers` tasks; a partly filled last round still lasts `latency`. "
            "math.ceil rounds up.",
        ],
        solution_text=(
            "import math\n\n"
            "def pool_total(n, latency, workers):\n"
            "    rounds = math.ceil(n / workers)   # 10 tasks on 4 workers: rounds of 4, 4 and 2\n"
            "    return rounds * latency\n"
        ),
        reference=lambda n, latency, workers: math.ceil(n / workers) * latency,
        wrong_answers=[
            lambda n, latency, workers: n * latency / workers,
            lambda n, latency, workers: (n // workers) * latency,
            lambda n, latency, workers: n * latency,
            lambda n, latency, workers: latency,
            lambda n, latency, workers: (n // workers + 1) * latency,
            lambda n, latency, workers: f"{math.ceil(n / workers) * latency} s",
        ],
    )
)


# --- 01.fetch-all ------------------------------------------------------------

#: How many urls check() passes: more than a ThreadPoolExecutor's default number of threads, min(32, cores + 4).
FETCH_COUNT = 40
#: Real seconds a checking fetch waits for all the others to be in flight before it gives up.
FETCH_PATIENCE = 1.0


class _Rendezvous:
    """The ``fetch`` that check() passes: it returns only once every url's fetch is in flight at the same time.

    A barrier, not a clock: the check holds whatever the machine's speed, and a run one call at a time fails
    after ``FETCH_PATIENCE`` seconds instead of hanging. ``peak`` is the most calls that were in flight at once.
    """

    def __init__(self, count: int, patience: float) -> None:
        self._barrier = threading.Barrier(count, timeout=patience)
        self._lock = threading.Lock()
        self.in_flight = self.peak = self.calls = 0

    def fetch(self, url: str) -> str:
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            self._barrier.wait()
        finally:
            with self._lock:
                self.in_flight -= 1
        return f"<page of {url}>"


def _fetch_urls() -> list[str]:
    return [f"https://example.org/page/{i}" for i in range(FETCH_COUNT)]


def _judge_fetch_all(fetch_all: Any) -> str | None:
    if not callable(fetch_all):
        return "pass the function itself, fetch_all, not a call of it"
    urls = _fetch_urls()
    probe = _Rendezvous(len(urls), FETCH_PATIENCE)
    try:
        got = fetch_all(list(urls), probe.fetch)
    except threading.BrokenBarrierError:
        if probe.peak <= 1:
            return (
                "your fetches ran one at a time: each call waited for the one before it to return. Submit every "
                "call to the pool first (pool.submit or pool.map), and only then collect the results"
            )
        return (
            f"at most {probe.peak} of the {len(urls)} fetches were in flight at once: a pool runs only as many "
            f"calls at a time as it has threads, and ThreadPoolExecutor() without max_workers has at most 32. "
            f"How many threads does this pool need?"
        )
    if probe.calls != len(urls):
        return f"fetch was called {probe.calls} times for {len(urls)} urls: call it exactly once per url"
    if not isinstance(got, (list, tuple)):
        return (
            f"fetch_all returned {type(got).__name__}, not a list: pool.map gives an iterator; "
            f"list(...) collects the replies"
        )
    expected = [f"<page of {url}>" for url in urls]
    if list(got) == expected:
        return None
    if sorted(map(str, got)) == sorted(expected):
        return (
            "right replies, wrong order: return them in the order of urls, not in the order they finished "
            "(pool.map keeps the order; so does collecting futures in the order you submitted them)"
        )
    return "return what fetch(url) returned, one reply per url, in the order of urls"


def _reference_fetch_all(urls: list[str], fetch: Callable[[str], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(fetch, urls))


def _fetch_one_at_a_time(urls: list[str], fetch: Callable[[str], Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return [pool.submit(fetch, url).result() for url in urls]  # waits for each before submitting the next


def _fetch_default_pool(urls: list[str], fetch: Callable[[str], Any]) -> list[Any]:
    with ThreadPoolExecutor() as pool:
        return list(pool.map(fetch, urls))


def _fetch_as_completed(urls: list[str], fetch: Callable[[str], Any]) -> list[Any]:
    return list(reversed(_reference_fetch_all(urls, fetch)))  # as_completed's order, made deterministic


def _fetch_iterator(urls: list[str], fetch: Callable[[str], Any]) -> Any:
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return pool.map(fetch, urls)


register(
    Exercise(
        id="01.fetch-all",
        title="Write it with the standard library: fetch_all(urls, fetch)",
        kind="write",
        prompt=(
            "Write fetch_all(urls, fetch) -> list: call fetch(url) for every url, all of them at the same time, "
            "on a concurrent.futures.ThreadPoolExecutor, and return the replies in the order of urls.\n"
            f"check() passes {FETCH_COUNT} urls and a fetch that returns only once all {FETCH_COUNT} calls are in "
            f"flight together (a threading.Barrier): code that fetches one at a time fails after "
            f"{FETCH_PATIENCE:g} s."
        ),
        judge=_judge_fetch_all,
        hints=[
            "A pool runs at most max_workers calls at a time; the rest wait in the pool's queue for a free thread.",
            "with ThreadPoolExecutor(max_workers=len(urls)) as pool: ... pool.map(fetch, urls) submits every call "
            "at once and yields the replies in the order of urls.",
        ],
        solution_text=(
            "from concurrent.futures import ThreadPoolExecutor\n\n"
            "def fetch_all(urls, fetch):\n"
            "    with ThreadPoolExecutor(max_workers=len(urls)) as pool:   # one thread per url: all wait at once\n"
            "        return list(pool.map(fetch, urls))                    # replies in the order of urls\n"
        ),
        reference=_reference_fetch_all,
        wrong_answers=[
            lambda urls, fetch: [fetch(url) for url in urls],
            _fetch_one_at_a_time,
            _fetch_default_pool,
            _fetch_as_completed,
            _fetch_iterator,
            "fetch_all",
        ],
    )
)
