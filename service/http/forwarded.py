"""The client's address: the peer, or, when the peer is one of `server.trusted_proxies`, the
nearest untrusted hop in X-Forwarded-For (anything further left is whatever the client wrote)."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from aiohttp import web

from ..settings import SettingsError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The request's client address, worked out once per request by the request middleware
# (`service.http.requests`) for every handler that needs it and for the access log.
CLIENT_ADDRESS = web.RequestKey("client_address", str)


def client_address(request: web.Request) -> str:
    return request[CLIENT_ADDRESS]


@functools.lru_cache(maxsize=8)
def _parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`server.trusted_proxies`, parsed; a SettingsError naming the key for a bad entry."""
    try:
        return _parse_networks(tuple(entries))
    except ValueError as exc:
        raise SettingsError([f"server.trusted_proxies: {exc}"]) from exc


def client_ip(request: web.Request, trusted: tuple[Network, ...]) -> str:
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


@functools.lru_cache(maxsize=1024)  # the peer is mostly the proxy itself, request after request
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
