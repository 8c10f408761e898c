"""/metrics: who may read it, what it counts, and that several worker processes add up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from service import metrics
from service.moderation.moderators import ModeratorStore
from service.store.keys import Keys
from tests.openapi_check import assert_conforms

ROOT = Path(__file__).resolve().parent.parent
settings_for_batches = hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
URL = "/api/v1/articles/{}/comments"
API = "/api/v1/moderation"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(client, **headers) -> str:
    resp = await client.get("/metrics", headers=headers)
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/plain"
    return await resp.text()


async def test_requests_are_counted_by_route_template_never_by_raw_path(client):
    before = await scrape(client)
    for article in ("a-1", "secret-token-in-path"):
        assert (await client.get(URL.format(article))).status == 200
    assert (await client.get("/no/such/../path?token=abc")).status == 404
    after = await scrape(client)
    template = "/api/v1/articles/{article_id}/comments"
    labels = {"method": "GET", "route": template, "status": "200"}
    counted = value(after, "sd_http_requests_total", **labels) - value(
        before, "sd_http_requests_total", **labels
    )
    assert counted == 2
    assert value(after, "sd_http_requests_total", method="GET", route="unmatched", status="404")
    assert "secret-token-in-path" not in after and "token=abc" not in after
    assert value(after, "sd_http_request_duration_seconds_count", method="GET", route=template)


async def test_metrics_answer_loopback_only_unless_a_token_is_set(client, make_client, settings):
    # Through a proxy on this machine, every reader would look local.
    resp = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert resp.status == 403
    body = await resp.json()
    assert body["error"]["code"] == "metrics_forbidden"
    assert_conforms("GET", "/metrics", resp.status, body)

    tokened = await make_client(settings.replace(**{"metrics.token": "m-secret-1"}))
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    assert (await tokened.get("/metrics", headers=proxied)).status == 401
    wrong = await tokened.get("/metrics", headers={**proxied, "Authorization": "Bearer nope"})
    assert wrong.status == 401
    assert_conforms("GET", "/metrics", 401, await wrong.json())
    await scrape(tokened, **proxied, Authorization="Bearer m-secret-1")
    await scrape(tokened)  # loopback without a proxy still may


async def test_comments_by_outcome_and_rule(client, reader):
    before = await scrape(client)

    async def post(body):
        return await client.post(URL.format("m-1"), json={"body": body}, headers=reader.auth)

    assert (await post("Good point.")).status == 201
    assert (await post("자세한 내용은 www . example . com 참고")).status == 201  # held
    assert (await post("연락주세요 010-1234-5678")).status == 422
    after = await scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("sd_comments_total", outcome="approve") == 1
    assert delta("sd_comments_total", outcome="hold") == 1
    assert delta("sd_comments_total", outcome="reject") == 1
    assert delta("sd_rule_hits_total", rule="links", action="hold") == 1
    assert delta("sd_rule_hits_total", rule="personal-info", action="reject") == 1
    # Read from Redis at scrape time; this test's prefix holds the two accepted comments.
    assert value(after, "sd_moderation_queue_depth", view="pending") == 2
    assert value(after, "sd_moderation_queue_in_claims", view="pending") == 0


async def test_claims_decisions_and_time_to_decision(client, reader, redis, settings):
    _, token = await ModeratorStore(redis, Keys(settings.redis.key_prefix)).add("mo", "moderator")
    mod = {"Authorization": f"Bearer {token}"}
    for i in range(3):
        resp = await client.post(
            URL.format(f"d-{i}"), json={"body": f"note {i}"}, headers=reader.auth
        )
        assert resp.status == 201
    before = await scrape(client)
    claimed = await client.post(f"{API}/claims", json={"view": "pending", "count": 3}, headers=mod)
    ids = [c["comment"]["id"] for c in (await claimed.json())["claims"]]
    assert len(ids) == 3
    decision = {"action": "approve", "reason": "acceptable"}
    url = f"{API}/comments/{ids[0]}/decision"
    assert (await client.post(url, json=decision, headers=mod)).status == 200
    assert (await client.post(url, json=decision, headers=mod)).status == 200  # a repeat
    many = {"ids": ids[1:], "action": "reject", "reason": "spam"}
    assert (await client.post(f"{API}/decisions", json=many, headers=mod)).status == 200
    after = await scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("sd_moderation_claimed_total", view="pending") == 3
    assert delta("sd_moderation_decisions_total", action="approve") == 1
    assert delta("sd_moderation_decisions_total", action="reject") == 2
    assert delta("sd_moderation_time_to_decision_seconds_count", action="approve") == 1
    assert value(after, "sd_moderation_queue_in_claims", view="pending") == 0


async def test_redis_errors_are_counted_and_metrics_still_answer(make_client, settings):
    dead = settings.replace(
        **{
            "redis.url": "redis://127.0.0.1:1/0",
            "redis.socket_timeout": 0.2,
            "redis.connect_timeout": 0.2,
        }
    )
    client = await make_client(dead)
    before = await scrape(client)
    assert (await client.get(URL.format("a-1"))).status == 503
    after = await scrape(client)
    assert (
        value(after, "sd_redis_errors_total", error="ConnectionError")
        >= value(before, "sd_redis_errors_total", error="ConnectionError") + 1
    )
    assert "sd_moderation_queue_depth" not in after


async def test_login_outcomes_by_provider(make_client, settings):
    client = await make_client(settings.replace(**{"oauth.dev.enabled": True}))
    before = await scrape(client)
    resp = await client.get("/auth/dev/callback", params={"state": "x", "code": "y"})
    assert resp.status == 400
    after = await scrape(client)
    labels = {"provider": "dev", "outcome": "login_expired"}
    assert (
        value(after, "sd_logins_total", **labels) == value(before, "sd_logins_total", **labels) + 1
    )


def test_several_processes_add_up_in_one_scrape(tmp_path):
    """What `serve --workers N` relies on: each worker writes its own files under
    PROMETHEUS_MULTIPROC_DIR, and a scrape of any one of them sums them all."""
    script = textwrap.dedent(
        """
        from service import metrics
        metrics.REQUESTS.labels("GET", "/healthz", "200").inc(2)
        metrics.comment_screened("hold", [{"rule_id": "links", "action": "hold"}])
        """
    )
    env = {**os.environ, metrics.MULTIPROC_ENV: str(tmp_path)}
    for _ in range(3):
        subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True)
    text = metrics.render({"pending": {"queued": 4, "in_claims": 1}}, str(tmp_path)).decode()
    assert value(text, "sd_http_requests_total", method="GET", route="/healthz", status="200") == 6
    assert value(text, "sd_comments_total", outcome="hold") == 3
    assert value(text, "sd_rule_hits_total", rule="links", action="hold") == 3
    assert value(text, "sd_moderation_queue_depth", view="pending") == 4


@settings_for_batches
@given(st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), max_size=60))
def test_a_batch_of_latencies_counts_as_observing_them_one_by_one(values):
    """The request middleware hands latencies to the histogram in batches
    (`metrics.observe_many`): every bucket and the sum must come out as if each had been
    observed on its own, bucket edges included."""
    registry = CollectorRegistry()
    buckets = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
    edges = [*buckets, *values]  # values exactly on a bound count in that bound's bucket
    one = Histogram("one_seconds", "", ["r"], buckets=buckets, registry=registry).labels("a")
    batch = Histogram("batch_seconds", "", ["r"], buckets=buckets, registry=registry).labels("a")
    for v in edges:
        one.observe(v)
    metrics.observe_many(batch, edges)
    got = samples(generate_latest(registry).decode())
    for (name, labels), count in got.items():
        if name.startswith("one_seconds") and not name.endswith("_created"):
            twin = got[(name.replace("one_", "batch_", 1), labels)]
            if name.endswith("_sum"):
                assert twin == pytest.approx(count, rel=1e-9, abs=1e-12)
            else:
                assert twin == count, (name, labels)
