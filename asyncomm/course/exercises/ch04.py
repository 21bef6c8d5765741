"""Exercises of chapter 04 (the seed's code example): predict its crash, find its bugs, fix its clear and its trigger.

>>> from asyncomm import exercises
>>> exercises.get("04.find-bugs").check({"prints-method"}).outcome.value
'incorrect'
"""

from __future__ import annotations

import inspect
import queue
import textwrap
import threading
import time
from typing import Any

from asyncomm.course.exercises._core import Exercise, clean_text, describe_error, register
from asyncomm.course.locator import load_seed_example
from asyncomm.teaching.interleave import race_clear_during_receive

__all__ = ["SEED_BUGS", "SEED_BUG_MENU"]

# The menu mixes real bugs of the seed's program with claims that are false;
# its order is fixed and says nothing about which is which.
SEED_BUG_MENU: dict[str, str] = {
    "prints-method": "main() prints the send_message method instead of the message it sent",
    "fifo-broken": "queue.Queue may hand messages out in a different order than they were put in",
    "trigger-drops-data": "trigger_event() calls every listener without the event's data",
    "receive-blocks-forever": "receive_message() on an empty queue blocks its caller forever (no timeout, no close)",
    "put-not-thread-safe": "send_message() is not safe to call from two threads at once",
    "clear-skips-lock": "clear_queue() empties the Queue's inner deque without taking the Queue's lock: it races "
    "with put/get, wakes no blocked sender and leaves unfinished_tasks counting dropped messages",
    "no-event-names": "EventDriver has no event names: every listener hears every trigger",
    "listeners-random-order": "trigger_event() calls the listeners in an unpredictable order",
    "remove-during-trigger": "a listener that removes itself during trigger_event() makes the next listener "
    "miss that trigger",
    "shadows-module": "in main() the variable `queue` hides the queue module",
    "remove-ignores-missing": "remove_listener() silently ignores a listener that was never registered",
    "thread-not-joined": "the thread is started but never joined: main() may end before the callback ran",
    "not-a-callback": "the 'callback' is just a function run in a new thread: no work finishes and calls it back",
    "never-received": "nothing ever receives the message main() puts in the queue: the thread is handed its own "
    "copy, and clear_queue() (once the crash is fixed) throws the queued one away",
}

SEED_BUGS: frozenset[str] = frozenset(
    {
        "prints-method",
        "trigger-drops-data",
        "receive-blocks-forever",
        "clear-skips-lock",
        "no-event-names",
        "remove-during-trigger",
        "shadows-module",
        "thread-not-joined",
        "not-a-callback",
        "never-received",
    }
)


# -- 04.predict-crash ------------------------------------------------------------


def _exception_name(answer: Any) -> str | None:
    """The class name in any reasonable form of answer, lower case: a class, an instance, or a string such as
    'TypeError', ' typeerror', 'builtins.TypeError', 'TypeError()'; None if it names no class."""
    if isinstance(answer, BaseException):
        answer = type(answer)
    if isinstance(answer, type):
        return answer.__name__.lower()
    if not isinstance(answer, str):
        return None
    name = "".join(clean_text(answer).split())  # 'Type Error' too
    if name.endswith(")") and "(" in name:  # TypeError() or TypeError('...'): the class is before the call
        name = name[: name.index("(")]
    return name.rsplit(".", 1)[-1] or None  # builtins.TypeError, queue.Empty


def _judge_crash(answer: Any) -> str | None:
    name = _exception_name(answer)
    if name is None:
        return "give an exception class such as ValueError (or its name as a string)"
    if name == "typeerror":
        return None
    if name == "empty":
        return "nothing in main() waits with a timeout, so queue.Empty is never raised; look at the event driver"
    if name == "attributeerror":
        return (
            "every attribute main() uses exists (printing a method is wrong, but allowed); "
            "look at how listeners are called"
        )
    return "not that one: compare how trigger_event() calls a listener with the parameters callback_function takes"


