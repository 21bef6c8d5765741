"""Chapter 08's glue on a real redis-server: connect-or-start, fresh streams, round-trip counts, throughput rows,
and the fault lab on Redis (threads and processes) against the in-memory lab."""

from __future__ import annotations

import gc
import re

import pytest

import asyncomm as ac
from asyncomm.labs import redis_lab
from asyncomm.labs.redis_lab import (
    NO_BROKER,
    BrokerSession,
    RoundTripCounter,
    available,
    compare_with_memory,
    connect,
    run_redis_lab,
    throughput,
)

UNREACHABLE = "redis://127.0.0.1:1/0"
NO_SERVER_TAIL = (
    "and no redis-server installed. Start one (see 'How to start a server'), or name a running one: "
    "connect('redis://localhost:6379/0') or set REDIS_URL; then run this cell again. Until then the "
    "broker cells print 'skipped: no broker'."
)


@pytest.fixture(scope="module")
def server(redis_server):
    return redis_server


@pytest.fixture
def session(server):
    with BrokerSession(server.url, "url", prefix="test") as opened:
        yield opened


# -- connect ---------------------------------------------------------------------------------------------------


def test_connect_without_server_or_binary_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert connect(executable="/nonexistent") is None
    assert capsys.readouterr().out == f"No Redis server reachable at REDIS_URL (not set) {NO_SERVER_TAIL}\n"
    monkeypatch.setenv("REDIS_URL", "redis://:hunter2@127.0.0.1:1/0")
    assert connect(executable="/nonexistent") is None
    assert capsys.readouterr().out == f"No Redis server reachable at redis://:***@127.0.0.1:1/0 {NO_SERVER_TAIL}\n"
    assert connect(UNREACHABLE, executable="/nonexistent", quiet=True) is None
    assert capsys.readouterr().out == ""


def test_connect_with_a_file_that_is_not_a_program_finds_no_binary(tmp_path, capsys):
    fake = tmp_path / "redis-server"
    fake.write_text("not a program")
    assert connect(UNREACHABLE, executable=str(fake)) is None
    assert capsys.readouterr().out == f"No Redis server reachable at {UNREACHABLE} {NO_SERVER_TAIL}\n"


def test_connect_without_redis_py_says_how_to_install_it(monkeypatch, capsys):
    real_find_spec = redis_lab.importlib.util.find_spec
    monkeypatch.setattr(
        redis_lab.importlib.util, "find_spec", lambda name, *a: None if name == "redis" else real_find_spec(name, *a)
    )
    assert connect(UNREACHABLE) is None
    assert capsys.readouterr().out.startswith("redis-py is not installed: pip install 'asyncomm[redis]'")


def test_connect_to_a_server_that_wants_a_password_says_where_to_put_it(server, capsys):
    import redis

    admin = redis.Redis.from_url(server.url)
    admin.config_set("requirepass", "s3cret")
    try:
        assert connect(server.url) is None
        assert capsys.readouterr().out == (
            f"The Redis server at {server.url} wants a password: put it in the URL (redis://:PASSWORD@host:port/0) "
            "or in REDIS_URL, then run this cell again. Until then the broker cells print 'skipped: no broker'.\n"
        )
        with_password = server.url.replace("redis://", "redis://:s3cret@")
        session = connect(with_password)
        assert session is not None and capsys.readouterr().out.startswith("Using the Redis server at redis://:***@")
        session.close()
    finally:
        redis.Redis.from_url(server.url, password="s3cret").config_set("requirepass", "")
        admin.close()


def test_connect_starts_a_private_server_when_the_url_does_not_answer(server, monkeypatch, capsys):
    monkeypatch.delenv("REDIS_URL", raising=False)
    session = connect(executable=server.executable)
    assert capsys.readouterr().out == (
        "Using a private redis-server started for this chapter (LocalRedis); session.close() stops it.\n"
    )
    assert session is not None and session.source == "LocalRedis" and session.url != server.url
    assert ac.reliable.local_redis.reachable(session.url)
    fallback = connect(UNREACHABLE)
    assert fallback is not None
    assert capsys.readouterr().out == (
        f"No Redis server reachable at {UNREACHABLE}; using a private redis-server "
        f"started for this chapter (LocalRedis); session.close() stops it.\n"
    )
    for opened in (session, fallback):
        process = opened.server._process
        opened.close()
        assert process.poll() is not None and not ac.reliable.local_redis.reachable(opened.url)
        opened.close()  # twice is harmless


def test_connect_prefers_a_reachable_redis_url_and_leaves_that_server_running(server, monkeypatch, capsys):
    monkeypatch.setenv("REDIS_URL", server.url)
    session = connect(executable="/nonexistent")
    assert capsys.readouterr().out == f"Using the Redis server at {server.url} (from REDIS_URL).\n"
    assert (session.url, session.source, session.server) == (server.url, "REDIS_URL", None)
    session.close()
    assert ac.reliable.local_redis.reachable(server.url)
    explicit = connect(server.url, quiet=True)
    assert explicit.source == "url" and explicit.describe() == f"Using the Redis server at {server.url}."
    explicit.close()


