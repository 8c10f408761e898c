"""Prometheus metrics: the objects, and the few calls that domain code makes on them.

No web code here, so intake and the moderation handlers can count without importing aiohttp;
`service.http.metrics` serves them and times requests.

Several worker processes: `serve --workers N` sets PROMETHEUS_MULTIPROC_DIR for its workers
before they start (prometheus-client reads it at import), each worker writes its samples to its
own files there, and a scrape of any worker sums all of them. One process: the process's own
registry. Every label takes values from a small fixed set (route templates, rule ids, actions,
providers), never from a raw path or a user's input.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from .comments.ids import created_ms

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter(
    "sd_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "sd_http_request_duration_seconds",
    "Time from receiving a request to its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
COMMENTS = Counter(
    "sd_comments_total",
    "New comments by the standards-board rules' outcome (approve, flag, hold, reject).",
    ["outcome"],
)
RULE_HITS = Counter(
    "sd_rule_hits_total",
    "Rules that fired on new comments, by rule id and the action that rule asked for.",
    ["rule", "action"],
)
CLAIMED = Counter(
    "sd_moderation_claimed_total",
    "Comments handed to moderators by claims, by queue view.",
    ["view"],
)
DECISIONS = Counter(
    "sd_moderation_decisions_total",
    "Moderators' decisions applied, by action.",
    ["action"],
)
TIME_TO_DECISION = Histogram(
    "sd_moderation_time_to_decision_seconds",
    "Time from a comment being posted to a moderator's decision on it, by action.",
    ["action"],
    buckets=(10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 172800, 604800),
)
REDIS_ERRORS = Counter(
    "sd_redis_errors_total",
    "Requests answered 503 because Redis was unreachable or too slow, by error type.",
    ["error"],
)
LOGINS = Counter(
    "sd_logins_total",
    "Finished social logins by provider and outcome (ok, or the error page's code).",
    ["provider", "outcome"],
)


# ---------------------------------------------------------------- domain points


def labelled(metric: Any, children: dict[tuple[str, ...], Any], labels: tuple[str, ...]) -> Any:
    """`metric.labels(*labels)`, kept in `children` for the metrics bumped per request or per
    comment: `labels()` hashes and checks its arguments on every call."""
    child = children.get(labels)
    if child is None:
        child = children[labels] = metric.labels(*labels)
    return child


_outcomes: dict[tuple[str, ...], Any] = {}
_rule_hits: dict[tuple[str, ...], Any] = {}


def comment_screened(outcome: str, hits: Iterable[Mapping[str, Any]]) -> None:
    """A new comment (not an idempotent replay) has been screened and stored."""
    labelled(COMMENTS, _outcomes, (outcome,)).inc()
    for hit in hits:
        key = (str(hit.get("rule_id", "")), str(hit.get("action", "")))
        labelled(RULE_HITS, _rule_hits, key).inc()


def comments_claimed(view: str, count: int) -> None:
    if count:
        CLAIMED.labels(view).inc(count)


def decision_applied(action: str, comment_id: str, decided_at_ms: int) -> None:
    DECISIONS.labels(action).inc()
    waited = (decided_at_ms - created_ms(comment_id)) / 1000
    TIME_TO_DECISION.labels(action).observe(max(0.0, waited))


def observe_many(histogram: Any, values: Sequence[float]) -> None:
    """`histogram.observe(v)` for each value, for a batch: each bucket and the sum are added
    to once. A test checks that the result is what observing one by one gives; a
    prometheus-client whose histograms lack the parts used here gets the one-by-one way."""
    buckets = getattr(histogram, "_buckets", None)
    bounds = getattr(histogram, "_upper_bounds", None)
    total = getattr(histogram, "_sum", None)
    if buckets is None or bounds is None or total is None or len(buckets) != len(bounds):
        for value in values:
            histogram.observe(value)
        return
    per_bucket: dict[int, int] = {}
    for value in values:
        i = bisect.bisect_left(bounds, value)  # the first bucket whose bound is >= value
        per_bucket[i] = per_bucket.get(i, 0) + 1
    for i, n in per_bucket.items():
        buckets[i].inc(n)
    total.inc(math.fsum(values))


def redis_error(error: str) -> None:
    REDIS_ERRORS.labels(error).inc()


def login_finished(provider: str, outcome: str) -> None:
    LOGINS.labels(provider, outcome).inc()


# ---------------------------------------------------------------- exposition


class _QueueDepth(Collector):
    """Queue depth per view, read from Redis by the scrape (the same counts moderators see)."""

    def __init__(self, views: Mapping[str, Mapping[str, int]]) -> None:
        self.views = views

    def collect(self) -> Iterable[GaugeMetricFamily]:
        queued = GaugeMetricFamily(
            "sd_moderation_queue_depth",
            "Comments waiting or claimed in each moderation view, read at scrape time.",
            labels=["view"],
        )
        claimed = GaugeMetricFamily(
            "sd_moderation_queue_in_claims",
            "Comments of each moderation view held by a moderator's claim, read at scrape time.",
            labels=["view"],
        )
        for view, counts in sorted(self.views.items()):
            queued.add_metric([view], counts.get("queued", 0))
            claimed.add_metric([view], counts.get("in_claims", 0))
        yield queued
        yield claimed


def render(
    queue_counts: Mapping[str, Mapping[str, int]] | None, multiproc_dir: str | None = None
) -> bytes:
    """The text exposition: every worker's samples when running under a multi-process
    directory (a fresh registry per scrape, as prometheus-client asks), else this process's;
    then the queue depth, when Redis answered."""
    directory = multiproc_dir if multiproc_dir is not None else os.environ.get(MULTIPROC_ENV)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    if queue_counts is not None:
        scrape = CollectorRegistry()
        scrape.register(_QueueDepth(queue_counts))
        text += generate_latest(scrape)
    return text
