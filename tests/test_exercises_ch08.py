"""Chapter 08 exercises: the checks need no server, and their answers hold on a real one."""

from __future__ import annotations

import re
import time

import pytest

import asyncomm as ac
from asyncomm.course.exercises import Outcome
from asyncomm.course.exercises.ch08 import (
    DEAD_LETTER_MAX_DELIVERIES,
    FIRST_LOOK,
    ROUND_TRIPS,
    ROUND_TRIPS_PER_BATCH,
    play_dead_letter_scenario,
)
from asyncomm.labs.redis_lab import BrokerSession
from asyncomm.reliable.redis_streams import RedisStreamQueue

IDS = ["08.dead-letters", "08.visibility-timeout", "08.round-trips", "08.rpc-client"]


# -- 08.dead-letters ---------------------------------------------------------------------------------------------


def test_dead_letter_scenario_in_memory_gives_each_reason():
    clock = ac.VirtualClock()
    q = ac.ReliableQueue(visibility_timeout=30, max_deliveries=DEAD_LETTER_MAX_DELIVERIES, clock=clock)
    assert play_dead_letter_scenario(q, clock.advance) == ["m2", "m4", "m5"]
    assert [(d.message, d.reason, d.deliveries) for d in q.dead_letters()] == [
        ("m2", "max deliveries", 2),
        ("m4", "rejected", 1),
        ("m5", "max deliveries", 2),
    ]
    assert clock.now() == pytest.approx(2 * 33)  # waited out two crashes


def test_dead_letter_reference_holds_on_redis(redis_url):
    q = RedisStreamQueue(redis_url, "ex08-orders", visibility_timeout=0.2, max_deliveries=DEAD_LETTER_MAX_DELIVERIES)
    q._client.xadd(q.stream, {"data": "hello"})  # the entry another program wrote: not JSON
    letters = play_dead_letter_scenario(q, time.sleep)
    assert {"raw" if name == "hello" else name for name in letters} == ac.exercises.get("08.dead-letters").reference
    reasons = {d.message: (d.reason.split(":")[0], d.deliveries) for d in q.dead_letters()}
    assert reasons == {
        "hello": ("malformed", 1),
        "m2": ("max deliveries", 2),
        "m4": ("rejected", 1),
        "m5": ("max deliveries", 2),
    }
    q.close()


def test_dead_letters_accepts_any_collection_of_names():
    ex = ac.exercises.get("08.dead-letters")
    assert ex.check(["raw", "m2", "m4", "m5"]).outcome is Outcome.CORRECT
    assert ex.check({"m2", "m4", "m5"}).message.startswith("what does a consumer do with an entry it cannot decode")
    assert ex.check({"m2", "m3", "m4", "m5", "raw"}).message.startswith("a crash is not the message's fault")


# -- 08.visibility-timeout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "start"),
    [
        (55, None),
        (64, None),
        (60.5, None),
        (64.5, "a crashed consumer's job only just restarts in time: at worst it comes back 80.625 s"),
        (72, "a crashed consumer's job only just restarts in time"),
        (80, "a crashed consumer's job can start again 100 s after the crash"),
        (72.5, "a crashed consumer's job can start again 90.625 s after the crash"),
        (44, "with visibility_timeout=44 the 45 s job was handed to a second consumer at t = 44 s"),
        (45, "with visibility_timeout=45 the 45 s job was handed to a second consumer at t = 45 s"),
        (54.9, "the longest job only just fits"),
        (90.5, "a crashed consumer's job can start again 113.125 s after the crash (the timeout, plus up to"),
        (72.1, "a crashed consumer's job can start again 90.125 s after the crash"),
        (44.5, "with visibility_timeout=44.5 the 45 s job was handed to a second consumer at t = 44.5 s"),
        (float("nan"), "answer with a number of seconds"),
    ],
)
def test_visibility_timeout_limits(answer, start):
    result = ac.exercises.get("08.visibility-timeout").check(answer)
    if start is None:
        assert result.outcome is Outcome.CORRECT, result
    else:
        assert result.outcome is Outcome.INCORRECT and result.message.startswith(start), result


