"""What keeps a stored comment small: no field stored twice (the id and posting time are read
back from the key), and a Redis set to keep comment hashes compact (bench/memory.py gives the
figures)."""

from __future__ import annotations

import datetime as dt
import time

from hypothesis import given
from hypothesis import strategies as st

from service.comments.ids import created_ms, new_comment_id
from service.comments.model import iso
from service.store.client import LISTPACK_VALUE_WANTED, hash_encoding_advice
from service.store.keys import Keys, shard_of

URL = "/api/v1/articles/{}/comments"
BODY = (
    "정부의 새 예산안은 지역 병원과 학교에 대한 지원을 늘린다고 하지만 "
    "세부 내용이 부족해 보입니다. "
)


async def test_a_comment_keeps_its_id_and_posting_time_without_storing_them_twice(
    client, reader, redis, settings
):
    before = int(time.time() * 1000)
    body = BODY * 3
    resp = await client.post(URL.format("a-1"), json={"body": body}, headers=reader.auth)
    after = int(time.time() * 1000)
    assert resp.status == 201
    data = await resp.json()
    posted = dt.datetime.fromisoformat(data["created_at"].replace("Z", "+00:00"))
    assert before <= int(posted.timestamp() * 1000) <= after
    mine = (await (await client.get("/api/v1/me/comments", headers=reader.auth)).json())["comments"]
    assert [(c["id"], c["created_at"]) for c in mine] == [(data["id"], data["created_at"])]
    key = Keys(settings.redis.key_prefix).comment(shard_of("a-1"), data["id"])
    stored = await redis.hgetall(key)
    assert b"id" not in stored and b"t" not in stored
    # A body of over 400 bytes (164 characters), and the hash stays compact.
    assert await redis.object("encoding", key) in {b"listpack", b"ziplist"}  # Redis 7, 6


def test_the_posting_time_is_read_back_from_the_id():
    for now in (0, 1, 1_795_726_688_709, 2**48 - 1):
        assert created_ms(new_comment_id(5, now)) == now


async def test_a_redis_that_would_spill_comment_hashes_is_pointed_out(redis):
    assert await hash_encoding_advice(redis) is None  # the tests' Redis is set as shipped
    await redis.config_set("hash-max-ziplist-value", 64)
    try:
        advice = await hash_encoding_advice(redis)
    finally:
        await redis.config_set("hash-max-ziplist-value", LISTPACK_VALUE_WANTED)
    assert advice is not None
    assert "hash-max-listpack-value 64" in advice and str(LISTPACK_VALUE_WANTED) in advice
    # (The Redis 6 name, which Redis 7 also reads, so the tests run on either.)


@given(st.integers(min_value=0, max_value=2**42))
def test_times_are_shown_as_utc_to_the_millisecond(ms):
    expected = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    assert iso(ms) == expected.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
