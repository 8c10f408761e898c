"""Typed application keys: everything the app holds, in one place."""

from __future__ import annotations

from aiohttp import web

from .auth.oauth.providers import ProviderRegistry
from .auth.oauth.ratelimit import LoginRateLimit
from .auth.oauth.returnto import ReturnPolicy
from .auth.oauth.transactions import LoginTransactions
from .auth.sessions import SessionStore
from .auth.users import UserStore
from .comments.intake import Screening
from .comments.pagecache import PageCache
from .comments.screening import RulesHolder
from .comments.store import CommentStore
from .moderation.moderators import ModeratorStore
from .moderation.queue import ModerationQueue
from .settings import Settings
from .store.client import Redis, Scripts
from .store.coalesce import Coalescer

SETTINGS = web.AppKey("settings", Settings)
REDIS: web.AppKey[Redis] = web.AppKey("redis")  # a union (single or cluster client)
SCRIPTS = web.AppKey("scripts", Scripts)
COALESCER = web.AppKey("coalescer", Coalescer)
USERS = web.AppKey("users", UserStore)
SESSIONS = web.AppKey("sessions", SessionStore)
COMMENTS = web.AppKey("comments", CommentStore)
PAGES = web.AppKey("pages", PageCache)
SCREENING = web.AppKey("screening", Screening)
RULES = web.AppKey("rules", RulesHolder)
LOGIN_PROVIDERS = web.AppKey("login_providers", ProviderRegistry)
LOGIN_POLICY = web.AppKey("login_return_policy", ReturnPolicy)
LOGIN_TRANSACTIONS = web.AppKey("login_transactions", LoginTransactions)
LOGIN_LIMIT = web.AppKey("login_rate_limit", LoginRateLimit)
MODERATION = web.AppKey("moderation", ModerationQueue)
MODERATORS = web.AppKey("moderators", ModeratorStore)