# -- 08.round-trips ----------------------------------------------------------------------------------------------


def test_round_trip_counts_are_what_redis_stream_queue_sends(redis_url):
    with BrokerSession(redis_url, "url", prefix="ex08") as session:
        q, counter = session.counted_queue("trips")
        q.send("m")
        sent = counter.take()
        q.receive_nowait(consumer="c1").ack()
        first = counter.take()
        q.send("m")
        sent = counter.take()
        d = q.receive_nowait(consumer="c1")
        received = counter.take()
        d.ack()
        acked = counter.take()
    assert len(first) == FIRST_LOOK + len(received) + len(acked)  # the first receive also looked for returns
    assert {"send": len(sent), "receive": len(received), "ack": len(acked)} == ROUND_TRIPS


def test_round_trips_per_batch_match_the_throughput_lab(redis_url):
    from asyncomm.labs.redis_lab import throughput

    with BrokerSession(redis_url, "url", prefix="ex08") as session:
        rows = throughput(session, messages=200, batch=100)
    assert rows[2]["round_trips"] == 2 * ROUND_TRIPS_PER_BATCH
    assert rows[1]["round_trips"] == 200 * sum(ROUND_TRIPS.values()) + FIRST_LOOK


def test_round_trips_hints():
    ex = ac.exercises.get("08.round-trips")
    assert ex.check((1.5, 0.015)).outcome is Outcome.CORRECT
    assert ex.check((1.5, 0.0150000001)).outcome is Outcome.CORRECT
    assert ex.check((2, 0.015)).message.startswith("one by one: after the first receive, a receive is one round trip")
    assert ex.check((1.5, 0.005)).message == "pipelined: each batch takes three round trips (send, read, ack), not one"
    assert ex.check((3.0, 0.015)).message == "one by one: messages x round trips per message x time per round trip"


def test_round_trips_accepts_a_list_of_two():
    ex = ac.exercises.get("08.round-trips")
    assert ex.check([1.5, 0.015]).outcome is Outcome.CORRECT
    assert ex.check([1.5, 0.005]).message == "pipelined: each batch takes three round trips (send, read, ack), not one"
    assert ex.check([1.5, 0.015, 0.0]).message == (
        "answer with a pair of numbers of seconds: answer = (one_by_one, pipelined)"
    )


def test_visibility_timeout_replays_to_the_exact_instant():
    from fractions import Fraction

    from asyncomm.course.exercises.ch08 import _replay_visibility

    assert _replay_visibility(90.5) == (None, 90.5)
    assert _replay_visibility(60) == (None, 60)
    assert _replay_visibility(30) == (30, 30)
    assert ac.exercises.get("08.visibility-timeout").check(Fraction(121, 2)).outcome is Outcome.CORRECT


def test_dead_letters_reads_names_loosely():
    ex = ac.exercises.get("08.dead-letters")
    assert ex.check({"M2", "M4", "M5", "RAW"}).outcome is Outcome.CORRECT
    assert ex.check({"m2", "m4", "m5", "'raw'"}).outcome is Outcome.CORRECT
    assert ex.check({"m2", "m4", "m5", "raw", "m9"}).message == (
        "the entries are m1 .. m6 and 'raw'; ['m9'] is not one of them"
    )


def test_the_chapter_registers_exactly_these_exercises():
    assert sorted(ex.id for ex in ac.exercises.all_exercises() if ex.id.startswith("08.")) == sorted(IDS)


# -- what chapter 08 needs installed --------------------------------------------------------------------------------


def test_the_quick_start_installs_redis_py_so_08_needs_only_a_redis_server():
    """The README's quick start installs the course extra; chapter 08 talks to Redis through redis-py, so the course
    extra must bring it (it used to come with the redis extra only: 08 then printed "redis-py is not installed")."""
    import re
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    extras = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]

    def names(requirements):
        return {re.split(r"[<>=!~\[ ;]", requirement)[0].lower() for requirement in requirements}

    quick_start = (root / "README.md").read_text(encoding="utf-8").split("# 1. set up and open the course")[1]
    assert "pip install '.[course]'" in quick_start.splitlines()[1]
    assert names(extras["redis"]) <= names(extras["course"]) and "redis" in names(extras["course"])