register(
    Exercise(
        id="04.predict-crash",
        title="How does the seed's main() end?",
        kind="predict",
        prompt=(
            "Read the seed's program and predict, before running it: main() stops with an exception. "
            "Which exception class? Answer with the class, e.g. `answer = ValueError`."
        ),
        judge=_judge_crash,
        hints=[
            "Follow main() line by line and stop at the first call whose arguments do not fit the function.",
            "event_driver.trigger_event() calls each listener as listener(); the listener is "
            "callback_function(message).",
        ],
        solution_text=(
            "answer = TypeError\n"
            "# trigger_event() calls callback_function() with no argument, and callback_function needs\n"
            "# `message`:\n"
            "# TypeError: callback_function() missing 1 required positional argument: 'message'"
        ),
        reference=TypeError,
        wrong_answers=[
            AttributeError,
            "Empty",
            NameError,
            42,
            ValueError("x"),
            "builtins.ValueError",
            "queue.Empty()",
            "",
            None,
        ],
    )
)


# -- 04.find-bugs ----------------------------------------------------------------


def _judge_bugs(answer: Any) -> str | None:
    if isinstance(answer, str):
        return "give a set of labels such as {'label-one', 'label-two'}, not a single string"
    if not isinstance(answer, (set, frozenset, list, tuple)) or not all(isinstance(x, str) for x in answer):
        return "give a set of labels (strings) copied from the menu"
    chosen = set(answer)
    unknown = sorted(chosen - set(SEED_BUG_MENU))
    if unknown:
        return f"not on the menu: {', '.join(map(repr, unknown))}; copy the labels exactly"
    found = chosen & SEED_BUGS
    false_alarms = chosen - SEED_BUGS
    if found == SEED_BUGS and not false_alarms:
        return None
    message = f"you found {len(found)} of the {len(SEED_BUGS)} bugs and hazards"
    if false_alarms:
        verb = "describes" if len(false_alarms) == 1 else "describe"
        message += f"; {len(false_alarms)} of your labels {verb} something the code gets right"
    return message


def _menu_text() -> str:
    width = max(map(len, SEED_BUG_MENU))
    return "\n".join(f"  {label:<{width}}  {text}" for label, text in SEED_BUG_MENU.items())


register(
    Exercise(
        id="04.find-bugs",
        title="Find the seed's bugs and hazards",
        kind="predict",
        prompt=(
            "Which of these statements about the seed's program are true - bugs, or hazards waiting to bite? "
            "Some are; the others describe something the code gets right. Answer with the set of labels, e.g. "
            "`answer = {'label-one', 'label-two'}`.\n\n" + _menu_text()
        ),
        judge=_judge_bugs,
        hints=[
            "When unsure, test the claim: a two-line experiment settles most of them, and "
            "help(queue.Queue) says what queue.Queue promises.",
            "queue.Queue is documented as FIFO and thread-safe; a Python list keeps its order; list.remove "
            "raises ValueError for a missing item. Besides the crash you saw, look at what main() prints, what "
            "it starts and never waits for, and at what clear_queue() touches: self.queue.queue is the deque "
            "*inside* queue.Queue.",
            "Removing from a list while a for-loop walks it shifts the remaining items one place left.",
        ],
        solution_text="answer = {" + ", ".join(repr(b) for b in SEED_BUG_MENU if b in SEED_BUGS) + "}",
        reference=set(SEED_BUGS),
        wrong_answers=[
            "prints-method",
            {"trigger-drops-data"},
            set(SEED_BUG_MENU),
            {"not-on-menu"},
            set(SEED_BUGS - {"remove-during-trigger"}),
        ],
    )
)


# -- 04.fix-clear ----------------------------------------------------------------


class _SafeMessageQueue:
    def __init__(self):
        self.queue = queue.Queue()

    def send_message(self, message):
        self.queue.put(message)

    def receive_message(self):
        return self.queue.get()

    def clear_queue(self):
        while True:  # take each message through the Queue's own lock, as a receiver would
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return
            self.queue.task_done()  # a dropped message is done: join() must not wait for it


class _LockOnly(_SafeMessageQueue):  # no race, but the bookkeeping still counts dropped messages
    def clear_queue(self):
        with self.queue.mutex:
            self.queue.queue.clear()


class _NoWakeUp(_SafeMessageQueue):  # no race, right count, but a blocked sender sleeps on
    def clear_queue(self):
        with self.queue.mutex:
            self.queue.unfinished_tasks -= len(self.queue.queue)
            self.queue.queue.clear()


class _NewQueue(_SafeMessageQueue):  # whoever waits on the old Queue keeps waiting there
    def clear_queue(self):
        self.queue = queue.Queue()


#: How long the check gives a blocked sender to wake after clear_queue() (seconds); a woken one takes microseconds.
WAKE_TIMEOUT = 1.0


