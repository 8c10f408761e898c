"""The workers' cache of public comment pages: readers never see a change late through the
worker that made it, other workers see it within `comments.page_cache_seconds`, and a burst of
readers of one page costs one Redis read. (Through the service: tests/moderation/
test_public_pages.py.)"""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from service.comments.pagecache import PageCache

URL = "/api/v1/articles/{}/comments"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def loader(versions: dict[str, int], article: str, calls: list[str], gate=None):
    async def load() -> bytes:
        calls.append(article)
        if gate is not None:
            await gate.wait()
        return f"{article}:{versions.get(article, 0)}".encode()

    return load


async def test_a_page_is_read_once_per_ttl_and_concurrent_readers_share_the_read():
    clock, versions, calls = Clock(), {"a": 1}, []
    cache = PageCache(ttl=1.0, max_bytes=1 << 20, clock=clock)
    gate = asyncio.Event()
    readers = [
        asyncio.create_task(cache.get(("a", "", 20), loader(versions, "a", calls, gate)))
        for _ in range(50)
    ]
    await asyncio.sleep(0)
    gate.set()
    assert set(await asyncio.gather(*readers)) == {b"a:1"}
    assert calls == ["a"]
    clock.now += 0.9
    assert await cache.get(("a", "", 20), loader(versions, "a", calls)) == b"a:1"
    assert calls == ["a"]
    versions["a"] = 2
    clock.now += 0.2  # past the ttl
    assert await cache.get(("a", "", 20), loader(versions, "a", calls)) == b"a:2"
    assert calls == ["a", "a"]


async def test_a_failed_read_reaches_every_waiter_and_is_not_cached():
    cache = PageCache(ttl=1.0, max_bytes=1 << 20, clock=Clock())
    gate = asyncio.Event()

    async def failing() -> bytes:
        await gate.wait()
        raise ConnectionError("redis went away")

    waiters = [asyncio.create_task(cache.get(("a", "", 20), failing)) for _ in range(5)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    calls: list[str] = []
    assert await cache.get(("a", "", 20), loader({"a": 3}, "a", calls)) == b"a:3"
    assert calls == ["a"]


async def test_a_change_during_a_read_is_not_hidden_by_that_read():
    clock, versions, calls = Clock(), {"a": 1}, []
    cache = PageCache(ttl=10.0, max_bytes=1 << 20, clock=clock)
    gate = asyncio.Event()
    early = asyncio.create_task(cache.get(("a", "", 20), loader(versions, "a", calls, gate)))
    await asyncio.sleep(0)
    versions["a"] = 2  # the read above may have seen the old page...
    cache.forget("a")
    gate.set()
    await early
    # ...but it was not kept: the next reader reads the new one.
    assert await cache.get(("a", "", 20), loader(versions, "a", calls)) == b"a:2"


async def test_memory_is_bounded_least_recently_used_first():
    clock, calls = Clock(), []
    cache = PageCache(ttl=60.0, max_bytes=8, clock=clock)
    for article in ("a", "b", "c"):  # 3 bodies of 3 bytes: the first goes
        await cache.get((article, "", 20), loader({}, article, calls))
    assert len(cache) == 2
    await cache.get(("a", "", 20), loader({}, "a", calls))
    assert calls == ["a", "b", "c", "a"]


async def test_a_ttl_of_zero_turns_the_cache_off():
    calls: list[str] = []
    cache = PageCache(ttl=0, max_bytes=1 << 20)
    for _ in range(3):
        await cache.get(("a", "", 20), loader({}, "a", calls))
    assert calls == ["a", "a", "a"] and len(cache) == 0


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["read", "write", "tick"]),
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from([10, 20]),
        ),
        max_size=60,
    )
)
def test_changes_made_through_this_worker_show_at_once_in_any_order(ops):
    """Whatever the order of reads, changes (which forget their article) and time passing, a
    read always shows the article as it is now."""

    async def run() -> None:
        clock, versions, calls = Clock(), {}, []
        cache = PageCache(ttl=1.0, max_bytes=64, clock=clock)
        for op, article, size in ops:
            if op == "write":
                versions[article] = versions.get(article, 0) + 1
                cache.forget(article)
            elif op == "tick":
                clock.now += 0.4
            else:
                body = await cache.get((article, "", size), loader(versions, article, calls))
                assert body == f"{article}:{versions.get(article, 0)}".encode()

    asyncio.run(run())
