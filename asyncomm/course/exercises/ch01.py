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
from asyncomm.i18n import Text, tr
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
        return tr(
            "answer with a dict of two numbers of seconds: {'sequential': ..., 'asyncio': ...}",
            "请用含两个秒数的字典来回答：{'sequential': ..., 'asyncio': ...}",
        )
    sequential, concurrent = answer["sequential"], answer["asyncio"]
    if not (is_number(sequential) and is_number(concurrent)):
        return tr("both totals must be numbers of seconds, like 1.5", "两个总时间都必须是以秒为单位的数，例如 1.5")
    expected = {"sequential": _N * _LATENCY, "asyncio": _LATENCY}
    seq_ok = math.isclose(sequential, expected["sequential"])
    async_ok = math.isclose(concurrent, expected["asyncio"])
    if seq_ok and async_ok:
        return None
    if math.isclose(sequential, expected["asyncio"]) and math.isclose(concurrent, expected["sequential"]):
        return tr(
            "you swapped the two: which strategy starts a task only after the previous one has finished?",
            "你把两个值弄反了：哪种方式要等上一个任务结束后才开始下一个？",
        )
    if (sequential, concurrent) in ((_N, 1), (_N, _N)):
        return tr(
            "the totals are in seconds, not in numbers of tasks: how long does each task wait?",
            "总时间以秒计，而不是任务个数：每个任务要等多久？",
        )
    if not seq_ok:
        return tr(
            "'sequential' is off: synchronous code starts the next task only when the previous one has "
            "finished, so the waits add up",
            "'sequential' 不对：同步代码要等上一个任务结束才开始下一个，所以各次等待会累加起来",
        )
    if math.isclose(concurrent, expected["sequential"]):
        return tr(
            "'asyncio' is off: one thread, yes, but while a task awaits its reply the event loop starts the "
            "others, so their waits overlap",
            "'asyncio' 不对：确实只有一个线程，但一个任务在 await 等待答复时，事件循环会启动其他任务，"
            "所以它们的等待是重叠的",
        )
    return tr(
        f"'asyncio' is off: all {_N} tasks start at t=0 and each waits the same time; when has the last one finished?",
        f"'asyncio' 不对：{_N} 个任务都在 t=0 开始，每个等待的时间相同；最后一个在什么时候结束？",
    )


