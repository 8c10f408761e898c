"""The client's address: the peer, or the right-most untrusted X-Forwarded-For hop when the peer
is one of `server.trusted_proxies`."""

from __future__ import annotations

import ipaddress

from aiohttp import web


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: web.Request, trusted_proxies: list[str]) -> str:
    peer = request.remote or ""
    if not trusted_proxies:
        return peer
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        parsed = _parse(address)
        return parsed is not None and any(parsed in n for n in networks)

    if not trusted(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    # Walk from the nearest hop outwards; the first address no trusted proxy vouches for is the
    # client (anything further left could have been written by the client itself).
    for hop in reversed(hops):
        if not trusted(hop):
            return hop if _parse(hop) is not None else peer
    return hops[0] if hops else peer