def _sender_woken(answer: type) -> str | None:
    """Block a sender on a full queue (maxsize 1), clear, and see whether the sender gets on."""
    mq = answer()
    bounded: queue.Queue[Any] = queue.Queue(maxsize=1)
    mq.queue = bounded
    mq.send_message("a")
    sender = threading.Thread(target=mq.send_message, args=("b",), daemon=True)
    sender.start()
    deadline = time.monotonic() + 5.0
    while len(bounded.not_full._waiters) != 1:  # type: ignore[attr-defined]  # CPython's list of sleepers
        if time.monotonic() > deadline or not sender.is_alive():
            raise RuntimeError("04.fix-clear: the test's sender never blocked on the full queue")
        time.sleep(0.001)
    mq.clear_queue()
    sender.join(WAKE_TIMEOUT)
    if not sender.is_alive():
        return None
    while bounded.qsize():  # make room on the test's own queue, and wake its sender, so the thread ends
        bounded.get_nowait()
    with bounded.not_full:
        bounded.not_full.notify_all()
    sender.join(5.0)
    if mq.queue is not bounded:
        return (
            "clear_queue() put a new Queue in self.queue: a sender already waiting on the old one is never woken "
            "(and a receiver there never gets a message); empty the queue you have"
        )
    return (
        "a sender waiting for room on a full queue was not woken by clear_queue(): emptying the deque does not "
        "notify it; take the messages out with get_nowait(), which wakes it as any receive does"
    )


def _judge_clear(answer: Any) -> str | None:
    if not isinstance(answer, type):
        return "set answer to your class itself (answer = SafeMessageQueue), not an instance or a string"
    for method in ("send_message", "receive_message", "clear_queue"):
        if not callable(getattr(answer, method, None)):
            return f"your class has no method {method}(); keep the seed's methods"
    outcome = race_clear_during_receive(answer())
    if outcome.error is not None:
        return (
            f"the race of section 5.4 still happens: the receiver raised {describe_error(outcome.error)}; "
            "clear_queue() must wait for the Queue's lock, as get() and put() do"
        )
    if outcome.received != "Hello, World!" or outcome.left:
        return "with a receive under way, the receiver must get its message and the clear empty the rest"
    mq = answer()
    for message in ("a", "b", "c"):
        mq.send_message(message)
    mq.clear_queue()
    if mq.queue.qsize():
        return f"clear_queue() left {mq.queue.qsize()} of 3 messages in the queue"
    if mq.queue.unfinished_tasks:
        return (
            f"queue.join() would wait for ever: the {mq.queue.unfinished_tasks} dropped messages still count as "
            "unfinished tasks; call task_done() once for each message you drop"
        )
    return _sender_woken(answer)


register(
    Exercise(
        id="04.fix-clear",
        title="Fix clear_queue so it goes through the queue's lock",
        kind="fix",
        prompt=(
            "The seed's clear_queue() empties the deque inside queue.Queue behind the Queue's back. Fix it in the "
            "cell below (the seed's MessageQueue, renamed) so that: a receive under way still gets its message "
            "(the race above cannot happen); queue.join() does not wait for the dropped messages; a sender "
            "blocked on a full queue is woken. Then set `answer = SafeMessageQueue`."
        ),
        judge=_judge_clear,
        hints=[
            "Could you empty the queue with the Queue's own public methods, one message at a time, until it "
            "says it is empty? Those methods take the lock, and wake blocked senders, for you.",
            "Loop: `self.queue.get_nowait()` until it raises `queue.Empty`; after each message, "
            "`self.queue.task_done()`, because a dropped message is done too.",
        ],
        solution_text=(
            "import queue\n\n\n"
            + textwrap.dedent(inspect.getsource(_SafeMessageQueue)).replace("_SafeMessageQueue", "SafeMessageQueue")
            + "\n\nanswer = SafeMessageQueue\n"
        ),
        reference=_SafeMessageQueue,
        wrong_answers=[
            load_seed_example()["MessageQueue"],  # the seed's class, as published
            _LockOnly,
            _NoWakeUp,
            _NewQueue,
            _SafeMessageQueue(),
        ],
    )
)


# -- 04.fix-trigger --------------------------------------------------------------


class _FixedEventDriver:
    def __init__(self):
        self.events = []

    def register_listener(self, listener):
        self.events.append(listener)

    def trigger_event(self, *args, **kwargs):
        for listener in list(self.events):  # a copy: listeners may remove themselves
            listener(*args, **kwargs)

    def remove_listener(self, listener):
        self.events.remove(listener)


