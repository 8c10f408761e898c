"""Queue and decision figures, from the queues and the audit streams of a recent window."""

from __future__ import annotations

import statistics
import time
from typing import Any

from . import audit
from .queue import ModerationQueue


async def stats(queue: ModerationQueue, window_hours: int = 24) -> dict[str, Any]:
    since = int(time.time() * 1000) - window_hours * 3_600_000
    decisions = {"approve": 0, "reject": 0}
    waits: list[int] = []
    per_rule: dict[str, list[int]] = {}  # rule -> [approved, decided]
    async for entry in audit.scan(queue.redis, queue.keys, since_ms=since):
        action = entry["action"]
        if action not in decisions:
            continue
        decisions[action] += 1
        waits.append(int(entry.get("wait_ms", 0)))
        for rule in entry.get("rules", []):
            counts = per_rule.setdefault(rule, [0, 0])
            counts[0] += action == "approve"
            counts[1] += 1
    total = sum(decisions.values())
    return {
        "window_hours": window_hours,
        "queues": await queue.counts(),
        "decisions": decisions,
        "decisions_per_hour": round(total / window_hours, 2),
        "median_seconds_to_decision": round(statistics.median(waits) / 1000, 3) if waits else None,
        "approved_share_by_rule": {
            rule: {"decided": n, "approved_share": round(a / n, 4)}
            for rule, (a, n) in sorted(per_rule.items())
        },
    }
