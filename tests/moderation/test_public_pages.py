"""The workers' cache of public pages, through the service: a change shows at once through the
worker that made it, and within `comments.page_cache_seconds` through the others."""

from __future__ import annotations

import asyncio

import pytest

from tests.moderation.conftest import decide

URL = "/api/v1/articles/{}/comments"


@pytest.fixture
def cached_settings(settings):
    return settings.replace(**{"comments.page_cache_seconds": 0.5})


async def test_a_decision_shows_at_once_here_and_within_the_ttl_on_other_workers(
    make_client, cached_settings, reader, moderator
):
    here = await make_client(cached_settings)
    there = await make_client(cached_settings)  # another worker: its own cache, same Redis
    resp = await here.post(URL.format("p-1"), json={"body": "Worth a read."}, headers=reader.auth)
    comment = await resp.json()
    for client in (here, there):
        page = await (await client.get(URL.format("p-1"))).json()
        assert page["comments"] == []  # both cache the empty page
    assert (await decide(here, moderator, comment["id"], "approve")).status == 200
    page = await (await here.get(URL.format("p-1"))).json()
    assert [c["id"] for c in page["comments"]] == [comment["id"]]
    await asyncio.sleep(0.6)
    page = await (await there.get(URL.format("p-1"))).json()
    assert [c["id"] for c in page["comments"]] == [comment["id"]]
    assert page["approved_count"] == 1


async def test_a_comment_published_at_posting_shows_at_once(make_client, cached_settings, reader):
    client = await make_client(
        cached_settings.replace(**{"comments.moderation_mode": "post", "comments.page_size": 5})
    )
    for i in range(3):
        resp = await client.post(
            URL.format("p-2"), json={"body": f"Point {i}."}, headers=reader.auth
        )
        assert resp.status == 201
        page = await (await client.get(URL.format("p-2"))).json()
        assert len(page["comments"]) == i + 1
