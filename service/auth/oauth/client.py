"""Every call to a login provider, through Authlib's async OAuth 2 client.

Authlib's traps, each handled here: `code_challenge_method="S256"` is set on the client (without
it the verifier is silently left out of the authorization URL); `redirect_uri` is always explicit;
the client is new for each login because it keeps the token on itself; every call is bounded by
`oauth.timeout` (httpx's own timeouts cover each phase, `asyncio.timeout` the whole call, so a
provider that trickles bytes is cut off too). There are no retries: X's code lives 30 seconds and
may be used once. State and `error=` are checked by the caller before anything here runs.

The provider's tokens never leave this module: they are used for the profile call and dropped.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import logging
import ssl
from typing import Any
from urllib.parse import urlencode

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from .providers import MalformedProfile, Profile, Provider

log = logging.getLogger("service.auth.oauth")


class ProviderFailure(Exception):
    """A provider call went wrong; `kind` is timeout, unavailable, refused or bad_answer."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building the CA store takes tens of milliseconds; do it once, not per login.
    return httpx2.create_ssl_context()


def new_client(provider: Provider, redirect_uri: str, timeout: float) -> Any:
    """A fresh client for one login."""
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret or None,
        token_endpoint_auth_method=provider.client_auth_method,
        scope=provider.scope,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=timeout,
        follow_redirects=False,
        verify=_tls(),
    )


async def authorization_url(
    provider: Provider, redirect_uri: str, state: str, code_verifier: str, time_limit: float
) -> str:
    async with new_client(provider, redirect_uri, time_limit) as client:
        url, _ = client.create_authorization_url(
            provider.authorize_url, state=state, code_verifier=code_verifier
        )
    return str(url)


async def fetch_profile(
    provider: Provider, redirect_uri: str, code: str, code_verifier: str, time_limit: float
) -> Profile:
    """Exchange the code (once) and read the reader's profile; ProviderFailure on any problem."""
    step = "token"
    try:
        async with new_client(provider, redirect_uri, time_limit) as client:
            async with asyncio.timeout(time_limit):
                token = await client.fetch_token(
                    provider.token_url,
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
            access_token = token.get("access_token")
            if not isinstance(access_token, str) or not access_token:
                raise ProviderFailure("bad_answer", "token: no access_token")
            step = "profile"
            async with asyncio.timeout(time_limit):
                response = await client.get(_profile_url(provider, access_token))
            response.raise_for_status()
            return provider.read_profile(response.json())
    except ProviderFailure as exc:
        failure = exc
    except (TimeoutError, httpx2.TimeoutException):
        failure = ProviderFailure("timeout", step)
    except OAuthError as exc:
        failure = ProviderFailure("refused", f"{step}: {exc.error}")
    except httpx2.HTTPStatusError as exc:
        failure = ProviderFailure("unavailable", f"{step}: HTTP {exc.response.status_code}")
    except httpx2.HTTPError as exc:
        failure = ProviderFailure("unavailable", f"{step}: {type(exc).__name__}")
    except (MalformedProfile, ValueError, TypeError, KeyError, AttributeError) as exc:
        # Authlib's "not a JSON object", httpx's JSON decoding, a token of the wrong shape.
        failure = ProviderFailure("bad_answer", f"{step}: {exc}")
    log.warning(
        "login provider failed",
        extra={"provider": provider.name, "kind": failure.kind, "detail": failure.detail},
    )
    raise failure


def _profile_url(provider: Provider, access_token: str) -> str:
    if not provider.appsecret_proof:
        return provider.profile_url
    # Facebook: proves that the call comes from the app's server, not from a leaked token.
    proof = hmac.new(
        provider.client_secret.encode("utf-8"), access_token.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    separator = "&" if "?" in provider.profile_url else "?"
    return provider.profile_url + separator + urlencode({"appsecret_proof": proof})