def test_a_dropped_session_stops_its_server(server):
    session = connect(executable=server.executable, quiet=True)
    process = session.server._process
    del session
    gc.collect()
    assert process.poll() is not None


def test_available_prints_the_skip_line(capsys, session):
    assert available(None) is False
    assert available(session) is True
    session.close()
    assert available(session) is False
    assert capsys.readouterr().out == f"{NO_BROKER}\n{NO_BROKER}\n"
    with pytest.raises(ac.BrokerUnavailable, match=re.escape("this broker session is closed; run connect() again")):
        _ = session.client


# -- streams and round trips -----------------------------------------------------------------------------------


def test_a_stream_is_emptied_on_first_use_in_a_session_only(server):
    with BrokerSession(server.url, "url", prefix="fresh") as first:
        q = first.queue("orders", max_deliveries=1)
        q.send("left over")
        q.receive_nowait(consumer="c1").nack()  # dead-lettered: the dead-letter stream has a row too
        q.send("still waiting")
        again = first.queue("orders")  # same session: same stream, nothing deleted
        assert again.ready() == 1 and len(again.dead_letters()) == 1
    with BrokerSession(server.url, "url", prefix="fresh") as second:
        q = second.queue("orders")
        assert q.stream == "fresh:orders" and q.ready() == 0 and q.dead_letters() == []
    with pytest.raises(TypeError, match=re.escape("name must be a non-empty str naming a stream, got ''")):
        second.stream_name("")


def test_counted_queue_lists_each_command_sent(session):
    q, counter = session.counted_queue("counted")
    assert counter.take() == []
    q.send({"order": 1})
    assert counter.take() == ["XADD"]
    d = q.receive_nowait(consumer="c1")
    assert counter.take() == ["EVAL", "XREADGROUP"]  # a look for deliveries that came back, then a new one
    d.ack()
    assert counter.take() == ["EVAL"]
    assert q.ready() == 0
    assert counter.take() == ["EVAL"]  # one script counts ready, in flight and dead letters
    assert repr(q).startswith("<RedisStreamQueue") and q.maxsize == 0
    assert counter.take() == []  # options and repr ask nothing of the server
    assert counter.take() == []


def test_a_counted_queue_dead_letters_an_entry_that_is_not_utf8_like_any_queue(session):
    """The lab's own client decodes as the queue's does (surrogateescape): before, its strict client made
    every receive raise UnicodeDecodeError on one entry another program wrote in Latin-1."""
    q, _ = session.counted_queue("counted-bytes")
    import redis

    with redis.Redis.from_url(session.url) as raw:  # another program, writing bytes
        raw.xadd(q.stream, {b"data": "caf\xe9".encode("latin-1")})
    q.send("good")
    assert q.receive(consumer="c1", timeout=5).message == "good"
    assert [(reason.split(":")[0], count) for _, _, reason, count in q.dead_letters()] == [("malformed", 1)]


def test_round_trip_counter_passes_attributes_through():
    class Client:
        name = "fake"

        def xack(self, *args):
            return 1

        def close(self):
            return "closed"

    counter = RoundTripCounter(Client())
    assert (counter.name, counter.xack("s", "g", "1-0"), counter.close()) == ("fake", 1, "closed")
    assert counter.take() == ["XACK"]


def test_throughput_rows(session):
    rows = throughput(session, messages=250, batch=100)
    assert [r["way"] for r in rows] == [
        "in-memory ReliableQueue",
        "Redis, one by one",
        "Redis, pipelined (100 per round trip)",
    ]
    assert [r["round_trips"] for r in rows] == [0, 3 * 250 + 1, 9]  # one look, on the first receive
    assert all(r["messages"] == 250 and r["seconds"] > 0 and r["per_second"] == 250 / r["seconds"] for r in rows)
    for name in ("throughput-one-by-one", "throughput-pipelined"):  # every message went through and was acked
        q = session.queue(name)
        assert q.ready() == 0 and q.in_flight() == 0
    with pytest.raises(ValueError, match=re.escape("messages must be an int >= 1, got 0")):
        throughput(session, messages=0)
    with pytest.raises(ValueError, match=re.escape("batch must be an int >= 1, got 0")):
        throughput(session, batch=0)


# -- the lab on Redis ------------------------------------------------------------------------------------------

SCENARIO = {
    "messages": 20,
    "consumers": 3,
    "crash_on": {4: "before-processing", 9: "after-processing-before-ack"},
    "poison": {13},
}


