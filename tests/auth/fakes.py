"""Fake X and Facebook: small aiohttp apps on loopback that check what the real ones check and
can be told to fail.

Both check the client id, the exact redirect URI, PKCE (S256 at the authorization request, the
verifier at the token endpoint) and that each code is used once. X wants HTTP Basic client
authentication at its token endpoint and nothing secret in the body; Facebook wants the secret in
the POST body and an `appsecret_proof` on profile calls. Every request is logged in `calls`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
CALLBACK = "http://127.0.0.1:8080/auth/{}/callback"


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class Grant:
    challenge: str
    redirect_uri: str


@dataclass
class FakeProvider:
    kind: str  # "x" or "facebook"
    user: dict[str, Any] = field(default_factory=dict)
    deny: bool = False
    # None, or how to fail: "500", "429", "non_json", "timeout", "no_access_token"
    token_failure: str | None = None
    # None, or "500", "429", "non_json", "timeout", "omit_id", "omit_name_and_picture"
    profile_failure: str | None = None
    delay: float = 1.0
    calls: list[str] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_forms: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    def __post_init__(self) -> None:
        self.user = self.user or {
            "id": "1000001",
            "name": "Kim Reader",
            "image": "https://img.example/kim.jpg",
        }
        self.redirect_uri = CALLBACK.format(self.kind)

    # ------------------------------------------------------------ paths

    @property
    def paths(self) -> dict[str, str]:
        if self.kind == "x":
            return {
                "authorize": "/i/oauth2/authorize",
                "token": "/2/oauth2/token",
                "profile": "/2/users/me",
            }
        return {
            "authorize": "/v27.0/dialog/oauth",
            "token": "/v27.0/oauth/access_token",
            "profile": "/v27.0/me",
        }

    def settings(self, base_url: str) -> dict[str, Any]:
        """Settings overrides that point the service at this fake."""
        self.base_url = base_url
        p = self.paths
        section = f"oauth.{self.kind}"
        profile = (
            base_url
            + p["profile"]
            + ("?user.fields=profile_image_url" if self.kind == "x" else "?fields=id,name,picture")
        )
        return {
            f"{section}.client_id": CLIENT_ID,
            f"{section}.client_secret": CLIENT_SECRET,
            f"{section}.authorize_url": base_url + p["authorize"],
            f"{section}.token_url": base_url + p["token"],
            f"{section}.profile_url": profile,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.paths["authorize"], self.authorize)
        app.router.add_post(self.paths["token"], self.token)
        app.router.add_get(self.paths["profile"], self.profile)
        return app

    # ------------------------------------------------------------ authorize

    async def authorize(self, request: web.Request) -> web.Response:
        self.calls.append("authorize")
        q = request.query
        expected_scope = "tweet.read users.read" if self.kind == "x" else "public_profile"
        problems = [
            name
            for name, ok in (
                ("response_type", q.get("response_type") == "code"),
                ("client_id", q.get("client_id") == CLIENT_ID),
                ("redirect_uri", q.get("redirect_uri") == self.redirect_uri),
                ("scope", q.get("scope") == expected_scope),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", len(q.get("code_challenge", "")) == 43),
                ("state", bool(q.get("state"))),
            )
            if not ok
        ]
        if problems:
            # A real provider shows an error page and never redirects to an unchecked URI.
            return web.Response(status=400, text="invalid_request: " + ", ".join(problems))
        if self.deny:
            extra = (
                {"error_reason": "user_denied", "error_code": "200"}
                if self.kind == "facebook"
                else {}
            )
            return self._back(
                error="access_denied",
                error_description="The user denied.",
                state=q["state"],
                **extra,
            )
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(challenge=q["code_challenge"], redirect_uri=q["redirect_uri"])
        return self._back(code=code, state=q["state"])

    def _back(self, **params: str) -> web.Response:
        return web.Response(
            status=302, headers={"Location": f"{self.redirect_uri}?{urlencode(params)}"}
        )

    # ------------------------------------------------------------ token

    async def token(self, request: web.Request) -> web.Response:
        self.calls.append("token")
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_forms.append(form)
        if not self._client_authenticated(request, form):
            return _oauth_error(401, "invalid_client")
        if form.get("grant_type") != "authorization_code":
            return _oauth_error(400, "unsupported_grant_type")
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if grant is None:
            return _oauth_error(400, "invalid_grant")
        if form.get("redirect_uri") != grant.redirect_uri:
            return _oauth_error(400, "invalid_grant")
        if s256(form.get("code_verifier", "")) != grant.challenge:
            return _oauth_error(400, "invalid_grant")
        failed = await self._fail(self.token_failure)
        if failed is not None:
            return failed
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = dict(self.user)
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": 7200,
        }
        if self.kind == "x":
            body["scope"] = "tweet.read users.read"
        if self.token_failure == "no_access_token":
            del body["access_token"]
        return web.json_response(body)

    def _client_authenticated(self, request: web.Request, form: dict[str, str]) -> bool:
        header = request.headers.get("Authorization", "")
        if self.kind == "x":
            # client_secret_basic, and no secret in the body.
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            return hmac.compare_digest(header, expected) and "client_secret" not in form
        # client_secret_post, and no Basic header.
        return (
            not header
            and form.get("client_id") == CLIENT_ID
            and hmac.compare_digest(form.get("client_secret", ""), CLIENT_SECRET)
        )

    # ------------------------------------------------------------ profile

    async def profile(self, request: web.Request) -> web.Response:
        self.calls.append("profile")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = self.tokens.get(token) if scheme.lower() == "bearer" else None
        if user is None:
            return web.json_response({"error": "invalid_token"}, status=401)
        if self.kind == "x":
            if request.query.get("user.fields") != "profile_image_url":
                return web.json_response({"error": "fields"}, status=400)
        else:
            proof = hmac.new(CLIENT_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(request.query.get("appsecret_proof", ""), proof):
                return web.json_response(
                    {
                        "error": {
                            "message": "Invalid appsecret_proof",
                            "type": "GraphMethodException",
                            "code": 100,
                        }
                    },
                    status=400,
                )
            if request.query.get("fields") != "id,name,picture":
                return web.json_response({"error": "fields"}, status=400)
        failed = await self._fail(self.profile_failure)
        if failed is not None:
            return failed
        return web.json_response(self._profile_body(user))

    def _profile_body(self, user: dict[str, Any]) -> dict[str, Any]:
        omit_id = self.profile_failure == "omit_id"
        sparse = self.profile_failure == "omit_name_and_picture"
        if self.kind == "x":
            data: dict[str, Any] = {"id": user["id"], "username": "kimreader"}
            if not sparse:
                data.update(name=user["name"], profile_image_url=user["image"])
            if omit_id:
                del data["id"]
            return {"data": data}
        body: dict[str, Any] = {"id": user["id"]}
        if not sparse:
            body.update(
                name=user["name"], picture={"data": {"url": user["image"], "is_silhouette": False}}
            )
        if omit_id:
            del body["id"]
        return body

    async def _fail(self, how: str | None) -> web.Response | None:
        if how == "500":
            return web.Response(status=500, text="Internal Server Error")
        if how == "429":
            return web.Response(
                status=429,
                text="<html><body>Rate limit exceeded</body></html>",
                content_type="text/html",
            )
        if how == "non_json":
            return web.Response(status=200, text="this is not json", content_type="text/plain")
        if how == "timeout":
            await asyncio.sleep(self.delay)
        return None


def _oauth_error(status: int, error: str) -> web.Response:
    return web.json_response(
        {"error": error, "error_description": error.replace("_", " ")}, status=status
    )
