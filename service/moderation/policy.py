"""The standards-board policy replaced through the API: validated, versioned, recorded, and
picked up by every worker within `rules_poll_seconds`.

Redis keeps the current replacement in one hash (`<prefix>:{policy}:current`: seq, version,
text, word lists as JSON, who, when) and every replacement in an audit stream in the same slot,
written together in one MULTI. Each worker compares the `seq` it runs with Redis's every few
seconds and compiles a newer policy off the event loop before swapping it in, so a comment is
always judged by one whole policy. A worker that starts later picks the replacement up the same
way, so it survives restarts; the file in the configuration directory is the policy until the
first replacement.

Word lists: the rules name files relative to the policy's directory; a replacement may bring
new contents for any of them (`wordlists/<name>.tsv|.txt`), laid over a copy of the shipped
directory in a private temporary directory per compiled version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..comments.screening import RulesHolder
from ..errors import Unprocessable
from ..rules import RuleSet, RuleSetInvalid, parse_ruleset
from ..store.client import Redis, decode
from .moderators import Moderator

log = logging.getLogger("service.moderation")
LIST_PATH = re.compile(r"^wordlists/[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.(tsv|txt)$")
MAX_TEXT = 2_000_000


class PolicyInvalid(Unprocessable):
    code = "rules_invalid"
    default_message = "The rule set is not valid."


@dataclass(frozen=True)
class StoredPolicy:
    seq: int
    version: str
    text: str
    word_lists: dict[str, str]
    by: str
    at: int


def _keys(prefix: str) -> tuple[str, str]:
    return f"{prefix}:{{policy}}:current", f"{prefix}:{{policy}}:audit"


def compile_policy(text: str, word_lists: dict[str, str], shipped_dir: Path) -> RuleSet:
    """Blocking (file copies, compiling lists): run it in a thread."""
    for name in word_lists:
        if not LIST_PATH.match(name):
            raise RuleSetInvalid([f"word list {name!r}: must be wordlists/<name>.tsv or .txt"])
    if not word_lists:
        return parse_ruleset(text, base_dir=shipped_dir)
    with tempfile.TemporaryDirectory(prefix="sd-policy-") as tmp:
        base = Path(tmp)
        if (shipped_dir / "wordlists").is_dir():
            shutil.copytree(shipped_dir / "wordlists", base / "wordlists")
        for name, content in word_lists.items():
            path = base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        # Compiled rules hold the lists in memory; the directory is not needed afterwards.
        return parse_ruleset(text, base_dir=base)


class PolicyStore:
    def __init__(self, redis: Redis, prefix: str, shipped_path: Path) -> None:
        self.redis = redis
        self.current_key, self.audit_key = _keys(prefix)
        self.shipped_path = shipped_path

    async def stored(self) -> StoredPolicy | None:
        data = await self.redis.hgetall(self.current_key)
        if not data:
            return None
        values = {decode(k): decode(v) for k, v in data.items()}
        return StoredPolicy(
            seq=int(values["seq"]),
            version=values["version"],
            text=values["text"],
            word_lists=orjson.loads(values.get("lists") or "{}"),
            by=values.get("by", ""),
            at=int(values.get("at") or 0),
        )

    async def seq(self) -> int:
        raw = await self.redis.hget(self.current_key, "seq")
        return int(raw or 0)

    async def replace(
        self, moderator: Moderator, text: str, word_lists: dict[str, str], note: str = ""
    ) -> tuple[StoredPolicy, RuleSet]:
        """Validate by compiling, then store and record; raises PolicyInvalid with the errors."""
        try:
            ruleset = await asyncio.to_thread(
                compile_policy, text, word_lists, self.shipped_path.parent
            )
        except RuleSetInvalid as exc:
            raise PolicyInvalid(errors=exc.errors) from exc
        now = int(time.time() * 1000)
        seq = int(await self.redis.incr(self.current_key + ":seq"))
        stored = StoredPolicy(seq, str(ruleset.version), text, word_lists, moderator.id, now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                self.current_key,
                mapping={
                    "seq": str(seq),
                    "version": stored.version,
                    "text": text,
                    "lists": orjson.dumps(word_lists).decode(),
                    "by": moderator.id,
                    "at": str(now),
                },
            )
            pipe.xadd(
                self.audit_key,
                {
                    "act": "rules",
                    "by": f"m:{moderator.id}",
                    "version": stored.version,
                    "seq": str(seq),
                    "note": note,
                    "lists": ",".join(sorted(word_lists)),
                },
            )
            await pipe.execute()
        return stored, ruleset

    async def history(self, count: int = 100) -> list[dict[str, Any]]:
        from .audit import shape

        rows: Any = await self.redis.xrevrange(self.audit_key, count=count)
        return [shape(decode(i), {decode(k): decode(v) for k, v in d.items()}) for i, d in rows]


class PolicyFollower:
    """Keeps this worker's rules holder on the newest stored policy."""

    def __init__(self, store: PolicyStore, holder: RulesHolder, interval: float) -> None:
        self.store = store
        self.holder = holder
        self.interval = interval
        self.seq = 0
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        """Stop after the current check. Not by cancelling: redis-py's pool can swallow a
        cancellation that lands while it waits for a connection, and the task would go on."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    def applied(self, seq: int, ruleset: RuleSet) -> None:
        if seq > self.seq:
            self.seq = seq
            self.holder.swap(ruleset)

    async def check(self) -> None:
        if await self.store.seq() <= self.seq:
            return
        stored = await self.store.stored()
        if stored is None or stored.seq <= self.seq:
            return
        try:
            ruleset = await asyncio.to_thread(
                compile_policy, stored.text, stored.word_lists, self.store.shipped_path.parent
            )
        except RuleSetInvalid:  # validated when stored; a changed shipped list may break it
            log.exception("stored rule set no longer compiles", extra={"seq": stored.seq})
            self.seq = stored.seq
            return
        self.applied(stored.seq, ruleset)
        log.info("rules replaced", extra={"seq": stored.seq, "version": stored.version})

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.check()
            except Exception:  # Redis away for a moment: try again next round
                log.warning("rules check failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