register(
    Exercise(
        id="01.predict-totals",
        title=Text("Predict the total time", "预测总时间"),
        kind="predict",
        prompt=Text(
            f"{_N} tasks each wait {_LATENCY} s for a reply (a web request, say). On the virtual clock, how many "
            f"seconds until all {_N} have finished when they run\n"
            f"  - 'sequential': plain synchronous code, one after the other;\n"
            f"  - 'asyncio': one coroutine per task, all started together on one event loop?\n"
            f"Answer with a dict: {{'sequential': seconds, 'asyncio': seconds}}",
            f"{_N} 个任务各自等待 {_LATENCY} 秒的答复（比如一次网络请求）。在虚拟时钟上，按下面两种方式运行时，"
            f"{_N} 个任务全部结束要多少秒？\n"
            f"  - 'sequential'：普通的同步代码，一个接一个地运行；\n"
            f"  - 'asyncio'：每个任务一个协程，在同一个事件循环上同时启动。\n"
            f"请用字典回答：{{'sequential': 秒数, 'asyncio': 秒数}}",
        ),
        judge=_judge_totals,
        hints=[
            Text(
                "Draw a timeline: one bar of 0.5 s per task. Where does each bar start in each strategy?",
                "画一条时间线：每个任务是一个 0.5 秒长的横条。在每种方式下，每个横条从哪里开始？",
            ),
            Text(
                "Sequential: bars end to end. Asyncio: every task starts at t=0, because awaiting the reply hands the "
                "thread back to the event loop, which starts the next task.",
                "顺序执行：横条一个接一个，首尾相连。asyncio：每个任务都在 t=0 开始，因为 await 等待答复时会把线程"
                "交还给事件循环，事件循环就去启动下一个任务。",
            ),
        ],
        solution_text=Text(
            "answer = {'sequential': 4.0, 'asyncio': 0.5}\n"
            "# sequential: 8 waits one after the other, 8 x 0.5 s = 4.0 s\n"
            "# asyncio: the 8 waits overlap, so the run lasts as long as one wait: 0.5 s\n"
            "# check it: run_tasks(8, 0.5, 'sequential').total, run_tasks(8, 0.5, 'asyncio').total",
            "answer = {'sequential': 4.0, 'asyncio': 0.5}\n"
            "# sequential：8 次等待一次接一次，8 x 0.5 秒 = 4.0 秒\n"
            "# asyncio：8 次等待相互重叠，所以整个运行只持续一次等待的时间：0.5 秒\n"
            "# 验证一下：run_tasks(8, 0.5, 'sequential').total, run_tasks(8, 0.5, 'asyncio').total",
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
        return tr(
            "pass the function itself, total_time, not a call of it",
            "请传入函数本身 total_time，而不是调用它的结果",
        )
    for n, latency, strategy in _CASES:
        got = total_time(n, latency, strategy)
        call = f"total_time({n}, {latency}, {strategy!r})"
        if not is_number(got):
            return tr(f"{call} returned {got!r}: return a number of seconds", f"{call} 返回了 {got!r}：请返回秒数")
        # The oracle is the simulation itself, not a formula written twice.
        if not math.isclose(got, run_tasks(n, latency, strategy).total, abs_tol=1e-9):
            if strategy == "sequential":
                return tr(
                    f"{call} returned {got!r}, but the timing lab disagrees: in synchronous code each task "
                    f"waits only after the previous one is done",
                    f"{call} 返回了 {got!r}，但计时实验的结果不同：在同步代码中，每个任务要等上一个完成后才开始等待",
                )
            return tr(
                f"{call} returned {got!r}, but the timing lab disagrees: with asyncio all tasks wait at the "
                f"same time; does your answer still depend on n?",
                f"{call} 返回了 {got!r}，但计时实验的结果不同：用 asyncio 时所有任务同时等待；"
                f"你的答案还应该依赖 n 吗？",
            )
    return None


def _reference_total_time(n: int, latency: float, strategy: str) -> float:
    return n * latency if strategy == "sequential" else latency


register(
    Exercise(
        id="01.total-time",
        title=Text("Write the model: total_time(n, latency, strategy)", "写出模型：total_time(n, latency, strategy)"),
        kind="write",
        prompt=Text(
            "Write total_time(n, latency, strategy) -> float: the seconds until n tasks that each wait `latency` "
            "seconds have all finished, for strategy 'sequential' or 'asyncio'. check() compares your function "
            "with run_tasks(...).total on the virtual clock for several n and latencies.",
            "编写 total_time(n, latency, strategy) -> float：n 个各等待 `latency` 秒的任务全部结束所需的秒数，"
            "strategy 为 'sequential' 或 'asyncio'。check() 会在虚拟时钟上，用多组 n 和延迟，"
            "把你的函数与 run_tasks(...).total 进行比较。",
        ),
        judge=_judge_total_time,
        hints=[
            Text(
                "Only one of the two strategies makes the total grow with n.",
                "两种方式中，只有一种会让总时间随 n 增长。",
            ),
            Text(
                "Sequential: the waits add up. Asyncio: they overlap completely (they all start at t=0 and last as "
                "long).",
                "顺序执行：各次等待累加起来。asyncio：各次等待完全重叠（都在 t=0 开始，持续时间也一样）。",
            ),
        ],
        solution_text=Text(
            "def total_time(n, latency, strategy):\n"
            "    if strategy == 'sequential':\n"
            "        return n * latency   # one wait after the other\n"
            "    return latency           # asyncio: all waits overlap\n",
            "def total_time(n, latency, strategy):\n"
            "    if strategy == 'sequential':\n"
            "        return n * latency   # 一次等待接着一次等待\n"
            "    return latency           # asyncio：所有等待相互重叠\n",
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

WORKLOADS: dict[str, Text] = {
    "a": Text("download 200 web pages from different servers", "从不同的服务器下载 200 个网页"),
    "b": Text("resize 200 photos that are already in memory", "缩放 200 张已经在内存中的照片"),
    "c": Text(
        "a chat server that keeps 5,000 mostly idle connections open",
        "一个聊天服务器，保持着 5,000 个大多空闲的连接",
    ),
    "d": Text(
        "compute the SHA-256 hash of a 2 GB byte string already in memory",
        "计算一个已在内存中的 2 GB 字节串的 SHA-256 哈希值",
    ),
    "e": Text(
        "ask 5 independent database servers one query each and combine the answers",
        "向 5 台相互独立的数据库服务器各发一个查询，再把结果合并起来",
    ),
    "f": Text("find all prime numbers below 10 million", "找出 1000 万以内的所有质数"),
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
        return tr("answer with a set of letters, like {'a', 'b'}", "请用字母的集合来回答，例如 {'a', 'b'}")
    unknown = chosen - set(WORKLOADS)
    if unknown:
        letters = ", ".join(sorted(unknown))
        return tr(
            f"there is no workload {letters}: the letters are a to f",
            f"没有工作负载 {letters}：字母只有 a 到 f",
        )
    computing = chosen - _WAITING
    missed = _WAITING - chosen
    if computing:
        which = "one of your choices keeps" if len(computing) == 1 else f"{len(computing)} of your choices keep"
        return tr(
            f"{which} the CPU busy the whole time: with nothing to wait for, an event loop has nothing to overlap",
            f"你选的工作负载中有 {len(computing)} 项始终让 CPU 忙着：没有什么需要等待，事件循环也就没有可以重叠的东西",
        )
    if missed:
        return tr(
            f"you missed {len(missed)} workload(s) that spend most of their time waiting for another machine "
            f"(or a person): that waiting is what async overlaps",
            f"你漏掉了 {len(missed)} 项大部分时间都在等待另一台机器（或一个人）的工作负载：异步能让这类等待相互重叠",
        )
    return None


register(
    Exercise(
        id="01.which-benefit",
        title=Text("Which workloads does one event loop serve better?", "哪些工作负载用一个事件循环处理更好？"),
        kind="predict",
        prompt=Text(
            "Which of these workloads does one asyncio event loop (one thread) serve better than plain "
            "sequential code (also one thread): the results, or the replies to clients, come sooner? "
            "(Threads could do that too, but only with one thread per task.) Answer with a set of letters.\n"
            + "\n".join(f"  {key}) {text.en}" for key, text in WORKLOADS.items()),
            "下面哪些工作负载，用一个 asyncio 事件循环（一个线程）处理比普通的顺序代码（也是一个线程）更好，"
            "即结果或给客户端的答复来得更快？（线程也能做到，但要每个任务一个线程。）请用字母的集合回答。\n"
            + "\n".join(f"  {key}) {text.zh}" for key, text in WORKLOADS.items()),
        ),
        judge=_judge_benefit,
        hints=[
            Text(
                "For each workload ask: while it runs, is the CPU busy, or is the program waiting for something "
                "outside?",
                "对每项工作负载都问一问：它运行时，是 CPU 在忙，还是程序在等待外部的某样东西？",
            ),
            Text(
                "Waiting for networks, disks, databases or people overlaps on one thread; computing does not "
                "(run_tasks(..., work='cpu') shows it).",
                "等待网络、磁盘、数据库或人，可以在一个线程上相互重叠；计算则不行"
                "（run_tasks(..., work='cpu') 可以演示这一点）。",
            ),
        ],
        solution_text=Text(
            "answer = {'a', 'c', 'e'}\n"
            "# a, c, e wait for other machines or people: one event loop overlaps the waits.\n"
            "# (c never finishes: there, each client's reply comes sooner, and 5,000 connections cost\n"
            "# one thread instead of 5,000.)\n"
            "# b, d, f compute: one thread does the same work whatever the order. Only more cores\n"
            "# (processes, or native code that releases the GIL) make them faster: parallelism, not async.",
            "answer = {'a', 'c', 'e'}\n"
            "# a、c、e 在等待其他机器或人：一个事件循环就能让这些等待相互重叠。\n"
            "# （c 永远不会结束：这里的好处是每个客户端的答复来得更快，而且 5,000 个连接\n"
            "# 只占一个线程，而不是 5,000 个。）\n"
            "# b、d、f 在计算：无论按什么顺序，一个线程要做的工作都一样多。只有更多的核心\n"
            "# （多个进程，或在计算时释放 GIL 的原生代码）才能让它们变快：靠的是并行，而不是异步。",
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
    "sequential": Text(
        "'sequential' is off: one task after the other, each computing for the whole of its time",
        "'sequential' 不对：任务一个接一个，每个都要计算满它的全部时间",
    ),
    "asyncio": Text(
        "'asyncio' is off: a coroutine that computes never reaches an await that waits, so the event loop "
        "cannot start another task meanwhile",
        "'asyncio' 不对：一个在计算的协程永远走不到需要等待的 await，所以事件循环在此期间无法启动别的任务",
    ),
    "threads": Text(
        "'threads' is off: there is one thread per task, but in CPython (with its GIL) how many threads "
        "can run Python code at the same instant?",
        "'threads' 不对：确实每个任务一个线程，但在 CPython 中（有 GIL），同一时刻能有几个线程运行 Python 代码？",
    ),
}


def _judge_cpu_bound(answer: Any) -> str | Text | None:
    answer = _keys_cleaned(answer)
    if not isinstance(answer, dict) or set(answer) != set(_CPU_STRATEGIES):
        return tr(
            "answer with a dict of four numbers of seconds: "
            "{'sequential': ..., 'asyncio': ..., 'threads': ..., 'processes': ...}",
            "请用含四个秒数的字典来回答：{'sequential': ..., 'asyncio': ..., 'threads': ..., 'processes': ...}",
        )
    if not all(is_number(value) for value in answer.values()):
        return tr("every total must be a number of seconds, like 1.5", "每个总时间都必须是以秒为单位的数，例如 1.5")
    expected = _cpu_expected()
    for strategy in _CPU_STRATEGIES:
        if math.isclose(answer[strategy], expected[strategy]):
            continue
        if strategy in _CPU_HINTS:
            return _CPU_HINTS[strategy]
        if math.isclose(answer[strategy], _CPU_SECONDS):
            return tr(
                f"'processes' is off: there are only {_CPU_PROCESSES} processes for {_CPU_N} tasks; a process "
                f"takes its next task when it has finished one",
                f"'processes' 不对：{_CPU_N} 个任务只有 {_CPU_PROCESSES} 个进程；一个进程做完一个任务后才取下一个",
            )
        if math.isclose(answer[strategy], expected["sequential"]):
            return tr(
                "'processes' is off: each process has a core of its own, so do their computations overlap?",
                "'processes' 不对：每个进程都有自己的核心，那么它们的计算会不会重叠？",
            )
        return tr(
            f"'processes' is off: {_CPU_PROCESSES} processes compute side by side; how many tasks does each "
            f"one get, one after the other?",
            f"'processes' 不对：{_CPU_PROCESSES} 个进程并排计算；每个进程要一个接一个地做几个任务？",
        )
    return None


register(
    Exercise(
        id="01.cpu-bound",
        title=Text("Predict: tasks that compute", "预测：做计算的任务"),
        kind="predict",
        prompt=Text(
            f"{_CPU_N} tasks each compute for {_CPU_SECONDS} s (resize a photo, say): no waiting at all. On the "
            f"virtual clock's model, how many seconds until all {_CPU_N} have finished with\n"
            f"  - 'sequential': one after the other;\n"
            f"  - 'asyncio': one coroutine per task on one event loop;\n"
            f"  - 'threads': a pool of {_CPU_N} threads, one per task (standard CPython, with its GIL);\n"
            f"  - 'processes': a pool of {_CPU_PROCESSES} processes, each with a core of its own?\n"
            f"Answer with a dict: {{'sequential': s, 'asyncio': s, 'threads': s, 'processes': s}}",
            f"{_CPU_N} 个任务各自计算 {_CPU_SECONDS} 秒（比如缩放一张照片），完全没有等待。按虚拟时钟的模型，"
            f"用下面几种方式时，{_CPU_N} 个任务全部结束要多少秒？\n"
            f"  - 'sequential'：一个接一个；\n"
            f"  - 'asyncio'：每个任务一个协程，跑在同一个事件循环上；\n"
            f"  - 'threads'：{_CPU_N} 个线程的线程池，每个任务一个线程（标准 CPython，有 GIL）；\n"
            f"  - 'processes'：{_CPU_PROCESSES} 个进程的进程池，每个进程有自己的核心。\n"
            f"请用字典回答：{{'sequential': 秒数, 'asyncio': 秒数, 'threads': 秒数, 'processes': 秒数}}",
        ),
        judge=_judge_cpu_bound,
        hints=[
            Text(
                "Only one of the four strategies runs Python code on more than one core at the same instant.",
                "四种方式中，只有一种能在同一时刻用多个核心运行 Python 代码。",
            ),
            Text(
                "Asyncio overlaps waits, not computing. CPython's global interpreter lock lets one thread run Python "
                "code at a time, so threads take turns. Processes each have an interpreter (and a core) of their "
                "own, but there are fewer of them than tasks.",
                "asyncio 重叠的是等待，不是计算。CPython 的全局解释器锁（GIL）一次只让一个线程运行 Python 代码，"
                "所以线程只能轮流执行。每个进程都有自己的解释器（和核心），但进程比任务少。",
            ),
        ],
        solution_text=Text(
            "answer = {'sequential': 3.0, 'asyncio': 3.0, 'threads': 3.0, 'processes': 1.0}\n"
            "# sequential, asyncio and threads: 6 x 0.5 s of computing on one core = 3.0 s\n"
            "#   (threads take turns under the GIL: they all finish near 3.0 s, none sooner)\n"
            "# processes: 3 cores, 2 tasks each, one after the other: 2 x 0.5 s = 1.0 s\n"
            "# check it: [run_tasks(6, 0.5, s, work='cpu', workers=3 if s == 'processes' else None).total\n"
            "#            for s in ('sequential', 'asyncio', 'threads', 'processes')]\n"
            "# On a free-threaded build (python3.13t and later, without the GIL) threads would run on\n"
            "# several cores too.",
            "answer = {'sequential': 3.0, 'asyncio': 3.0, 'threads': 3.0, 'processes': 1.0}\n"
            "# sequential、asyncio 和 threads：在一个核心上计算 6 x 0.5 秒 = 3.0 秒\n"
            "#   （线程在 GIL 下轮流执行：它们都在 3.0 秒左右结束，没有一个更早）\n"
            "# processes：3 个核心，每个核心一个接一个做 2 个任务：2 x 0.5 秒 = 1.0 秒\n"
            "# 验证一下：[run_tasks(6, 0.5, s, work='cpu', workers=3 if s == 'processes' else None).total\n"
            "#            for s in ('sequential', 'asyncio', 'threads', 'processes')]\n"
            "# 在自由线程构建（python3.13t 及以后，没有 GIL）上，线程也能在\n"
            "# 多个核心上运行。",
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
        return tr(
            "pass the function itself, pool_total, not a call of it",
            "请传入函数本身 pool_total，而不是调用它的结果",
        )
    for n, latency, workers in _POOL_CASES:
        got = pool_total(n, latency, workers)
        call = f"pool_total({n}, {latency}, {workers})"
        if not is_number(got):
            return tr(f"{call} returned {got!r}: return a number of seconds", f"{call} 返回了 {got!r}：请返回秒数")
        expected = run_tasks(n, latency, "threads", workers=workers).total
        if math.isclose(got, expected, abs_tol=1e-9):
            continue
        rounded_down = n % workers != 0 and math.isclose(got, (n // workers) * latency)
        if rounded_down or math.isclose(got, n * latency / workers):
            return tr(
                f"{call} returned {got!r}, but the timing lab disagrees: a worker runs whole tasks, one after "
                f"the other; when n is not a multiple of the workers, the last round is not full, but it still "
                f"lasts a whole latency",
                f"{call} 返回了 {got!r}，但计时实验的结果不同：每个工作者一次运行一个完整的任务，做完一个再做下一个；"
                f"n 不是工作者数的倍数时，最后一轮不满，但仍要持续整整一个 latency",
            )
        if got < expected:
            return tr(
                f"{call} returned {got!r}, but the timing lab disagrees: with fewer workers than tasks, the "
                f"rest wait for a free worker; how many rounds of tasks does the pool need?",
                f"{call} 返回了 {got!r}，但计时实验的结果不同：工作者比任务少时，其余任务要等有空闲的工作者；"
                f"这个池需要运行几轮任务？",
            )
        return tr(
            f"{call} returned {got!r}, but the timing lab disagrees: the {workers} workers wait at the same "
            f"time; how many rounds of tasks do they need?",
            f"{call} 返回了 {got!r}，但计时实验的结果不同：这 {workers} 个工作者是同时等待的；它们需要运行几轮任务？",
        )
    return None


register(
    Exercise(
        id="01.pool-total",
        title=Text("Write the model: pool_total(n, latency, workers)", "写出模型：pool_total(n, latency, workers)"),
        kind="write",
        prompt=Text(
            "A pool of `workers` threads runs n tasks that each wait `latency` seconds; each worker takes the next "
            "task as soon as it is free. Write pool_total(n, latency, workers) -> float: the seconds until all n "
            "have finished. check() compares it with run_tasks(n, latency, 'threads', workers=workers).total on "
            "the virtual clock for several cases, some where n is not a multiple of workers.",
            "一个有 `workers` 个线程的线程池运行 n 个任务，每个任务等待 `latency` 秒；每个工作者一有空就取下一个任务。"
            "编写 pool_total(n, latency, workers) -> float：n 个任务全部结束所需的秒数。check() 会在虚拟时钟上，"
            "用多组情形（其中有些 n 不是 workers 的倍数）把它与 "
            "run_tasks(n, latency, 'threads', workers=workers).total 进行比较。",
        ),
        judge=_judge_pool_total,
        hints=[
            Text(
                "Draw it: workers are lanes; the first round of tasks starts at t=0, the next when the first ends.",
                "画出来：每个工作者是一条泳道；第一轮任务在 t=0 开始，下一轮在第一轮结束时开始。",
            ),
            Text(
                "The pool runs in rounds of `workers` tasks; a partly filled last round still lasts `latency`. "
                "math.ceil rounds up.",
                "线程池按每轮 `workers` 个任务运行；最后一轮即使没有排满，也要持续 `latency`。math.ceil 向上取整。",
            ),
        ],
        solution_text=Text(
            "import math\n\n"
            "def pool_total(n, latency, workers):\n"
            "    rounds = math.ceil(n / workers)   # 10 tasks on 4 workers: rounds of 4, 4 and 2\n"
            "    return rounds * latency\n",
            "import math\n\n"
            "def pool_total(n, latency, workers):\n"
            "    rounds = math.ceil(n / workers)   # 10 个任务、4 个工作者：三轮分别是 4、4、2 个任务\n"
            "    return rounds * latency\n",
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
        return tr(
            "pass the function itself, fetch_all, not a call of it",
            "请传入函数本身 fetch_all，而不是调用它的结果",
        )
    urls = _fetch_urls()
    probe = _Rendezvous(len(urls), FETCH_PATIENCE)
    try:
        got = fetch_all(list(urls), probe.fetch)
    except threading.BrokenBarrierError:
        if probe.peak <= 1:
            return tr(
                "your fetches ran one at a time: each call waited for the one before it to return. Submit every "
                "call to the pool first (pool.submit or pool.map), and only then collect the results",
                "你的 fetch 调用是一次一个地运行的：每次调用都在等前一次返回。先把所有调用都提交给线程池"
                "（pool.submit 或 pool.map），然后再收集结果",
            )
        return tr(
            f"at most {probe.peak} of the {len(urls)} fetches were in flight at once: a pool runs only as many "
            f"calls at a time as it has threads, and ThreadPoolExecutor() without max_workers has at most 32. "
            f"How many threads does this pool need?",
            f"{len(urls)} 次 fetch 中，同时进行的最多只有 {probe.peak} 次：线程池同一时刻能运行的调用数等于它的线程数，"
            f"而不指定 max_workers 的 ThreadPoolExecutor() 最多只有 32 个线程。这个线程池需要多少个线程？",
        )
    if probe.calls != len(urls):
        return tr(
            f"fetch was called {probe.calls} times for {len(urls)} urls: call it exactly once per url",
            f"{len(urls)} 个 url，fetch 却被调用了 {probe.calls} 次：每个 url 应当恰好调用一次",
        )
    if not isinstance(got, (list, tuple)):
        kind = type(got).__name__
        return tr(
            f"fetch_all returned {kind}, not a list: pool.map gives an iterator; list(...) collects the replies",
            f"fetch_all 返回的是 {kind}，不是列表：pool.map 给出的是迭代器；用 list(...) 把答复收集起来",
        )
    expected = [f"<page of {url}>" for url in urls]
    if list(got) == expected:
        return None
    if sorted(map(str, got)) == sorted(expected):
        return tr(
            "right replies, wrong order: return them in the order of urls, not in the order they finished "
            "(pool.map keeps the order; so does collecting futures in the order you submitted them)",
            "答复对了，顺序错了：要按 urls 的顺序返回，而不是按完成的先后"
            "（pool.map 会保持顺序；按提交的顺序收集 future 也一样）",
        )
    return tr(
        "return what fetch(url) returned, one reply per url, in the order of urls",
        "请返回 fetch(url) 的返回值，每个 url 一个答复，按 urls 的顺序排列",
    )


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
        title=Text(
            "Write it with the standard library: fetch_all(urls, fetch)", "用标准库来写：fetch_all(urls, fetch)"
        ),
        kind="write",
        prompt=Text(
            "Write fetch_all(urls, fetch) -> list: call fetch(url) for every url, all of them at the same time, "
            "on a concurrent.futures.ThreadPoolExecutor, and return the replies in the order of urls.\n"
            f"check() passes {FETCH_COUNT} urls and a fetch that returns only once all {FETCH_COUNT} calls are in "
            f"flight together (a threading.Barrier): code that fetches one at a time fails after "
            f"{FETCH_PATIENCE:g} s.",
            "编写 fetch_all(urls, fetch) -> list：在一个 concurrent.futures.ThreadPoolExecutor 上，"
            "同时对每个 url 调用 fetch(url)，并按 urls 的顺序返回答复。\n"
            f"check() 会传入 {FETCH_COUNT} 个 url 和一个特殊的 fetch：只有当 {FETCH_COUNT} 次调用全都同时进行时"
            f"它才会返回（用的是 threading.Barrier）；一次只取一个的代码会在 {FETCH_PATIENCE:g} 秒后失败。",
        ),
        judge=_judge_fetch_all,
        hints=[
            Text(
                "A pool runs at most max_workers calls at a time; the rest wait in the pool's queue for a free thread.",
                "线程池同一时刻最多运行 max_workers 个调用；其余的在线程池的队列中等待空闲线程。",
            ),
            Text(
                "with ThreadPoolExecutor(max_workers=len(urls)) as pool: ... pool.map(fetch, urls) submits every "
                "call at once and yields the replies in the order of urls.",
                "with ThreadPoolExecutor(max_workers=len(urls)) as pool: ... 中的 pool.map(fetch, urls) "
                "会一次提交所有调用，并按 urls 的顺序给出答复。",
            ),
        ],
        solution_text=Text(
            "from concurrent.futures import ThreadPoolExecutor\n\n"
            "def fetch_all(urls, fetch):\n"
            "    with ThreadPoolExecutor(max_workers=len(urls)) as pool:   # one thread per url: all wait at once\n"
            "        return list(pool.map(fetch, urls))                    # replies in the order of urls\n",
            "from concurrent.futures import ThreadPoolExecutor\n\n"
            "def fetch_all(urls, fetch):\n"
            "    with ThreadPoolExecutor(max_workers=len(urls)) as pool:   # 每个 url 一个线程：同时等待\n"
            "        return list(pool.map(fetch, urls))                    # 答复按 urls 的顺序排列\n",
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
