"""A per-client-IP fixed-window counter for the login endpoints.

Login starts and callbacks cost a Redis write and a provider round trip each, and a burst of them
from one address is either a bot or a loop; a fixed window is enough to stop both. IPv6 clients
are counted per /64, the block one household usually gets.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterable

from aiohttp import web

from ...errors import RateLimited
from ...store.client import Redis

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class LoginRateLimit:
    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        limit: int,
        window_seconds: int,
        trusted_proxies: tuple[Network, ...] = (),
    ) -> None:
        self.redis = redis
        self.prefix = key_prefix
        self.limit = limit
        self.window = window_seconds
        self.trusted = trusted_proxies

    async def check(self, request: web.Request) -> None:
        await self.hit(client_ip(request, self.trusted))

    async def hit(self, client: str) -> None:
        """Count one request from `client`; RateLimited once it is over the limit."""
        now = time.time()
        window = int(now // self.window)
        key = f"{self.prefix}:rl:login:{window}:{_subject(client)}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            # The window is in the key, so refreshing the expiry on every hit is harmless.
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        if int(count) > self.limit:
            retry_after = math.ceil((window + 1) * self.window - now)
            raise RateLimited(
                "Too many login attempts from your network; try again shortly.",
                retry_after=retry_after,
                limit=self.limit,
                window_seconds=self.window,
            )


def _subject(client: str) -> str:
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def client_ip(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """The peer address, or, when the peer is a trusted proxy, the nearest untrusted address in
    X-Forwarded-For (the left part of that header is whatever the client wrote)."""
    peer = request.remote or ""
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _is_ip(hop) else peer
    return peer


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
