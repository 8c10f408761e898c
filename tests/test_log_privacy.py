"""The logs never carry comment bodies, tokens, cookies or client addresses; the access log has a
keyed digest of the address and the request id instead."""

from __future__ import annotations

import asyncio
import io
import logging
import sys

import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from service.http.requests import Answers, client_digest
from service.logs import flush_logs, setup_logging

URL = "/api/v1/articles/{}/comments"
CLIENT_IP = "198.51.100.23"
BODY_MARK = "zebra-quartz-4417"


@pytest.fixture
def captured(monkeypatch):
    """The production log set-up (JSON lines on stderr), with stderr captured."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("aiohttp.access").disabled)
    monkeypatch.setattr(sys, "stderr", stream)
    setup_logging("DEBUG")
    yield stream
    root.handlers[:], root.level = saved[0], saved[1]
    logging.getLogger("aiohttp.access").disabled = saved[2]


async def test_no_bodies_tokens_cookies_or_addresses_reach_the_logs(
    captured, make_client, settings, reader
):
    client = await make_client(
        settings.replace(**{"server.trusted_proxies": ["127.0.0.1"], "oauth.dev.enabled": True})
    )
    cookie = f"{settings.sessions.cookie_name}={reader.token}"
    both = {**reader.auth, "Cookie": cookie, "X-Forwarded-For": CLIENT_IP}
    proxied = {"X-Forwarded-For": CLIENT_IP}
    requests = [
        ("POST", URL.format("p-1"), {"json": {"body": f"A comment {BODY_MARK}"}, "headers": both}),
        (
            "POST",
            URL.format("p-1"),
            {"json": {"body": f"연락주세요 010-1234-5678 {BODY_MARK}"}, "headers": both},
        ),
        ("POST", URL.format("p-1"), {"data": f'{{"body": "{BODY_MARK}', "headers": both}),
        ("POST", URL.format("p-1"), {"json": {"body": BODY_MARK * 40}, "headers": both}),
        ("GET", "/api/v1/me/comments", {"params": {"cursor": BODY_MARK}, "headers": both}),
        ("GET", "/auth/me", {"headers": {"Cookie": cookie, **proxied}}),
        (
            "GET",
            "/auth/dev/login",
            {"params": {"return_to": f"https://evil.example/{BODY_MARK}"}, "headers": proxied},
        ),
        (
            "GET",
            "/auth/dev/callback",
            {"params": {"state": BODY_MARK, "code": BODY_MARK}, "headers": proxied},
        ),
        ("POST", "/auth/logout", {"headers": both}),
    ]
    for method, path, kwargs in requests:
        resp = await client.request(method, path, allow_redirects=False, **kwargs)
        assert resp.status < 500, (method, path, await resp.text())
    flush_logs()  # records are written by a background thread
    text = captured.getvalue()
    lines = [orjson.loads(line) for line in text.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "service.access"]
    assert len(access) >= len(requests), text
    for secret in (BODY_MARK, reader.token, reader.token.split(".")[1], CLIENT_IP):
        assert secret not in text, f"{secret!r} reached the logs"
    # Every access line has a request id and the digest of the proxied client's address.
    assert {line["client"] for line in access} == {client_digest(CLIENT_IP)}
    assert all(line["request_id"] != "-" for line in access)


def test_the_address_digest_is_short_keyed_and_stable_within_a_process():
    digest = client_digest(CLIENT_IP)
    assert len(digest) == 12 and int(digest, 16) >= 0
    assert digest == client_digest(CLIENT_IP) != client_digest("198.51.100.24")
    import hashlib

    assert digest != hashlib.sha256(CLIENT_IP.encode()).hexdigest()[:12]  # not unkeyed


async def test_access_lines_are_written_within_a_moment_without_a_flush(
    captured, make_client, settings
):
    """Access lines are batched, not held: each reaches the log within the batch delay, one
    JSON object per line, in the shape of every other record."""
    from service import logs

    client = await make_client(settings)
    for i in range(5):
        assert (await client.get(URL.format(f"p-{i}"))).status == 200
    await asyncio.sleep(Answers.DELAY * 4)
    assert logs._listener is not None
    logs._listener.queue.join()  # written by the thread; no flush_logs() here
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    access = [line for line in lines if line.get("logger") == "service.access"]
    assert [line["route"] for line in access] == ["/api/v1/articles/{article_id}/comments"] * 5
    assert all(line["status"] == 200 and line["ts"].endswith("Z") for line in access)
    assert len({line["request_id"] for line in access}) == 5


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.text(max_size=20), st.sampled_from(["GET", "OTHER"]), st.text(max_size=30)),
        # (lone surrogates cannot reach here: ids and routes are checked or the app's own)
        min_size=1,
        max_size=5,
    )
)
def test_access_lines_are_json_whatever_the_fields_hold(captured, fields):
    """Access lines are put together without a JSON encoder per line; a field with quotes,
    backslashes, control or non-ASCII characters must still give one valid JSON object per
    line holding exactly that text."""
    from service import logs

    captured.seek(0)
    captured.truncate()
    logs.write_access(
        [(1764201600.25, rid, method, route, 201, 1.5, "ab12") for rid, method, route in fields]
    )
    logs.flush_logs()
    # JSON lines end at "\n" only (a U+2028 in a field is not a line break to a reader)
    lines = [orjson.loads(line) for line in captured.getvalue().split("\n") if line]
    assert [(line["request_id"], line["method"], line["route"]) for line in lines] == fields
    assert {line["ts"] for line in lines} == {"2025-11-27T00:00:00.250Z"}
    assert all(line["status"] == 201 and line["ms"] == 1.5 for line in lines)


def test_answers_left_by_a_loop_that_ended_are_handed_on_by_the_next(monkeypatch):
    """A batch whose loop ended before its flush ran (one test's loop, then the next's) is not
    kept back: the next answer, on another loop, hands it on, and schedules its own flush."""
    from service.http import requests

    written: list[list[tuple[object, ...]]] = []
    monkeypatch.setattr(requests, "write_access", lambda entries: written.append(entries))
    monkeypatch.setattr(requests, "count_requests", lambda batch: None)
    answers = Answers()

    def answer(rid: str, at: float) -> tuple[float, str, str, None, bool, int, float, str]:
        return (at, rid, "GET", None, False, 200, 0.001, "192.0.2.1")

    async def first() -> None:
        answers.add(answer("first", 1_000.0))  # the loop ends before its flush is due

    async def second() -> None:
        answers.add(answer("second", 1_000.0 + Answers.DELAY + Answers.LOST_AFTER + 0.1))
        assert [[e[1] for e in batch] for batch in written] == [["first", "second"]]
        answers.add(answer("third", 1_002.0))
        await asyncio.sleep(Answers.DELAY * 3)  # this loop runs, so its flush does

    asyncio.run(first())
    assert written == []
    asyncio.run(second())
    assert [[e[1] for e in batch] for batch in written] == [["first", "second"], ["third"]]
