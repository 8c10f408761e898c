"""The application factory, used by the server, the CLI and every test."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from . import health, openapi
from .appkeys import (
    COALESCER,
    COMMENTS,
    REDIS,
    RULES,
    SCREENING,
    SCRIPTS,
    SESSIONS,
    SETTINGS,
    USERS,
)
from .auth import handlers as auth_handlers
from .auth.oauth import handlers as login_handlers
from .auth.sessions import SessionStore
from .auth.users import UserStore
from .comments import handlers as comment_handlers
from .comments.screening import RulesHolder, RulesScreening
from .comments.store import CommentStore
from .http.metrics import setup_metrics
from .http.requests import setup_requests
from .moderation import handlers as moderation_handlers
from .rules import RuleSet, load_ruleset
from .settings import Settings
from .store.client import Redis, Scripts, close, connect, hash_encoding_advice
from .store.coalesce import Coalescer
from .store.keys import Keys
from .web import setup_routes as setup_web_routes

log = logging.getLogger(__name__)


async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the pool on the serving loop and close it after; everything over Redis is built
    here so that nothing loop-bound exists at import time."""
    settings = app[SETTINGS]
    client = connect(settings.redis)
    keys = Keys(settings.redis.key_prefix)
    coalescer = Coalescer(client)
    scripts = Scripts(client, coalescer)
    app[REDIS] = client
    app[COALESCER] = coalescer
    app[SCRIPTS] = scripts
    app[USERS] = UserStore(client, keys)
    app[SESSIONS] = SessionStore(client, keys, settings.sessions.ttl_seconds, scripts.session)
    app[COMMENTS] = CommentStore(client, keys, scripts, settings.redis)
    app[SCREENING] = RulesScreening(
        app[RULES], client, keys, scripts, settings.moderation.auto_close_days
    )
    advice = asyncio.create_task(_advise_on_hashes(client))
    try:
        yield
    finally:
        advice.cancel()
        await coalescer.close()
        # Shielded so that a cancelled shutdown still returns the connections.
        await asyncio.shield(close(client))


async def _advise_on_hashes(client: Redis) -> None:
    """At start, once: warn when the Redis would store comments in their costly encoding.
    Advisory only: a Redis that is down or slow now is /readyz's business, not this."""
    try:
        async with asyncio.timeout(5):
            advice = await hash_encoding_advice(client)
    except Exception as exc:  # advice must never break start-up
        log.debug("redis memory setting not checked", extra={"error": repr(exc)})
        return
    if advice:
        log.warning("redis memory setting", extra={"advice": advice})


def create_app(settings: Settings, *, ruleset: RuleSet | None = None) -> web.Application:
    """The application. `ruleset` replaces the policy file named by the settings (tests and
    benchmarks use it to run a policy without, say, rate limits)."""
    if settings.redis.embedded:
        raise ValueError("no Redis is configured: `serve` starts an embedded Redis and sets it")
    app = web.Application(client_max_size=settings.server.max_body_bytes)
    app[SETTINGS] = settings
    # Read and validated before serving: a broken policy stops start-up, naming the rule.
    app[RULES] = RulesHolder(ruleset or load_ruleset(settings.rules.resolved_path()))
    setup_requests(app, settings)
    setup_metrics(app)
    app.cleanup_ctx.append(redis_ctx)
    health.setup_routes(app)
    openapi.setup_routes(app)
    auth_handlers.setup_routes(app)
    login_handlers.setup_routes(app)
    comment_handlers.setup_routes(app)
    moderation_handlers.setup_routes(app)
    setup_web_routes(app)
    return app
