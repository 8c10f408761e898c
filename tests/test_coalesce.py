"""The coalescer shares round trips between concurrent callers; each must still get exactly its
own answer or its own error."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from redis.exceptions import ResponseError

from service.store.client import connect, load_script
from service.store.coalesce import CoalescedScript, Coalescer, pack


@pytest.fixture
async def coalescer(settings):
    client = connect(settings.redis)
    co = Coalescer(client)
    yield co
    await co.close()
    await client.aclose()


async def test_concurrent_callers_get_their_own_replies(coalescer, key_prefix):
    keys = [f"{key_prefix}:k{i}" for i in range(200)]
    await asyncio.gather(*(coalescer.execute("SET", k, f"value {i}") for i, k in enumerate(keys)))
    values = await asyncio.gather(*(coalescer.execute("GET", k) for k in keys))
    assert values == [f"value {i}".encode() for i in range(200)]


async def test_one_failing_command_fails_only_its_caller(coalescer, key_prefix):
    await coalescer.execute("SET", f"{key_prefix}:s", "text")
    results = await asyncio.gather(
        coalescer.execute("INCR", f"{key_prefix}:n"),
        coalescer.execute("INCR", f"{key_prefix}:s"),  # not an integer
        coalescer.execute("INCR", f"{key_prefix}:n"),
        return_exceptions=True,
    )
    assert results[0] == 1 and results[2] == 2
    assert isinstance(results[1], ResponseError)
    # Alone (no round trip out, so sent at once), an error reply is raised all the same.
    with pytest.raises(ResponseError):
        await coalescer.execute("INCR", f"{key_prefix}:s")
    assert await coalescer.execute("GET", f"{key_prefix}:s") == b"text"


async def test_scripts_are_loaded_again_after_redis_forgets_them(coalescer, settings, key_prefix):
    loaded = load_script(coalescer.client, "page")
    script = CoalescedScript(coalescer, loaded.script, loaded.sha)
    await coalescer.client.script_flush()
    result = await script(
        [f"{key_prefix}:{{s01}}:", f"{key_prefix}:{{s01}}:a:x:pub"], ["+", 5, "id"]
    )
    assert result == [0]


async def test_a_cancelled_caller_does_not_disturb_the_others(coalescer, key_prefix):
    async def slow_then_get(i: int) -> bytes:
        return await coalescer.execute("GET", f"{key_prefix}:c{i}")

    await asyncio.gather(*(coalescer.execute("SET", f"{key_prefix}:c{i}", i) for i in range(50)))
    tasks = [asyncio.create_task(slow_then_get(i)) for i in range(50)]
    tasks[10].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[10], asyncio.CancelledError)
    assert [r for i, r in enumerate(results) if i != 10] == [
        str(i).encode() for i in range(50) if i != 10
    ]
    assert await coalescer.execute("GET", f"{key_prefix}:c3") == b"3"


@given(
    st.lists(
        st.one_of(st.binary(max_size=40), st.text(max_size=40), st.integers(-(2**63), 2**63 - 1)),
        min_size=1,
        max_size=8,
    )
)
@hsettings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_any_arguments_round_trip_exactly(coalescer, key_prefix, values):
    key = f"{key_prefix}:list"
    await coalescer.execute("DEL", key)
    await coalescer.execute("RPUSH", key, *values)
    stored = await coalescer.execute("LRANGE", key, 0, -1)
    expected = [v if isinstance(v, bytes) else str(v).encode() for v in values]
    assert stored == expected


def test_pack_is_the_redis_protocol():
    assert pack([("SET", "k", "한"), ("GET", b"k")]) == (
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\xed\x95\x9c\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    )


async def test_script_calls_over_many_keys_share_a_round_trip_and_survive_a_script_flush(
    coalescer, key_prefix
):
    """run_scripts through the coalescer (claims, leases, bulk decisions): each call's own
    answer in order, a script Redis forgot is loaded again, and an error reply is raised."""
    from service.store.client import run_scripts

    client = coalescer.client
    script = load_script(client, "page")  # any read-only script: a page of an empty article
    calls = [
        (script, [f"{key_prefix}:", f"{key_prefix}:a:{i}:pub"], ["+", 5, "a", "b"])
        for i in range(40)
    ]
    for i in range(0, 40, 2):
        await client.zadd(f"{key_prefix}:a:{i}:pub", {f"id{i}": 0})
    await client.script_flush()
    first = await run_scripts(client, calls, coalescer)
    again = await run_scripts(client, calls, coalescer)
    expected = [[1, [f"id{i}".encode(), None, None]] if i % 2 == 0 else [0] for i in range(40)]
    assert first == again == expected
    broken = [*calls[:3], (script, [f"{key_prefix}:", f"{key_prefix}:a:0:pub"], ["+", "x", "a"])]
    with pytest.raises(ResponseError):
        await run_scripts(client, broken, coalescer)


async def test_submitted_script_calls_survive_a_script_flush_in_one_batch(coalescer, key_prefix):
    """Calls handed in as futures (intake gathers its store and counters that way) meet a
    Redis that forgot the script: the batch loads it and runs those calls again, once each."""
    loaded = load_script(coalescer.client, "page")
    script = CoalescedScript(coalescer, loaded.script, loaded.sha)
    for i in range(10):
        await coalescer.client.zadd(f"{key_prefix}:a:{i}:pub", {f"c{i}": 0})
    await coalescer.client.script_flush()
    results = await asyncio.gather(
        *(
            script.submit([f"{key_prefix}:", f"{key_prefix}:a:{i}:pub"], ["+", 5, "a"])
            for i in range(10)
        )
    )
    assert results == [[1, [f"c{i}".encode(), None]] for i in range(10)]
