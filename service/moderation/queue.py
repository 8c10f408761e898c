"""The moderation queue: claims with leases over the shards' view streams, and decisions.

Every comment that needs a moderator has an entry in its shard's view stream
(`<prefix>:{sNN}:q:<view>`, written by intake or by the report threshold) and the entry's id in
its hash (`q:<view>`). One consumer group per stream; each moderator is a consumer. At every
moment a queued comment is in exactly one state, decided by Redis alone:

- waiting: no decision and no live lease in its hash; its entry was never delivered, or is
  pending with a lease that ran out (or was released);
- claimed by X until T: its hash says `lh`=X, `le`=T, and its entry is pending for consumer X;
- decided: its hash holds the decision and its entries are acknowledged and deleted.

The hash's lease is what says who holds a comment. A claim filtered by article or rule takes
matching entries out of the group's order (XCLAIM FORCE makes them pending for the moderator),
so the group may later deliver such an entry to another consumer; every claim path checks the
hash first and leaves an entry under a live lease with its holder.

Each change between these states is one Lua script on the comment's shard, so a crash or a
cancelled request leaves the comment where it was or where it went, never in between.

A moderator may decide a comment claimed by someone else only after that lease expired; an
admin may decide any comment at any time.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import metrics
from ..comments.ids import ARTICLE_ID, shard_of_comment
from ..comments.model import iso
from ..errors import Conflict, InvalidRequest, NotFound
from ..rules.ruleset import RULE_ID
from ..settings import ModerationSettings
from ..store.client import Redis, ScriptCall, decode, load_script, run_scripts
from ..store.coalesce import CoalescedScript, Coalescer
from ..store.keys import SHARDS, Keys, shard_of
from .model import (
    ACTIONS,
    MODERATION_FIELDS,
    VIEWS,
    Decided,
    DecisionState,
    ModeratedComment,
)
from .moderators import Moderator

GROUP = "moderators"
# Claiming re-reads the shards when other moderators took what a first look promised.
_CLAIM_ROUNDS = 3
# Entries each shard is first asked for when planning a claim (see ModerationQueue._plan).
_PEEK_FIRST = 4


class ModerationScripts:
    """The moderation scripts. Calls over many shards (claims, leases, bulk decisions) go out
    together through `run_scripts`; single calls on the request path go through the coalescer.
    Either way, with a coalescer the calls of concurrent requests share round trips."""

    def __init__(self, client: Redis, coalescer: Coalescer | None = None) -> None:
        self.coalescer = coalescer
        self.peek = load_script(client, "mod_peek")
        self.claim = load_script(client, "mod_claim")
        self.lease = load_script(client, "mod_lease")
        self.decide = load_script(client, "mod_decide")
        self.report = load_script(client, "mod_report")
        self.decide_one: ScriptCall = self.decide
        self.report_one: ScriptCall = self.report
        if coalescer is not None:
            self.decide_one = CoalescedScript(coalescer, self.decide.script, self.decide.sha)
            self.report_one = CoalescedScript(coalescer, self.report.script, self.report.sha)


@dataclass(frozen=True)
class Claimed:
    item: ModeratedComment
    view: str
    lease_until: int  # ms since the epoch


@dataclass(frozen=True)
class LeaseResult:
    comment_id: str
    result: str  # ok | missing | not_holder | expired
    lease_until: int


def _stream_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise InvalidRequest(f"The view must be one of {', '.join(VIEWS)}.", field="view")
    return view


@dataclass(frozen=True)
class ClaimFilter:
    """Only one article's comments, and/or only those a given rule fired on."""

    article_id: str | None = None
    rule_id: str | None = None

    def __post_init__(self) -> None:
        if self.article_id is not None and not ARTICLE_ID.match(self.article_id):
            raise InvalidRequest("The article is not an article id.", field="article")
        if self.rule_id is not None and not RULE_ID.match(self.rule_id):
            raise InvalidRequest("The rule is not a rule id.", field="rule")

    def __bool__(self) -> bool:
        return self.article_id is not None or self.rule_id is not None

    def shards(self) -> range:
        """All comments of an article live in its shard."""
        if self.article_id is None:
            return range(SHARDS)
        return range(shard_of(self.article_id), shard_of(self.article_id) + 1)


