"""Typed settings: `config/default.toml`, then an optional file, then `SD_*` environment variables.

Every setting is declared once, as a dataclass field with its help text in the field metadata, so
that loading, validation, `check-config` and the documentation all come from one table
(`describe_settings()`). Secrets are never read from files in the repository: a field marked
`secret` is taken only from the environment (`SD_X_CLIENT_SECRET`) or from a file that the
environment names (`SD_X_CLIENT_SECRET_FILE`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


def _config_dir() -> Path:
    """`config/` beside the package in a source tree, else in the working directory (an
    installed package, as in the Docker image), unless SD_CONFIG_DIR names it."""
    if os.environ.get("SD_CONFIG_DIR"):
        return Path(os.environ["SD_CONFIG_DIR"]).resolve()
    beside = Path(__file__).resolve().parent.parent / "config"
    return beside if (beside / "default.toml").exists() else Path.cwd().resolve() / "config"


CONFIG_DIR = _config_dir()
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
ENV_PREFIX = "SD_"


class SettingsError(ValueError):
    """Raised with every problem found, each naming the key it is about."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n  " + "\n  ".join(problems))
        self.problems = problems


def setting(default: Any, help: str, *, secret: bool = False) -> Any:
    if isinstance(default, list):
        return field(
            default_factory=lambda: list(default), metadata={"help": help, "secret": secret}
        )
    return field(default=default, metadata={"help": help, "secret": secret})


@dataclass(frozen=True)
class ServerSettings:
    host: str = setting("127.0.0.1", "Address to listen on.")
    port: int = setting(8080, "TCP port to listen on.")
    public_url: str = setting(
        "http://127.0.0.1:8080",
        "The service's own public origin (scheme://host[:port]); login callbacks and the widget "
        "are built from it.",
    )
    max_body_bytes: int = setting(65536, "Largest request body accepted, in bytes.")
    workers: int = setting(1, "Worker processes sharing the port (serve --workers overrides it).")
    shutdown_timeout: float = setting(
        10.0, "Seconds a stopping worker waits for in-flight requests before it closes them."
    )
    trusted_proxies: list[str] = setting(
        [], "Proxy addresses whose X-Forwarded-For is believed for client IPs."
    )


@dataclass(frozen=True)
class RedisSettings:
    url: str = setting(
        "",
        "Redis URL (redis://, rediss:// or unix://). Empty, with no cluster_nodes or "
        "sentinel_master: start an embedded Redis under data_dir.",
    )
    data_dir: str = setting("var", "Directory of the embedded Redis (socket, AOF, log).")
    key_prefix: str = setting("sd", "Prefix of every key the service writes.")
    socket_timeout: float = setting(2.0, "Seconds before a Redis command is abandoned (503).")
    connect_timeout: float = setting(1.0, "Seconds before a Redis connection attempt fails.")
    max_connections: int = setting(64, "Size of the Redis connection pool per process.")
    retry_after: int = setting(5, "Retry-After seconds sent with 503 when Redis is unreachable.")
    cluster_nodes: list[str] = setting(
        [],
        "Seed nodes (host:port) of a Redis Cluster; when set, the service uses redis-py's "
        "cluster client, which finds every other node from them. Excludes url and sentinels.",
    )
    sentinel_master: str = setting(
        "", "Master name watched by Redis Sentinel; needs sentinels. Excludes url."
    )
    sentinels: list[str] = setting(
        [], "Sentinel addresses (host:port) that name the current master of sentinel_master."
    )
    wait_replicas: int = setting(
        0,
        "Replicas that must have a new comment before it is acknowledged (WAIT after the "
        "intake script; 503 when fewer confirm in wait_timeout_ms). 0: do not wait.",
    )
    wait_timeout_ms: int = setting(
        500, "Milliseconds the intake waits for wait_replicas replicas to confirm a comment."
    )

    @property
    def embedded(self) -> bool:
        """No Redis configured at all: `serve` starts the embedded one."""
        return not (self.url or self.cluster_nodes or self.sentinel_master)


@dataclass(frozen=True)
class SessionSettings:
    ttl_seconds: int = setting(30 * 86400, "Lifetime of a reader's session, in seconds.")
    cookie_name: str = setting("sd_session", "Name of the session cookie.")
    cookie_secure: bool = setting(
        True, "Send the session cookie with the Secure flag (only off in development over http)."
    )
    cookie_samesite: str = setting("Lax", "SameSite attribute of the session cookie (Lax|Strict).")


