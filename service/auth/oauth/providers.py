"""The login providers this deployment offers and how each one describes a reader.

Everything a provider needs (URLs, version, scopes, credentials) comes from settings; what is in
code is the protocol: how the client authenticates at the token endpoint, whether profile calls
carry Facebook's `appsecret_proof`, and where the profile fields are.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from ...settings import Settings

NAMES = ("x", "facebook", "dev")
MAX_NAME = 100
MAX_AVATAR_URL = 500
# C0/C1 controls and the bidirectional overrides that could make a name lie about itself.
_UNSAFE_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class MalformedProfile(ValueError):
    """The provider's profile answer lacks what a login needs."""


@dataclass(frozen=True)
class Profile:
    provider_user_id: str
    name: str
    avatar_url: str


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    profile_url: str
    scope: str
    client_auth_method: str  # client_secret_basic | client_secret_post | none
    appsecret_proof: bool
    read_profile: Callable[[Any], Profile]


class ProviderRegistry:
    """The providers offered, by name; a provider without credentials is absent."""

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        self._providers = dict(providers)

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    def offered(self) -> list[Provider]:
        return list(self._providers.values())


def callback_url(settings: Settings, provider: str) -> str:
    """The exact redirect URI registered with the provider: one callback path per provider."""
    return f"{settings.server.public_url.rstrip('/')}/auth/{provider}/callback"


def providers_from(settings: Settings) -> ProviderRegistry:
    o = settings.oauth
    found: dict[str, Provider] = {}
    if o.x.client_id and o.x.client_secret:
        found["x"] = Provider(
            name="x",
            label="X",
            client_id=o.x.client_id,
            client_secret=o.x.client_secret,
            authorize_url=o.x.authorize_url,
            token_url=o.x.token_url,
            profile_url=o.x.profile_url,
            scope=o.x.scope,
            client_auth_method="client_secret_basic",
            appsecret_proof=False,
            read_profile=read_x_profile,
        )
    fb = o.facebook
    if fb.client_id and fb.client_secret:

        def versioned(url: str) -> str:
            return url.replace("{version}", fb.graph_version)

        found["facebook"] = Provider(
            name="facebook",
            label="Facebook",
            client_id=fb.client_id,
            client_secret=fb.client_secret,
            authorize_url=versioned(fb.authorize_url),
            token_url=versioned(fb.token_url),
            profile_url=versioned(fb.profile_url),
            scope=fb.scope,
            client_auth_method="client_secret_post",
            appsecret_proof=True,
            read_profile=read_facebook_profile,
        )
    if o.dev.enabled and settings.development:
        base = settings.server.public_url.rstrip("/") + "/"
        found["dev"] = Provider(
            name="dev",
            label="Development login",
            client_id=o.dev.client_id,
            client_secret="",  # a public client: PKCE, no secret  # nosec B106
            authorize_url=urljoin(base, o.dev.authorize_url),
            token_url=urljoin(base, o.dev.token_url),
            profile_url=urljoin(base, o.dev.profile_url),
            scope=o.dev.scope,
            # A public client: PKCE is its proof, as for an app that cannot keep a secret.
            client_auth_method="none",
            appsecret_proof=False,
            read_profile=read_dev_profile,
        )
    return ProviderRegistry(found)


# ---------------------------------------------------------------- profiles


def read_x_profile(body: Any) -> Profile:
    """`GET /2/users/me`: {"data": {"id", "name", "username", "profile_image_url"}}."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise MalformedProfile("no data object")
    return Profile(
        provider_user_id=_id(data.get("id")),
        name=clean_name(data.get("name")) or clean_name(data.get("username")) or "X reader",
        avatar_url=clean_avatar(data.get("profile_image_url")),
    )


def read_facebook_profile(body: Any) -> Profile:
    """`GET /me?fields=id,name,picture`: {"id", "name", "picture": {"data": {"url"}}}."""
    if not isinstance(body, dict):
        raise MalformedProfile("not an object")
    picture = body.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    url = data.get("url") if isinstance(data, dict) else None
    return Profile(
        provider_user_id=_id(body.get("id")),
        name=clean_name(body.get("name")) or "Facebook reader",
        avatar_url=clean_avatar(url),
    )


def read_dev_profile(body: Any) -> Profile:
    """The development provider's userinfo: {"sub", "name", "picture"}."""
    if not isinstance(body, dict):
        raise MalformedProfile("not an object")
    return Profile(
        provider_user_id=_id(body.get("sub")),
        name=clean_name(body.get("name")) or "Dev reader",
        avatar_url=clean_avatar(body.get("picture")),
    )


def _id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
        raise MalformedProfile("no usable id")
    text: str = value
    if not text.isascii() or any(ch in text for ch in " :{}"):
        # Provider ids are digits; anything else is hashed so it cannot shape a Redis key.
        text = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return text


def clean_name(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    return _UNSAFE_IN_NAME.sub("", value).strip()[:MAX_NAME]


def clean_avatar(value: Any) -> str:
    """Only an https URL is kept: the widget puts it in an <img src>."""
    if not isinstance(value, str) or len(value) > MAX_AVATAR_URL:
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    if parts.scheme != "https" or not parts.hostname or parts.username is not None:
        return ""
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        return ""
    return value
