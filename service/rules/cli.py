"""`python -m service rules check [--rules FILE]`: try a policy on past comments.

Reads JSON lines ``{"body": "..."}`` on stdin and writes one JSON line per comment with its
``action`` (reject, hold or approve: flag only annotates, so a flagged comment is approved,
with its flags listed) and the rules that fired with their spans.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import IO, Any

from .model import RuleSetInvalid
from .ruleset import load_ruleset

DEFAULT_RULES = Path("config/rules.toml")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``rules`` (with its ``check`` subcommand) to the main CLI's subparsers."""
    rules: argparse.ArgumentParser = subparsers.add_parser(
        "rules", help="standards-board rules tools"
    )
    sub = rules.add_subparsers(dest="rules_command", required=True)
    check = sub.add_parser("check", help="run the rules on JSON lines {'body': ...} from stdin")
    check.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="rules TOML file")
    check.set_defaults(func=run)
    return rules


def run(
    args: argparse.Namespace, stdin: IO[str] | None = None, stdout: IO[str] | None = None
) -> int:
    """Returns 0, or 2 when the rule set is invalid (errors on stderr)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    try:
        rs = load_ruleset(args.rules)
    except RuleSetInvalid as exc:
        for error in exc.errors:
            print(f"rules: {error}", file=sys.stderr)
        return 2
    status = 0
    for lineno, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            body = item["body"]
            if not isinstance(body, str):
                raise TypeError("body is not a string")
        except (ValueError, KeyError, TypeError) as exc:
            out: dict[str, Any] = {"line": lineno, "error": f"bad input: {exc}"}
            status = 1
        else:
            verdict = rs.evaluate(body)
            action = "approve" if verdict.action == "flag" else verdict.action
            out = {
                "action": action,
                "flags": sorted({h.rule_id for h in verdict.hits if h.action == "flag"}),
                "rules": [
                    {"id": h.rule_id, "action": h.action, "span": h.span, "text": h.excerpt}
                    for h in verdict.hits
                ],
                "version": rs.version,
            }
            if "id" in item:
                out = {"id": item["id"], **out}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return status
