"""`python -m service moderators add NAME --role moderator|admin | list | revoke NAME`.

Uses the same Redis as `serve` (the embedded one under `redis.data_dir` when `redis.url` is
empty). `add` prints the token once; only its digest is stored.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from ..errors import ServiceError
from ..settings import Settings, load_settings
from ..store.client import close, connect
from ..store.embedded import redis_url_for
from ..store.keys import Keys
from .moderators import ROLES, ModeratorStore


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "moderators", help="Create, list and revoke moderators' API tokens."
    )
    parser.add_argument("--config", type=Path, help="a TOML file over config/default.toml")
    sub = parser.add_subparsers(dest="moderators_command", required=True)
    add = sub.add_parser("add", help="Create a moderator and print its token (shown once).")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="moderator")
    sub.add_parser("list", help="List moderators (never their tokens).")
    revoke = sub.add_parser("revoke", help="Revoke a moderator's token at once.")
    revoke.add_argument("name")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    with redis_url_for(settings.redis) as url:
        return asyncio.run(_run(settings, url, args))


async def _run(settings: Settings, url: str, args: argparse.Namespace) -> int:
    client = connect(settings.redis, url)
    try:
        store = ModeratorStore(client, Keys(settings.redis.key_prefix))
        command = args.moderators_command
        if command == "add":
            try:
                moderator, token = await store.add(args.name, args.role)
            except ServiceError as exc:
                print(exc.message, file=sys.stderr)
                return 1
            print(token)
            print(
                f"moderator {moderator.name} ({moderator.role}, id {moderator.id}) created; "
                "the token is not shown again",
                file=sys.stderr,
            )
            return 0
        if command == "list":
            for m in await store.list():
                created = dt.datetime.fromtimestamp(m.created_at / 1000, tz=dt.UTC)
                print(f"{m.name}\t{m.role}\t{m.id}\t{created:%Y-%m-%dT%H:%M:%SZ}")
            return 0
        revoked = await store.revoke(args.name)
        if revoked is None:
            print(f"no moderator named {args.name!r}", file=sys.stderr)
            return 1
        print(f"revoked {revoked.name} ({revoked.id})")
        return 0
    finally:
        await close(client)
