"""A per-client-IP fixed-window counter for the login endpoints.

Login starts and callbacks cost a Redis write and a provider round trip each, and a burst of them
from one address is either a bot or a loop; a fixed window is enough to stop both. IPv6 clients
are counted per /64, the block one household usually gets.
"""

from __future__ import annotations

import ipaddress
import math
import time

from aiohttp import web

from ...errors import RateLimited
from ...http.forwarded import client_address
from ...store.client import Redis


class LoginRateLimit:
    def __init__(
        self,
        redis: Redis,
        key_prefix: str,
        limit: int,
        window_seconds: int,
    ) -> None:
        self.redis = redis
        self.prefix = key_prefix
        self.limit = limit
        self.window = window_seconds

    async def check(self, request: web.Request) -> None:
        await self.hit(client_address(request))

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