class _LiveListDriver(_FixedEventDriver):  # passes the data, but walks the live list
    def trigger_event(self, *args, **kwargs):
        for listener in self.events:
            listener(*args, **kwargs)


class _ArgsOnlyDriver(_FixedEventDriver):  # forgets keyword data
    def trigger_event(self, *args):
        for listener in list(self.events):
            listener(*args)


class _OneMessageDriver(_FixedEventDriver):  # takes one message: keyword data is refused
    def trigger_event(self, message):
        for listener in list(self.events):
            listener(message)


def _judge_driver(answer: Any) -> str | None:
    if not callable(answer):
        return "set answer to your class itself (answer = FixedEventDriver), not an instance or a string"
    driver = answer()
    for method in ("register_listener", "trigger_event", "remove_listener"):
        if not callable(getattr(driver, method, None)):
            return f"your class has no method {method}(); keep the seed's three methods"
    if len(inspect.signature(driver.trigger_event).parameters) == 0:
        return "trigger_event() still takes no data: give it parameters and pass them on to each listener"

    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def listener(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            calls.append((name, args, kwargs))

        return record

    a, b = listener("a"), listener("b")
    driver.register_listener(a)
    driver.register_listener(b)
    driver.trigger_event("Hello, World!")
    if [c[0] for c in calls] != ["a", "b"]:
        return "each registered listener must be called once per trigger, in registration order"
    if any(c[1] != ("Hello, World!",) for c in calls):
        return "a listener did not receive the event's data: pass trigger_event's arguments on to it"
    calls.clear()
    try:
        driver.trigger_event("Hello", sender="main")
    except TypeError as error:  # trigger_event takes no keyword arguments
        return (
            f"keyword data was lost: pass on **kwargs as well as *args (trigger_event('Hello', "
            f"sender='main') raised TypeError: {error})"
        )
    if any(c[1:] != (("Hello",), {"sender": "main"}) for c in calls):
        return "keyword data was lost: pass on **kwargs as well as *args"

    driver = answer()
    calls.clear()

    def leave_after_first(*args: Any, **kwargs: Any) -> None:
        calls.append(("leaver", args, kwargs))
        driver.remove_listener(leave_after_first)

    driver.register_listener(leave_after_first)
    driver.register_listener(b)
    driver.trigger_event("ping")
    if [c[0] for c in calls] != ["leaver", "b"]:
        return (
            "a listener that removed itself during trigger_event() made the next listener miss the event: "
            "walk over a copy of the list"
        )
    calls.clear()
    driver.trigger_event("pong")
    if [c[0] for c in calls] != ["b"]:
        return "a removed listener was still called: remove_listener() must take it out for later triggers"

    received: list[str] = []

    def callback_function(message: str) -> None:  # the seed's listener
        received.append(f"Received message: {message}")

    driver = answer()
    driver.register_listener(callback_function)
    driver.trigger_event("Hello, World!")
    if received != ["Received message: Hello, World!"]:
        return "the seed's callback_function(message) did not get the message"
    return None


register(
    Exercise(
        id="04.fix-trigger",
        title="Fix trigger_event so listeners get the data",
        kind="fix",
        prompt=(
            "The seed's EventDriver calls every listener as listener(), so callback_function(message) crashes. "
            "Fix the class in the cell below so that trigger_event(*args, **kwargs) hands the event's data "
            "(positional and keyword) to each listener, in registration order - and so that a listener may "
            "remove itself while being called without the next listener missing the event (the hazard of "
            "section 5.2). Then set `answer = FixedEventDriver`."
        ),
        judge=_judge_driver,
        hints=[
            "trigger_event needs parameters to receive the data: `def trigger_event(self, *args, **kwargs)`.",
            "Call each listener with the same data: `listener(*args, **kwargs)`.",
            "Removing from a list while a for-loop walks it skips the next item; loop over `list(self.events)`.",
        ],
        solution_text=(
            textwrap.dedent(inspect.getsource(_FixedEventDriver)).replace("_FixedEventDriver", "FixedEventDriver")
            + "\n\nanswer = FixedEventDriver\n"
        ),
        reference=_FixedEventDriver,
        wrong_answers=[
            load_seed_example()["EventDriver"],  # the seed's class, as published
            _LiveListDriver,
            _ArgsOnlyDriver,
            _OneMessageDriver,
            _FixedEventDriver(),
        ],
    )
)