@dataclass(frozen=True)
class CommentSettings:
    max_length: int = setting(250, "Most user-perceived characters in a comment body.")
    min_length: int = setting(1, "Fewest user-perceived characters in a comment body.")
    page_size: int = setting(20, "Comments per page when the client does not say.")
    max_page_size: int = setting(100, "Largest page a client may ask for.")
    idempotency_ttl: int = setting(86400, "Seconds an Idempotency-Key is remembered.")
    moderation_mode: str = setting(
        "pre",
        "pre: every comment waits for a moderator; post: comments that no rule holds are "
        "published at once and reviewed afterwards.",
    )
    page_cache_seconds: float = setting(
        1.0,
        "Seconds each worker keeps an encoded public page of comments (0 turns it off). A "
        "change made through another worker shows within this time; through the same worker, "
        "at once.",
    )
    page_cache_bytes: int = setting(
        16 * 1024 * 1024, "Most bytes of encoded pages each worker keeps cached."
    )


@dataclass(frozen=True)
class SiteSettings:
    name: str = setting("Standards Desk", "Name of the newspaper, shown on the service's pages.")
    article_origins: list[str] = setting(
        ["http://127.0.0.1:8080", "http://localhost:8080"],
        "Origins of article pages allowed to embed the widget, call the API (CORS), receive "
        "login popups and be returned to after login.",
    )
    default_return_url: str = setting(
        "/", "Where login returns when the asked-for page is not allowed."
    )


@dataclass(frozen=True)
class XLoginSettings:
    client_id: str = setting("", "OAuth 2.0 client id of the X app. Empty: X login is not offered.")
    client_secret: str = setting(
        "", "OAuth 2.0 client secret of the X app (sent with HTTP Basic).", secret=True
    )
    authorize_url: str = setting("https://x.com/i/oauth2/authorize", "X's authorization page.")
    token_url: str = setting(
        "https://api.x.com/2/oauth2/token", "X's token endpoint (client_secret_basic)."
    )
    profile_url: str = setting(
        "https://api.x.com/2/users/me?user.fields=profile_image_url",
        "X's profile endpoint: id, name, username and image of the reader.",
    )
    scope: str = setting("tweet.read users.read", "Scopes asked of X, space-separated.")


@dataclass(frozen=True)
class FacebookLoginSettings:
    client_id: str = setting("", "Facebook App ID. Empty: Facebook login is not offered.")
    client_secret: str = setting(
        "", "Facebook App secret (token exchange and appsecret_proof).", secret=True
    )
    graph_version: str = setting(
        "v27.0", "Graph API version; replaces {version} in the URLs below."
    )
    authorize_url: str = setting(
        "https://www.facebook.com/{version}/dialog/oauth", "Facebook Login dialog."
    )
    token_url: str = setting(
        "https://graph.facebook.com/{version}/oauth/access_token",
        "Token endpoint (POST, client_secret_post).",
    )
    profile_url: str = setting(
        "https://graph.facebook.com/{version}/me?fields=id,name,picture",
        "Profile endpoint, called with appsecret_proof.",
    )
    scope: str = setting("public_profile", "Permissions asked of Facebook, space-separated.")


@dataclass(frozen=True)
class DevLoginSettings:
    enabled: bool = setting(
        False,
        "Offer the built-in development login provider `dev` (refused in production).",
    )
    client_id: str = setting("standards-desk-dev", "Client id the service uses with it.")
    authorize_url: str = setting(
        "/dev-oauth/authorize", "Its authorization page, relative to server.public_url."
    )
    token_url: str = setting("/dev-oauth/token", "Its token endpoint, relative to public_url.")
    profile_url: str = setting("/dev-oauth/userinfo", "Its profile endpoint, relative to it.")
    scope: str = setting("profile", "Scopes asked of it.")


@dataclass(frozen=True)
class OAuthSettings:
    timeout: float = setting(
        10.0, "Seconds allowed for each call to a login provider (token exchange, profile)."
    )
    transaction_ttl: int = setting(
        600, "Seconds between starting a login and its callback before it is refused."
    )
    rate_limit: int = setting(
        30, "Login requests (starts and callbacks) allowed per client IP per window."
    )
    rate_window: int = setting(60, "Length of the login rate-limit window, in seconds.")
    x: XLoginSettings = field(default_factory=XLoginSettings)
    facebook: FacebookLoginSettings = field(default_factory=FacebookLoginSettings)
    dev: DevLoginSettings = field(default_factory=DevLoginSettings)


