"""What the benches share: waiting for a server, CPU accounting from /proc, and the policy
without per-reader volume limits."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Rules that limit how often one reader may post: with them, most bench posts would be cheap
# 429s and 422s instead of stored comments.
VOLUME_LIMITING_KINDS = ("rate_limit", "flood", "first_comments")


def wait_http(url: str, timeout: float = 60) -> None:
    """Until `url` answers at all (an error status is an answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of one process so far (Linux /proc), 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pids: list[int]) -> float:
    """The same for processes and their children (a supervisor and its workers)."""
    total = 0.0
    for pid in pids:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
        total += sum(cpu_seconds(p) for p in [pid, *map(int, children.stdout.split())])
    return total


def volume_policy(tmp: Path) -> Path:
    """The shipped policy without the per-reader volume rules, beside a link to its lists."""
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    head, *blocks = text.split("\n[[rules]]\n")
    kept = [b for b in blocks if not any(f'kind = "{k}"' in b for k in VOLUME_LIMITING_KINDS)]
    policy_dir = tmp / "policy"
    policy_dir.mkdir(parents=True)
    (policy_dir / "wordlists").symlink_to(ROOT / "config" / "wordlists")
    (policy_dir / "rules.toml").write_text("\n[[rules]]\n".join([head, *kept]), encoding="utf-8")
    return policy_dir / "rules.toml"


async def store_pending(store: Any, comment: Any) -> Any:
    """Store a comment and queue it as pending through the intake script, as intake does for
    a comment no rule acted on (no idempotency key)."""
    return await store.create(
        comment,
        queue_view="pending",
        publish=False,
        idempotency_digest=None,
        fingerprint="",
        idempotency_ttl=60,
    )