@pytest.mark.parametrize("mode", ["threads", "processes"])
def test_lab_on_redis_counts_what_the_in_memory_lab_counts(session, mode):
    run = run_redis_lab(session, **SCENARIO, malformed=1, mode=mode, stream=f"lab-{mode}")
    assert run.tally.as_dict() == {
        "sent": 20,
        "processed": 19,
        "lost": 0,
        "duplicated": 1,
        "dead_lettered": 1,
        "malformed": 1,
        "redeliveries": 4,
        "crashes": 2,
    }
    assert run.numbers("duplicated") == [9] and run.numbers("dead-lettered") == [13] and run.numbers("lost") == []
    assert run.deliveries[4] == 2 and run.deliveries[9] == 2 and run.deliveries[13] == 3
    assert sorted((n, point) for _, n, point in run.crashes) == [
        (4, "before-processing"),
        (9, "after-processing-before-ack"),
    ]
    assert len({who for who, _, _ in run.crashes}) == 2  # two different consumers died
    assert sum(run.per_consumer.values()) == 20  # 19 messages, one of them twice
    assert run.letters() == [
        ('{"order": 7}', "malformed: not an asyncomm message (no 'm' field)", 1),
        ("message 13", "max deliveries", 3),
    ]
    memory, rows = compare_with_memory(run)
    assert rows[0]["lab"] == "in memory (VirtualClock)" and rows[1]["lab"] == f"Redis (3 {mode})"
    assert {k: v for k, v in rows[0].items() if k != "lab"} == {k: v for k, v in rows[1].items() if k != "lab"}
    assert memory.numbers("duplicated") == run.numbers("duplicated")


def test_lab_at_most_once_loses_the_crashed_and_the_poison_message(session):
    run = run_redis_lab(session, **SCENARIO, delivery="at-most-once", mode="threads", stream="lab-amo")
    assert run.tally.as_dict() == {
        "sent": 20,
        "processed": 18,
        "lost": 2,
        "duplicated": 0,
        "dead_lettered": 0,
        "malformed": 0,
        "redeliveries": 0,
        "crashes": 2,
    }
    assert run.numbers("lost") == [4, 13]
    _, rows = compare_with_memory(run)
    assert rows[0]["lost"] == rows[1]["lost"] == 2


def test_lab_spreads_malformed_entries_among_the_messages(session):
    run = run_redis_lab(
        session, messages=3, consumers=1, malformed=4, poison={2}, mode="threads", stream="lab-malformed"
    )
    assert run.tally.malformed == 4 and run.tally.processed == 2 and run.tally.dead_lettered == 1
    malformed = ('{"order": 7}', "malformed: not an asyncomm message (no 'm' field)", 1)
    assert run.letters() == [malformed] * 4 + [("message 2", "max deliveries", 3)]
    raw = session.client.xrange(session.stream_name("lab-malformed"))
    kinds = ["m" if '"m"' in fields["data"] else "x" for _, fields in raw]
    assert kinds == ["m", "x", "x", "x", "m", "x", "m"]  # after messages max(1, k * 3 // 5) for k = 1..4: 1, 1, 1, 2


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"messages": 0}, ValueError, "messages must be an int >= 1, got 0"),
        ({"consumers": True}, TypeError, "consumers must be an int, got True (bool)"),
        ({"malformed": -1}, ValueError, "malformed must be an int >= 0, got -1"),
        (
            {"poison": {21}},
            ValueError,
            "message numbers in crash_on and poison must be an int between 1 and 20, got 21",
        ),
        ({"crash_on": {"2": "before-processing"}}, TypeError, "message numbers in crash_on and poison must be an int"),
        (
            {"crash_on": {2: "later"}},
            ValueError,
            "crash points are 'before-processing', 'after-processing-before-ack', got 'later'",
        ),
        (
            {"consumers": 2, "crash_on": {1: "before-processing", 2: "before-processing"}},
            ValueError,
            "2 crash(es) with 2 consumer(s) would leave none alive",
        ),
        (
            {"delivery": "exactly-once"},
            ValueError,
            "delivery must be 'at-most-once' or 'at-least-once', got 'exactly-once'",
        ),
        ({"poison": {3}, "max_deliveries": None}, ValueError, "with max_deliveries=None a poison message would be"),
        ({"mode": "fibers"}, ValueError, "mode must be 'processes' or 'threads', got 'fibers'"),
    ],
)
def test_lab_settings_are_checked(options, error, message):
    session = BrokerSession(UNREACHABLE, "url")  # checked before anything is sent
    with pytest.raises(error, match=re.escape(message)):
        run_redis_lab(session, **options)


def test_lab_run_numbers_refuses_an_unknown_outcome():
    run = redis_lab.RedisLabRun(
        {"messages": 1}, redis_lab.RedisTally(1, 1, 0, 0, 0, 0, 0, 0), {1: 1}, {1: 1}, [], [], {}, 0.1
    )
    assert run.numbers("processed") == [1]
    with pytest.raises(
        ValueError,
        match=re.escape("outcome must be one of 'processed', 'duplicated', 'dead-lettered', 'lost', got 'done'"),
    ):
        run.numbers("done")