@dataclass(frozen=True)
class ModerationSettings:
    lease_seconds: float = setting(
        300.0,
        "How long a claimed comment stays with its moderator before it goes back to the queue "
        "(a claim can be extended).",
    )
    max_claim: int = setting(100, "Most comments one claim or one bulk decision may cover.")
    claim_scan_entries: int = setting(
        2000,
        "Queue entries a claim filtered by article or rule reads per shard, oldest first, "
        "looking for matches (bounds the time Redis spends on one claim).",
    )
    report_threshold: int = setting(
        3, "Reader reports that withhold a comment from the public and queue it as reported."
    )
    reason_codes: list[str] = setting(
        [
            "acceptable",
            "off_topic",
            "incivility",
            "harassment",
            "hate_speech",
            "spam",
            "personal_info",
            "misinformation",
            "legal_risk",
            "other",
        ],
        "Reason codes of the standards-board policy that decisions and sanctions must cite.",
    )
    audit_max_entries: int = setting(
        1_000_000, "Audit entries kept per article shard stream (older ones are trimmed)."
    )
    auto_close_days: int = setting(
        0, "Close an article's comments this many days after its first comment (0: never)."
    )
    events_interval: float = setting(
        1.0, "Seconds between queue-count checks for the moderators' live updates (SSE)."
    )
    rules_poll_seconds: float = setting(
        2.0, "Seconds between checks for a rule set replaced through the API (every worker)."
    )
    max_policy_bytes: int = setting(
        4 * 1024 * 1024,
        "Largest body of a rules replacement (PUT /api/v1/moderation/rules: the rules and "
        "word lists), in bytes; other routes keep server.max_body_bytes.",
    )


@dataclass(frozen=True)
class MetricsSettings:
    token: str = setting(
        "",
        "Bearer token that may read /metrics from anywhere. Empty: /metrics answers only "
        "requests from loopback that came through no proxy.",
        secret=True,
    )


@dataclass(frozen=True)
class RulesSettings:
    path: str = setting(
        "", "The standards-board policy (TOML). Empty: rules.toml in the configuration directory."
    )

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else CONFIG_DIR / "rules.toml"


