"""`GET /metrics` (Prometheus text format) and the middleware that counts and times requests.

Who may scrape: a request whose client is this machine's loopback and that came through no proxy
(no X-Forwarded-For or Forwarded header: a reverse proxy on the same host would otherwise make
every reader look local), or one with `Authorization: Bearer <metrics.token>` when that secret
is set. Anyone else gets the JSON error, 401 or 403.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable
from typing import Any

from aiohttp import hdrs, web
from prometheus_client import CONTENT_TYPE_LATEST

from .. import metrics
from ..appkeys import MODERATION, SETTINGS
from ..errors import Forbidden, Unauthorized
from ..logs import flush_batches
from ..store.client import UNAVAILABLE_ERRORS
from .forwarded import client_address

METRICS_PATH = "/metrics"
UNMATCHED = "unmatched"  # requests no route took: their paths are whatever a client sent


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_counted: dict[tuple[str, ...], Any] = {}  # label children (metrics.labelled)
_timed: dict[tuple[str, ...], Any] = {}


def count_requests(answered: Iterable[tuple[str, str, int, float]]) -> None:
    """Count and time answered requests, (method from METHODS or "OTHER", route template or
    UNMATCHED, status, seconds) each. The request middleware collects them and calls this in
    batches."""
    counts: dict[tuple[str, str, int], int] = {}
    times: dict[tuple[str, str], list[float]] = {}
    for method, route, status, seconds in answered:
        key = (method, route, status)
        counts[key] = counts.get(key, 0) + 1
        timed = times.get((method, route))
        if timed is None:
            times[method, route] = [seconds]
        else:
            timed.append(seconds)
    for (method, route, status), n in counts.items():
        metrics.labelled(metrics.REQUESTS, _counted, (method, route, str(status))).inc(n)
    for labels, values in times.items():
        metrics.observe_many(metrics.labelled(metrics.LATENCY, _timed, labels), values)


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def may_scrape(request: web.Request) -> None:
    """Raises unless the request may read the metrics (see the module's doc)."""
    settings = request.app[SETTINGS]
    token = settings.metrics.token
    scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if token and scheme.lower() == "bearer":
        if hmac.compare_digest(given.strip().encode(), token.encode()):
            return
        raise Unauthorized("The metrics token is not valid.", code="invalid_token")
    proxied = hdrs.X_FORWARDED_FOR in request.headers or hdrs.FORWARDED in request.headers
    if _is_loopback(client_address(request)) and not proxied:
        return
    if token:
        raise Unauthorized(
            "Send 'Authorization: Bearer <metrics token>'.", code="metrics_token_required"
        )
    raise Forbidden("Metrics are served only on loopback.", code="metrics_forbidden")


async def get_metrics(request: web.Request) -> web.Response:
    may_scrape(request)
    flush_batches()  # this worker's requests so far, counted in batches
    try:
        counts = await request.app[MODERATION].counts()
    except UNAVAILABLE_ERRORS as exc:
        # The metrics matter most while Redis is down: serve the rest without the depths.
        metrics.redis_error(type(exc).__name__)
        counts = None
    response = web.Response(body=metrics.render(counts), headers={"Cache-Control": "no-store"})
    response.headers[hdrs.CONTENT_TYPE] = CONTENT_TYPE_LATEST
    return response


def setup_metrics(app: web.Application) -> None:
    """Requests are counted by the request middleware (`http/requests.py`), which runs outside
    CORS and the error translation and so sees every answer's final status."""
    app.router.add_get(METRICS_PATH, get_metrics)
