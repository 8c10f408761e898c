"""`python -m service` / `standards-desk`: serve, check-config, dev-token, openapi."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from .logs import setup_logging
from .moderation import cli as moderation_cli
from .rules import cli as rules_cli
from .settings import Settings, SettingsError, load_settings
from .store.embedded import EmbeddedRedis, EmbeddedRedisError, redis_url_for

log = logging.getLogger("service")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "host", None):
        overrides["server.host"] = args.host
    if getattr(args, "port", None):
        overrides["server.port"] = args.port
    if getattr(args, "workers", None):
        overrides["server.workers"] = args.workers
    return load_settings(args.config, overrides=overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from .workers import Supervisor

    settings = _settings(args)
    setup_logging()
    embedded: EmbeddedRedis | None = None
    if settings.redis.embedded:
        embedded = EmbeddedRedis(settings.redis.data_dir)
        embedded.start()
        log.info(
            "embedded redis",
            extra={"socket": str(embedded.socket_path), "owned": embedded.owned},
        )
        settings = settings.replace(**{"redis.url": embedded.url})
    try:
        if settings.server.workers == 1:
            _run_worker(settings)
            return 0
        env = {**os.environ, "SD_REDIS_URL": settings.redis.url}
        if args.host:
            env["SD_SERVER_HOST"] = args.host
        if args.port:
            env["SD_SERVER_PORT"] = str(args.port)
        return Supervisor(settings, settings.server.workers, args.config, env).run()
    finally:
        if embedded is not None:
            embedded.stop()  # last, after every worker has closed its connections


def cmd_worker(args: argparse.Namespace) -> int:
    """One worker of `serve --workers N`, serving the socket its supervisor passed down."""
    # Until the server installs its own handler, a stop request simply ends a worker that has
    # not served anything yet.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    settings = _settings(args)
    setup_logging()
    _run_worker(settings, socket.socket(fileno=args.fd))
    return 0


def _run_worker(settings: Settings, sock: socket.socket | None = None) -> None:
    from .app import create_app

    app = create_app(settings)
    _settle_heap()
    common = {
        "access_log": None,
        "print": lambda text: log.info(text.strip()),
        "shutdown_timeout": settings.server.shutdown_timeout,
    }
    if sock is not None:
        web.run_app(app, sock=sock, **common)  # type: ignore[arg-type]
    else:
        web.run_app(app, host=settings.server.host, port=settings.server.port, **common)  # type: ignore[arg-type]


def _settle_heap() -> None:
    """Before serving: what start-up built (modules, the rules and their word-list automata)
    lives as long as the process, so it is frozen out of the collector's reach, and young
    collections run every 5,000 net allocations instead of 700. During 12 s of posts the
    defaults ran ~800 collections for ~0.8 s of CPU, full ones pausing every request for
    ~50 ms; with these, ~27 collections and 35-60 ms in all (docs/performance.md)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5000, 10, 10)


def cmd_check_config(args: argparse.Namespace) -> int:
    from .rules import RuleSetInvalid, load_ruleset

    settings = _settings(args)
    try:
        ruleset = load_ruleset(settings.rules.resolved_path())
    except RuleSetInvalid as exc:
        print("invalid rules:\n  " + "\n  ".join(exc.errors), file=sys.stderr)
        return 2
    print(f"configuration is valid (env={settings.env}, rules version {ruleset.version})")
    return 0


def cmd_dev_token(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if not settings.development:
        print("dev-token is refused unless env is development", file=sys.stderr)
        return 2
    name: str = args.name

    async def run(url: str) -> str:
        from .auth.sessions import SessionStore
        from .auth.users import UserStore
        from .store.client import close, connect
        from .store.keys import Keys

        client = connect(settings.redis, url)
        try:
            keys = Keys(settings.redis.key_prefix)
            user = await UserStore(client, keys).upsert("dev", name, name)
            token, _ = await SessionStore(client, keys, settings.sessions.ttl_seconds).create(
                user.id
            )
            return token
        finally:
            await close(client)

    with redis_url_for(settings.redis) as url:
        print(asyncio.run(run(url)))
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from .openapi import dumps

    sys.stdout.buffer.write(dumps())
    return 0


def cmd_config_doc(args: argparse.Namespace) -> int:
    from .settings import settings_markdown

    sys.stdout.write(settings_markdown())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="standards-desk", description="Standards Desk comment moderation service."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(
        name: str, run: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--config", type=Path, help="a TOML file over config/default.toml")
        p.set_defaults(run=run)
        return p

    serve = command("serve", cmd_serve, "Serve the API, the widget and the pages.")
    serve.add_argument("--host", help="address to listen on (server.host)")
    serve.add_argument("--port", type=int, help="port to listen on (server.port)")
    serve.add_argument(
        "--workers", type=int, help="worker processes sharing the port (server.workers)"
    )
    worker = command("worker", cmd_worker, "One worker of serve --workers (internal).")
    worker.add_argument("--fd", type=int, required=True, help="the inherited listening socket")
    command("check-config", cmd_check_config, "Validate the settings without serving.")
    token = command(
        "dev-token", cmd_dev_token, "Create a reader and print a bearer token (development only)."
    )
    token.add_argument("name", help="the reader's display name")
    command("openapi", cmd_openapi, "Print the OpenAPI document.")
    command("config-doc", cmd_config_doc, "Print the table of settings (docs/configuration.md).")
    rules_cli.add_parser(sub).set_defaults(run=lambda args: args.func(args))
    moderation_cli.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except EmbeddedRedisError as exc:
        print(f"embedded redis: {exc}", file=sys.stderr)
        return 1