@dataclass(frozen=True)
class Settings:
    env: str = setting("production", "development (conveniences on) or production.")
    server: ServerSettings = field(default_factory=ServerSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    comments: CommentSettings = field(default_factory=CommentSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    moderation: ModerationSettings = field(default_factory=ModerationSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)

    @property
    def development(self) -> bool:
        return self.env == "development"

    def replace(self, **changes: Any) -> Settings:
        """A copy with dotted keys changed: `settings.replace(**{"redis.url": "…"})`."""
        data = as_dict(self)
        for dotted, value in changes.items():
            _assign(data, dotted.split("."), value)
        built: Settings = _build(data)
        return built


# ---------------------------------------------------------------- description


@dataclass(frozen=True)
class SettingInfo:
    key: str
    type: str
    default: Any
    help: str
    secret: bool
    env: str


def describe_settings(cls: type[Any] = Settings, prefix: str = "") -> Iterator[SettingInfo]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            yield from describe_settings(typing.cast(type[Any], hint), key + ".")
            continue
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        else:
            default = f.default_factory()  # type: ignore[operator]
        yield SettingInfo(
            key=key,
            type=_type_name(hint),
            default=default,
            help=f.metadata.get("help", ""),
            secret=bool(f.metadata.get("secret")),
            env=ENV_PREFIX + key.replace(".", "_").upper(),
        )


def _type_name(hint: Any) -> str:
    if typing.get_origin(hint) is list:
        return "list[str]"
    if isinstance(hint, types.UnionType):
        return " | ".join(_type_name(a) for a in typing.get_args(hint))
    return getattr(hint, "__name__", str(hint))


# ---------------------------------------------------------------- loading


def load_settings(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then `path` (or `SD_CONFIG`), then `SD_*` variables, then `overrides`."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    data: dict[str, Any] = {}
    for source in (DEFAULT_CONFIG, path or environ.get("SD_CONFIG")):
        if not source:
            continue
        try:
            loaded = tomllib.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError([f"{source}: {exc}"]) from exc
        _merge(data, loaded)
    infos = {info.key: info for info in describe_settings()}
    flat = set(_flatten(data))
    for info in infos.values():
        if info.secret and info.key in flat:
            problems.append(f"{info.key}: a secret; set {info.env} or {info.env}_FILE instead")
    for info in infos.values():
        raw = _secret_or_env(info, environ, problems)
        if raw is not None:
            _assign(data, info.key.split("."), _parse_env(info, raw, problems))
    for dotted, value in (overrides or {}).items():
        _assign(data, dotted.split("."), value)
    for key in _flatten(data):
        if key not in infos:
            problems.append(f"{key}: unknown setting")
    if problems:
        raise SettingsError(problems)
    settings: Settings = _build(data)
    validate(settings)
    return settings


def _merge(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict):
            _merge(into.setdefault(key, {}), value)
        else:
            into[key] = value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def _assign(data: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        data = data.setdefault(part, {})
    data[parts[-1]] = value


def _secret_or_env(
    info: SettingInfo, environ: Mapping[str, str], problems: list[str]
) -> str | None:
    if info.env in environ:
        return environ[info.env]
    file_var = info.env + "_FILE"
    if info.secret and file_var in environ:
        try:
            return Path(environ[file_var]).read_text(encoding="utf-8").strip()
        except OSError as exc:
            problems.append(f"{info.key}: cannot read {file_var}: {exc}")
    return None


def _parse_env(info: SettingInfo, raw: str, problems: list[str]) -> Any:
    try:
        if info.type == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError("expected true or false")
            return lowered in {"1", "true", "yes", "on"}
        if info.type == "int":
            return int(raw)
        if info.type == "float":
            return float(raw)
        if info.type == "list[str]":
            return [item.strip() for item in raw.split(",") if item.strip()]
    except ValueError as exc:
        problems.append(f"{info.key} ({info.env}): {exc}")
        return info.default
    return raw


def _build(data: Mapping[str, Any], cls: type[Any] = Settings, prefix: str = "") -> Any:
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    problems: list[str] = []
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        key, hint, value = f"{prefix}{f.name}", hints[f.name], data[f.name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                problems.append(f"{key}: expected a table")
                continue
            try:
                kwargs[f.name] = _build(value, typing.cast(type[Any], hint), key + ".")
            except SettingsError as exc:
                problems.extend(exc.problems)
            continue
        error = _type_error(hint, value)
        if error:
            problems.append(f"{key}: {error}")
        else:
            kwargs[f.name] = float(value) if hint is float else value
    if problems:
        raise SettingsError(problems)
    return cls(**kwargs)


def _type_error(hint: Any, value: Any) -> str | None:
    if typing.get_origin(hint) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"expected a list of strings, got {value!r}"
        return None
    if hint is bool:
        return None if isinstance(value, bool) else f"expected true or false, got {value!r}"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected an integer, got {value!r}"
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {value!r}"
    if hint is str:
        return None if isinstance(value, str) else f"expected a string, got {value!r}"
    return None


# ---------------------------------------------------------------- validation


def _is_origin(value: str) -> bool:
    parts = urlsplit(value)
    return (
        parts.scheme in {"http", "https"}
        and bool(parts.hostname)
        and parts.path in {"", "/"}
        and not parts.query
        and not parts.fragment
        and not parts.username
    )


def validate(settings: Settings) -> None:
    """Cross-field checks; production refuses what is only safe in development."""
    problems: list[str] = []
    if settings.env not in {"development", "production"}:
        problems.append(f"env: must be development or production, got {settings.env!r}")
    if not 0 < settings.server.port < 65536:
        problems.append("server.port: must be between 1 and 65535")
    if not _is_origin(settings.server.public_url):
        problems.append("server.public_url: must be an origin such as https://comments.example")
    for proxy in settings.server.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            problems.append(f"server.trusted_proxies: {proxy!r} is not an address or network")
    if not 1 <= settings.server.workers <= 64:
        problems.append("server.workers: must be between 1 and 64")
    if not 0 < settings.server.shutdown_timeout <= 300:
        problems.append("server.shutdown_timeout: must be between 0 and 300 seconds")
    if settings.server.max_body_bytes < 1024:
        problems.append("server.max_body_bytes: must be at least 1024")
    for origin in settings.site.article_origins:
        if not _is_origin(origin):
            problems.append(f"site.article_origins: {origin!r} is not an http(s) origin")
    c = settings.comments
    if not 1 <= c.min_length <= c.max_length <= 5000:
        problems.append("comments.min_length/max_length: need 1 <= min_length <= max_length")
    if not 1 <= c.page_size <= c.max_page_size <= 500:
        problems.append("comments.page_size: need 1 <= page_size <= max_page_size <= 500")
    if c.moderation_mode not in {"pre", "post"}:
        problems.append("comments.moderation_mode: must be pre or post")
    if not 0 <= c.page_cache_seconds <= 60:
        problems.append("comments.page_cache_seconds: must be between 0 and 60")
    if c.page_cache_bytes < 0:
        problems.append("comments.page_cache_bytes: must not be negative")
    m = settings.moderation
    if not 0 < m.lease_seconds <= 86400:
        problems.append("moderation.lease_seconds: must be between 0 and 86400")
    if not 1 <= m.max_claim <= 1000:
        problems.append("moderation.max_claim: must be between 1 and 1000")
    if not 1 <= m.claim_scan_entries <= 1_000_000:
        problems.append("moderation.claim_scan_entries: must be between 1 and 1000000")
    if not 1024 <= m.max_policy_bytes <= 256 * 1024 * 1024:
        problems.append("moderation.max_policy_bytes: must be between 1024 and 268435456")
    if m.report_threshold < 1:
        problems.append("moderation.report_threshold: must be at least 1")
    if not m.reason_codes or any(not code.isidentifier() for code in m.reason_codes):
        problems.append("moderation.reason_codes: need at least one, each like 'off_topic'")
    if settings.sessions.cookie_samesite not in {"Lax", "Strict"}:
        problems.append("sessions.cookie_samesite: must be Lax or Strict")
    if settings.sessions.ttl_seconds < 60:
        problems.append("sessions.ttl_seconds: must be at least 60")
    if not settings.redis.key_prefix or any(ch in settings.redis.key_prefix for ch in "{}: "):
        problems.append("redis.key_prefix: must be non-empty without braces, colons or spaces")
    if settings.redis.socket_timeout <= 0 or settings.redis.connect_timeout <= 0:
        problems.append("redis.socket_timeout/connect_timeout: must be positive")
    problems += _redis_topology_problems(settings.redis)
    o = settings.oauth
    if o.timeout <= 0 or o.transaction_ttl < 60 or o.rate_limit < 1 or o.rate_window < 1:
        problems.append("oauth: timeout, rate_limit, rate_window must be positive, ttl >= 60")
    for name, p in (("x", o.x), ("facebook", o.facebook)):
        if bool(p.client_id) != bool(p.client_secret):
            problems.append(f"oauth.{name}.client_secret: set both client_id and client_secret")
    if settings.env == "production":
        if o.dev.enabled:
            problems.append("oauth.dev.enabled: the development login is refused in production")
        if not settings.sessions.cookie_secure:
            problems.append("sessions.cookie_secure: must be true in production")
        if not settings.server.public_url.startswith("https://") and not _loopback(
            settings.server.public_url
        ):
            problems.append("server.public_url: must be https in production")
    if problems:
        raise SettingsError(problems)


def _address_problem(value: str) -> str | None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"{value!r} is not host:port"
    return None


def _redis_topology_problems(r: RedisSettings) -> list[str]:
    """One topology at a time: a URL, a cluster's seed nodes, or a sentinel-watched master."""
    problems: list[str] = []
    chosen = [
        name
        for name, on in (
            ("redis.url", bool(r.url)),
            ("redis.cluster_nodes", bool(r.cluster_nodes)),
            ("redis.sentinel_master", bool(r.sentinel_master)),
        )
        if on
    ]
    if len(chosen) > 1:
        problems.append(f"{chosen[1]}: set only one of redis.url, cluster_nodes, sentinel_master")
    for key, values in (("redis.cluster_nodes", r.cluster_nodes), ("redis.sentinels", r.sentinels)):
        for value in values:
            problem = _address_problem(value)
            if problem:
                problems.append(f"{key}: {problem}")
    if bool(r.sentinel_master) != bool(r.sentinels):
        problems.append("redis.sentinels: sentinel_master and sentinels go together")
    if r.cluster_nodes and r.max_connections < 8:
        problems.append("redis.max_connections: at least 8 per cluster node")
    if not 0 <= r.wait_replicas <= 16:
        problems.append("redis.wait_replicas: must be between 0 and 16")
    if not 1 <= r.wait_timeout_ms <= 60_000:
        problems.append("redis.wait_timeout_ms: must be between 1 and 60000")
    return problems


def _loopback(url: str) -> bool:
    return urlsplit(url).hostname in {"127.0.0.1", "localhost", "::1"}


def as_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def settings_markdown() -> str:
    """docs/configuration.md: every setting, its environment variable, default and meaning."""
    lines = [
        "# Configuration",
        "",
        "Settings come from `config/default.toml`, then the file named by `--config` or",
        "`SD_CONFIG`, then environment variables. Secrets are read only from the environment",
        "(`SD_…`) or from a file the environment names (`SD_…_FILE`). `python -m service",
        "check-config` validates without serving; errors name the key. This page is generated",
        "by `make docs`.",
        "",
        "| key | environment | type | default | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for info in describe_settings():
        default = "(secret: environment only)" if info.secret else f"`{info.default!r}`"
        help_text = info.help.replace("|", "\\|")
        lines.append(f"| `{info.key}` | `{info.env}` | {info.type} | {default} | {help_text} |")
    return "\n".join(lines) + "\n"