# -- 08.rpc-client -------------------------------------------------------------------------------------------------


def test_rpc_client_solution_runs_as_pasted_in_the_chapter():
    import uuid

    namespace: dict = {}
    exec(ac.exercises.get("08.rpc-client").solution(), {"ac": ac, "uuid": uuid}, namespace)
    assert ac.exercises.get("08.rpc-client").check(namespace["rpc_client"]).outcome is Outcome.CORRECT


def test_rpc_client_reference_passes_the_messaging_checker_on_a_given_server(redis_url):
    from asyncomm.course.exercises.ch08 import rpc_client
    from asyncomm.labs.messaging import check_rpc_client_redis

    found = check_rpc_client_redis(rpc_client, redis_url, n=3)
    assert found.ok and found.results == [1, 4, 9], found


def test_rpc_client_placeholder_is_recognised_without_running_it():
    """Run, the placeholder would keep the checking server waiting 5 s for requests that never come."""
    from asyncomm.course.exercises.ch08 import _only_raises_not_implemented

    def rpc_client(requests, bodies):
        """Not written yet."""
        raise NotImplementedError  # replace this line

    def started(requests, bodies):
        requests.send({"body": 1})
        raise NotImplementedError

    assert _only_raises_not_implemented(rpc_client)
    assert not _only_raises_not_implemented(started)
    assert not _only_raises_not_implemented(print)  # no source: judged by running it
    assert ac.exercises.get("08.rpc-client").check(rpc_client).outcome is Outcome.NOT_ATTEMPTED


def test_rpc_client_hints_name_each_mistake():
    from asyncomm.course.exercises.ch08 import _rpc_variant

    ex = ac.exercises.get("08.rpc-client")
    assert ex.check(_rpc_variant(same_id=True)).message.startswith("two requests carried the same correlation_id")
    assert ex.check(_rpc_variant(check_id=False, reorder=False)).message.startswith("a reply whose correlation_id")
    assert ex.check(_rpc_variant(reorder=False)).message.startswith("the replies came back in a different order")

    async def rpc_client(requests, bodies):
        return []

    assert ex.check(rpc_client).message.startswith("rpc_client must be a plain function (def, not async def)")


# -- the Chinese edition ----------------------------------------------------------------------------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_wrong_answers_get_chinese_feedback_in_the_chinese_edition():
    for exercise_id in IDS:
        ex = ac.exercises.get(exercise_id)
        for wrong in ex.wrong_answers:
            english = ex.check(wrong).message
            ac.set_language("zh")
            try:
                chinese = ex.check(wrong).message
            finally:
                ac.set_language("en")
            assert CJK.search(chinese) and chinese != english, (exercise_id, wrong, chinese)


def test_the_chinese_rpc_solution_is_the_same_code_with_chinese_comments():
    import uuid

    ex = ac.exercises.get("08.rpc-client")
    english = ex.solution()
    ac.set_language("zh")
    try:
        chinese = ex.solution()
    finally:
        ac.set_language("en")
    assert [line.split("  #")[0] for line in chinese.splitlines()] == [
        line.split("  #")[0] for line in english.splitlines()
    ]
    assert all(CJK.search(line.split("  #")[1]) for line in chinese.splitlines() if "  #" in line)
    namespace: dict = {}
    exec(chinese, {"ac": ac, "uuid": uuid}, namespace)
    assert ex.check(namespace["rpc_client"]).outcome is Outcome.CORRECT


def test_the_rpc_checker_problems_are_shown_in_chinese():
    from asyncomm.course.exercises.ch08 import zh_rpc_problem

    problems = [
        "a request must be a dict with the keys 'body', 'reply_to' (where to send the reply) and 'correlation_id' "
        "(to match the reply to its request), got 3",
        "your client raised KeyError: 'body'",
        "the server received 1 of 5 requests before it gave up waiting: send every request first, then collect the "
        "replies",
        "return a list with one result per body, in the order of the bodies, got None",
    ]
    for problem in problems:
        assert CJK.search(zh_rpc_problem(problem)), problem