class ModerationQueue:
    def __init__(
        self, redis: Redis, keys: Keys, scripts: ModerationScripts, settings: ModerationSettings
    ) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts
        self.settings = settings
        self.lease_ms = int(settings.lease_seconds * 1000)
        # Pub/sub channel of queue changes (claims, leases, decisions, withholdings) for
        # moderators' consoles; not a key, so no hash tag.
        self.channel = keys.moderation_events()
        # Told the article whenever a decision or a report changes what readers see of it
        # (the app drops its cached pages).
        self.public_changed: Callable[[str], None] = _ignore

    async def ensure_groups(self) -> None:
        """One consumer group per view stream, reading from the start so nothing is missed."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in range(SHARDS):
                for view in VIEWS:
                    pipe.xgroup_create(self.keys.queue(shard, view), GROUP, id="0", mkstream=True)
            results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and "BUSYGROUP" not in str(result):
                raise result

    # ------------------------------------------------------------ claims and leases

    async def claim(
        self, moderator: Moderator, view: str, count: int, only: ClaimFilter | None = None
    ) -> list[Claimed]:
        """Up to `count` comments of `view` for this moderator, oldest first across shards;
        with `only`, just the waiting comments that match it.

        A first pass asks every shard which entries it would hand out next (without taking
        them); the oldest `count` of those, merged by stream id, decide how many each shard's
        claim script takes. Each script takes atomically, so a comment goes to one moderator
        only; another moderator may get there first, hence a few rounds.

        Unfiltered claims follow the consumer group (expired leases, then new entries). A
        filtered claim reads the shard's stream oldest first, at most
        `moderation.claim_scan_entries` entries per shard and call, so matches further back
        than that are found only once the entries before them are decided."""
        check_view(view)
        only = only or ClaimFilter()
        taken: list[Claimed] = []
        for _ in range(_CLAIM_ROUNDS):
            need = count - len(taken)
            if need <= 0:
                break
            per_shard = await self._plan(view, need, only)
            if not per_shard:
                break
            # One call per shard; on a cluster they go to the shards' nodes concurrently.
            results = await run_scripts(
                self.redis,
                [
                    (self.scripts.claim, *self._claim_call(moderator.id, view, shard, n, only))
                    for shard, n in per_shard.items()
                ],
                self.scripts.coalescer,
            )
            got = 0
            for rows in results:
                for cid, expiry, values in rows:
                    item = ModeratedComment.from_values([cid, *values])
                    if item is not None:
                        taken.append(Claimed(item, view, int(expiry)))
                        got += 1
            if got == sum(per_shard.values()):
                break
        taken.sort(key=lambda c: c.item.comment.id)
        return taken

    def _claim_call(
        self, who: str, view: str, shard: int, n: int, only: ClaimFilter, mode: str = "take"
    ) -> tuple[list[str], list[Any]]:
        keys = [self.keys.shard(shard), self.keys.queue(shard, view), self.keys.audit(shard)]
        args: list[Any] = [
            GROUP,
            who,
            view,
            n,
            self.lease_ms,
            self.settings.audit_max_entries,
            self.channel,
            only.article_id or "",
            only.rule_id or "",
            self.settings.claim_scan_entries,
            mode,
        ]
        return keys, args

    async def _plan(self, view: str, need: int, only: ClaimFilter) -> dict[int, int]:
        """How many entries each shard should give for the `need` oldest of the view.

        Each shard is first asked for a few (`_PEEK_FIRST`): under load the oldest `need` are
        spread over many shards, and a short answer costs Redis far less to build than a long
        one. Only a shard whose few all fall before the merged cut-off may hold more that
        count; it alone is asked again for `need`. (A shard's first few are the start of its
        full answer, so the merge is exact.)"""
        shards = only.shards()
        first = min(need, _PEEK_FIRST)
        times = dict(zip(shards, await self._peek(view, shards, first, only), strict=True))
        if first < need:
            oldest = heapq.nsmallest(need, (ms for t in times.values() for ms in t))
            cut = oldest[-1] if len(oldest) == need else None
            again = [
                s for s, t in times.items() if len(t) == first and (cut is None or t[-1] <= cut)
            ]
            if again:
                more = await self._peek(view, again, need, only)
                times.update(zip(again, more, strict=True))
        candidates = ((ms, shard) for shard, t in times.items() for ms in t)
        plan: dict[int, int] = {}
        for _, shard in heapq.nsmallest(need, candidates):
            plan[shard] = plan.get(shard, 0) + 1
        return plan

    async def _peek(
        self, view: str, shards: Sequence[int], n: int, only: ClaimFilter
    ) -> list[list[int]]:
        """Per shard, the times (ms) of the next `n` entries a claim would take, oldest first."""
        if only:
            # The claim script's own filter, taking nothing (so for no one).
            calls = [
                (self.scripts.claim, *self._claim_call("", view, shard, n, only, "peek"))
                for shard in shards
            ]
        else:
            calls = [
                (self.scripts.peek, [self.keys.queue(shard, view)], [GROUP, self.lease_ms, n])
                for shard in shards
            ]
        peeked = await run_scripts(self.redis, calls, self.scripts.coalescer)
        return [[int(ms) for ms in times] for times in peeked]

    async def extend(self, moderator: Moderator, comment_ids: Sequence[str]) -> list[LeaseResult]:
        return await self._lease(moderator, comment_ids, "extend")

    async def release(self, moderator: Moderator, comment_ids: Sequence[str]) -> list[LeaseResult]:
        return await self._lease(moderator, comment_ids, "release")

    async def _lease(
        self, moderator: Moderator, comment_ids: Sequence[str], mode: str
    ) -> list[LeaseResult]:
        by_shard: dict[int, list[str]] = {}
        results: dict[str, LeaseResult] = {}
        for cid in comment_ids:
            shard = shard_of_comment(cid)
            if shard is None:
                results[cid] = LeaseResult(cid, "missing", 0)
            else:
                by_shard.setdefault(shard, []).append(cid)
        answers = await run_scripts(
            self.redis,
            [
                (
                    self.scripts.lease,
                    [
                        self.keys.shard(shard),
                        self.keys.audit(shard),
                        *(self.keys.queue(shard, v) for v in VIEWS),
                    ],
                    [
                        GROUP,
                        moderator.id,
                        mode,
                        self.lease_ms,
                        self.settings.audit_max_entries,
                        self.channel,
                        len(VIEWS),
                        *VIEWS,
                        *ids,
                    ],
                )
                for shard, ids in by_shard.items()
            ],
            self.scripts.coalescer,
        )
        for rows in answers:
            for cid, result, expiry in rows:
                results[decode(cid)] = LeaseResult(decode(cid), decode(result), int(expiry))
        return [results[cid] for cid in comment_ids]

    # ------------------------------------------------------------ decisions

    def check_decision(self, action: str, reason: str) -> None:
        if action not in ACTIONS:
            raise InvalidRequest(f"The action must be one of {', '.join(ACTIONS)}.", field="action")
        codes = self.settings.reason_codes
        if reason not in codes:
            raise InvalidRequest(
                "The reason must be a code of the standards-board policy.",
                field="reason",
                choices=list(codes),
            )

    def _decide_call(
        self,
        moderator: Moderator,
        comment_id: str,
        shard: int,
        action: str,
        reason: str,
        note: str,
        override: bool = False,
    ) -> tuple[list[str], list[Any]]:
        keys = [
            self.keys.shard(shard),
            self.keys.comment(shard, comment_id),
            self.keys.audit(shard),
            *(self.keys.queue(shard, v) for v in VIEWS),
        ]
        args: list[Any] = [
            GROUP,
            comment_id,
            action,
            reason,
            note,
            moderator.id,
            "1" if moderator.is_admin or override else "0",
            self.settings.audit_max_entries,
            self.channel,
            *VIEWS,
        ]
        return keys, args

    async def decide(
        self, moderator: Moderator, comment_id: str, action: str, reason: str, note: str = ""
    ) -> DecisionState:
        """Apply a decision, or answer the one already taken. Raises NotFound, or Conflict when
        another decision was taken or another moderator holds a live lease."""
        self.check_decision(action, reason)
        return _raise_unless_done(
            comment_id, await self._decide(moderator, comment_id, action, reason, note)
        )

    def _applied(self, decided: Decided) -> Decided:
        if decided.outcome == "applied" and decided.state is not None:
            self.public_changed(decided.state.article_id)
        return decided

    async def _decide(
        self, moderator: Moderator, comment_id: str, action: str, reason: str, note: str
    ) -> Decided:
        shard = shard_of_comment(comment_id)
        if shard is None:
            return Decided("missing", None)
        keys, args = self._decide_call(moderator, comment_id, shard, action, reason, note)
        # A cancelled caller may or may not have had its decision applied: the script is
        # all-or-nothing either way, and a retry answers which.
        outcome, state = await self.scripts.decide_one(keys=keys, args=args)
        return self._applied(_decided(comment_id, outcome, state))

    async def decide_many(
        self,
        moderator: Moderator,
        comment_ids: Sequence[str],
        action: str,
        reason: str,
        note: str = "",
        *,
        override: bool = False,
    ) -> list[tuple[str, Decided]]:
        """One decision over many comments: each is atomic on its own; the answers say which
        were applied, already so, in conflict or missing. `override` decides over other
        moderators' leases (admins always do)."""
        self.check_decision(action, reason)
        calls = []
        for cid in comment_ids:
            shard = shard_of_comment(cid)
            calls.append((cid, shard))
        answers = iter(
            await run_scripts(
                self.redis,
                [
                    (
                        self.scripts.decide,
                        *self._decide_call(moderator, cid, shard, action, reason, note, override),
                    )
                    for cid, shard in calls
                    if shard is not None
                ],
                self.scripts.coalescer,
            )
        )
        out = []
        for cid, shard in calls:
            if shard is None:
                out.append((cid, Decided("missing", None)))
            else:
                outcome, state = next(answers)
                out.append((cid, self._applied(_decided(cid, outcome, state))))
        return out

    # ------------------------------------------------------------ reading

    async def get(self, comment_id: str) -> ModeratedComment | None:
        shard = shard_of_comment(comment_id)
        if shard is None:
            return None
        values = await self.redis.hmget(
            self.keys.comment(shard, comment_id), list(MODERATION_FIELDS)
        )
        return ModeratedComment.from_values([comment_id, *values])

    async def counts(self) -> dict[str, dict[str, int]]:
        """Per view: entries in the queue (waiting or claimed) and how many are claimed."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for view in VIEWS:
                for shard in range(SHARDS):
                    pipe.xlen(self.keys.queue(shard, view))
                    pipe.xpending(self.keys.queue(shard, view), GROUP)
            results = await pipe.execute(raise_on_error=False)
        out: dict[str, dict[str, int]] = {}
        for i, view in enumerate(VIEWS):
            chunk = results[i * SHARDS * 2 : (i + 1) * SHARDS * 2]
            total = sum(int(n) for n in chunk[0::2] if not isinstance(n, Exception))
            claimed = sum(int(p["pending"]) for p in chunk[1::2] if isinstance(p, dict))
            out[view] = {"queued": total, "in_claims": claimed}
        return out

    async def list_view(
        self, view: str, limit: int, article_id: str | None = None, rule: str | None = None
    ) -> list[ModeratedComment]:
        """The oldest comments of a view, claimed or not, without claiming them; optionally only
        one article's, or only those a given rule fired on."""
        check_view(view)
        shards = range(SHARDS)
        if article_id is not None:
            shards = range(shard_of(article_id), shard_of(article_id) + 1)
        # Filters may drop entries, so read more than asked; a console pages by claiming.
        scan = limit if article_id is None and rule is None else limit * 20
        async with self.redis.pipeline(transaction=False) as pipe:
            for shard in shards:
                pipe.xrange(self.keys.queue(shard, view), count=scan)
            per_shard = await pipe.execute()
        entries = heapq.nsmallest(
            scan,
            (
                (_stream_order(decode(eid)), decode(data[b"c"]))
                for rows in per_shard
                for eid, data in rows
            ),
        )
        out: list[ModeratedComment] = []
        for _, cid in entries:
            item = await self.get(cid)
            if item is None or item.decision is not None:
                continue
            if article_id is not None and item.comment.article_id != article_id:
                continue
            if rule is not None and not any(h.get("rule_id") == rule for h in item.comment.hits):
                continue
            out.append(item)
            if len(out) >= limit:
                break
        return out


def _ignore(article_id: str) -> None:
    pass


def _decided(comment_id: str, outcome: Any, state: Any) -> Decided:
    name = decode(outcome)
    if name == "missing":
        return Decided(name, None)
    decided = Decided(name, DecisionState.from_state(comment_id, state))
    if name == "applied" and decided.state is not None and decided.state.decision is not None:
        metrics.decision_applied(
            decided.state.decision.action, comment_id, decided.state.decision.at
        )
    return decided


def _raise_unless_done(comment_id: str, decided: Decided) -> DecisionState:
    if decided.outcome in {"applied", "same"} and decided.state is not None:
        return decided.state
    if decided.state is None:
        raise NotFound("No such comment.", code="comment_not_found", comment_id=comment_id)
    current = decided.state.to_json()
    if decided.outcome == "claimed":
        lease = decided.state.lease
        raise Conflict(
            "Another moderator holds this comment's claim.",
            code="claimed_by_other",
            current=current,
            lease={"moderator_id": lease.holder, "until": iso(lease.until)} if lease else None,
        )
    raise Conflict(
        "The comment was already decided otherwise.", code="already_decided", current=current
    )
