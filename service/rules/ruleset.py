"""The standards board's policy as data: parse, validate, compile once, evaluate.

A ``RuleSet`` is immutable after ``parse_ruleset``; swapping policies is a plain reference
assignment, atomic for every request that already holds the old one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from . import detectors
from .checks import compile_check
from .model import (
    ACTIONS,
    USER_STATUSES,
    Action,
    ContextFacts,
    ContextParams,
    Hit,
    RuleSetInvalid,
    Verdict,
    Window,
    strictest,
)
from .normalize import Reading, base, readings
from .wordlists import Entry, TermMatcher, parse_terms

CONTENT_KINDS = (
    "wordlist",
    "personal_info",
    "links",
    "link_deny",
    "shouting",
    "repetition",
    "min_letters",
)
CONTEXT_KINDS = ("user_status", "first_comments", "flood", "rate_limit", "article_closed")
_MAX_HITS_PER_RULE = 20
_EXCERPT = 60


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str
    action: Action
    reason_en: str
    reason_ko: str
    params: Mapping[str, Any]

    def hit(self, action: Action | None = None, span: tuple[int, int] | None = None,
            excerpt: str = "", detail: str = "", **fmt: str) -> Hit:  # fmt: skip
        return Hit(
            rule_id=self.id,
            kind=self.kind,
            action=action or self.action,
            span=span,
            excerpt=excerpt[:_EXCERPT],
            reason_en=self.reason_en.format(**fmt) if fmt else self.reason_en,
            reason_ko=self.reason_ko.format(**fmt) if fmt else self.reason_ko,
            detail=detail,
        )


class _Checker:
    """Collects errors about one rule's params, each naming the rule."""

    def __init__(self, rule_id: str, params: Mapping[str, Any], errors: list[str]) -> None:
        self.rule_id = rule_id
        self.params = params
        self.errors = errors

    def error(self, msg: str) -> None:
        self.errors.append(f"rule {self.rule_id!r}: {msg}")

    def int(self, key: str, default: int, low: int = 0) -> int:
        value = self.params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.error(f"params.{key} must be an integer >= {low}")
            return default
        return value

    def float(self, key: str, default: float) -> float:
        value = self.params.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            self.error(f"params.{key} must be a number between 0 and 1")
            return default
        return float(value)

    def strs(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.params.get(key, list(default))
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(f"params.{key} must be a list of strings")
            return default
        return tuple(value)

    def window(self, key: str) -> Window | None:
        value = self.params.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            self.error(f"params.{key} must be a table with limit and seconds")
            return None
        sub = _Checker(self.rule_id, value, self.errors)
        return Window(limit=sub.int("limit", 1, 1), seconds=sub.int("seconds", 60, 1))


class RuleSet:
    """A compiled, immutable rule set. Build it with ``parse_ruleset``/``load_ruleset``."""

    __slots__ = (
        "_approved",
        "_checks",
        "_content",
        "_context",
        "_frozen",
        "_has_links",
        "_matcher",
        "_term_actions",
        "_wordlist_rules",
        "context_params",
        "version",
    )

    def __init__(
        self,
        version: str,
        content: list[Rule],
        context: list[Rule],
        matcher: TermMatcher,
        wordlist_rules: list[Rule],
        params: ContextParams,
    ) -> None:
        self.version = version
        self._content = tuple(content)
        self._context = tuple(context)
        self._matcher = matcher
        self._wordlist_rules = tuple(wordlist_rules)
        self.context_params = params
        patterns = [r for r in content if r.kind != "wordlist"]
        self._checks = tuple(compile_check(r) for r in patterns)
        self._has_links = any(r.kind in ("links", "link_deny") for r in patterns)
        self._approved = Verdict("approve", (), self.version)
        # What a word-list hit of each (rule, severity) does, and the parts of its Hit.
        self._term_actions = {
            (n, sev): r.params.get("severity_actions", {}).get(str(sev), r.action)
            for n, r in enumerate(wordlist_rules)
            for sev in range(1, 5)
        }
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError("RuleSet is immutable; build a new one and swap the reference")
        object.__setattr__(self, name, value)

    @property
    def term_count(self) -> int:
        return self._matcher.size

    # --- content ---------------------------------------------------------------------------

    def evaluate(self, body: str) -> Verdict:
        """Run every content rule on ``body``; never raises on any ``str``."""
        b = base(body)
        hits: list[Hit] = []
        links = detectors.find_links(b) if self._has_links else []
        for check in self._checks:
            check(body, b, links, hits)
        if self._wordlist_rules:
            hits.extend(self._wordlist_hits(body, b))
        if not hits:
            return self._approved  # immutable, so one instance serves every clean comment
        return Verdict(strictest(hits), tuple(hits), self.version)

    def _wordlist_hits(self, body: str, b: Reading) -> list[Hit]:
        found = self._matcher.find(readings(body, b))
        if not found:
            return []
        out: list[Hit] = []
        seen: set[tuple[int, tuple[int, int]]] = set()
        counts: dict[int, int] = {}
        for term, reading, start, end in found:
            span = reading.span(start, end)
            n = term.rule
            key = (n, span)
            if key in seen or counts.get(n, 0) >= _MAX_HITS_PER_RULE:
                continue
            seen.add(key)
            counts[n] = counts.get(n, 0) + 1
            rule = self._wordlist_rules[n]
            out.append(
                Hit(
                    rule.id,
                    rule.kind,
                    self._term_actions[n, term.severity],
                    span,
                    body[span[0] : span[1]][:_EXCERPT],
                    rule.reason_en,
                    rule.reason_ko,
                    f"term {term.entry!r} (severity {term.severity}, {reading.name})",
                )
            )
        return out

    # --- context ---------------------------------------------------------------------------

    def evaluate_context(self, facts: ContextFacts) -> list[Hit]:
        """Decide the context rules on facts gathered by intake (see ``context_params``)."""
        hits: list[Hit] = []
        for rule in self._context:
            p = rule.params
            if rule.kind == "user_status" and facts.user_status == p["status"]:
                until = facts.suspended_until.isoformat() if facts.suspended_until else "?"
                hits.append(rule.hit(detail=facts.user_status, until=until))
            elif rule.kind == "first_comments" and facts.previous_comments < p["count"]:
                hits.append(rule.hit(detail=f"comment {facts.previous_comments + 1}"))
            elif rule.kind == "flood" and facts.duplicate_recent:
                hits.append(rule.hit(detail="same text within window"))
            elif rule.kind == "rate_limit":
                hits.extend(self._rate_hits(rule, facts))
            elif rule.kind == "article_closed" and facts.article_closed:
                hits.append(rule.hit(detail="article closed"))
        return hits

    @staticmethod
    def _rate_hits(rule: Rule, facts: ContextFacts) -> list[Hit]:
        scope = rule.params["scope"]
        counts = {
            "burst": facts.reader_burst if scope == "reader" else facts.ip_burst,
            "sustained": facts.reader_sustained if scope == "reader" else facts.ip_sustained,
        }
        out = []
        for name in ("burst", "sustained"):
            window: Window | None = rule.params.get(name)
            if window is not None and counts[name] >= window.limit:
                detail = f"{scope} {name}: {counts[name]} in {window.seconds}s"
                out.append(rule.hit(detail=detail))
        return out

    def combine(self, hits: list[Hit], facts: ContextFacts | None = None) -> Verdict:
        """Strictest action over content and context hits; a trusted reader skips holds."""
        if facts is not None and facts.user_status == "trusted":
            hits = [h for h in hits if h.action != "hold"]
        return Verdict(strictest(hits), tuple(hits), self.version)

    # --- description -----------------------------------------------------------------------

    def public_rules(self) -> list[dict[str, Any]]:
        out = []
        for rule in (*self._content, *self._context):
            item: dict[str, Any] = {
                "id": rule.id,
                "kind": rule.kind,
                "action": rule.action,
                "reason": {"en": rule.reason_en, "ko": rule.reason_ko},
            }
            if rule.kind == "wordlist" and rule.params.get("severity_actions"):
                item["severity_actions"] = dict(rule.params["severity_actions"])
            out.append(item)
        return out


# --- parsing -------------------------------------------------------------------------------


def load_ruleset(path: Path) -> RuleSet:
    """Read, validate and compile a rules TOML file; raises ``RuleSetInvalid``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleSetInvalid([f"cannot read {path}: {exc.strerror}"]) from exc
    return parse_ruleset(text, base_dir=Path(path).parent)


def parse_ruleset(source: str | Mapping[str, Any], base_dir: Path = Path()) -> RuleSet:
    """Validate and compile a rule set given as TOML text or an already parsed mapping.

    Word-list paths are relative to ``base_dir``.
    """
    if isinstance(source, str):
        try:
            data: Mapping[str, Any] = tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            raise RuleSetInvalid([f"not valid TOML: {exc}"]) from exc
    else:
        data = source
    errors: list[str] = []
    version = data.get("version")
    if not isinstance(version, str | int) or isinstance(version, bool) or version == "":
        errors.append("version: required (a string)")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.append("rules: required (an array of tables, [[rules]])")
        raise RuleSetInvalid(errors)
    unknown = set(data) - {"version", "rules", "description"}
    if unknown:
        errors.append(f"unknown top-level keys: {sorted(unknown)}")

    content: list[Rule] = []
    context: list[Rule] = []
    wordlist_rules: list[Rule] = []
    wordlist_entries: list[list[Entry]] = []
    innocent: list[str] = []
    params = _ParamsBuilder()
    seen: set[str] = set()
    for n, raw in enumerate(raw_rules, 1):
        rule = _parse_rule(raw, n, seen, errors)
        if rule is None:
            continue
        if rule.kind == "wordlist":
            entries, words = _load_lists(rule, base_dir, errors)
            wordlist_entries.append(entries)
            innocent.extend(words)
            wordlist_rules.append(rule)
            content.append(rule)
        elif rule.kind in CONTENT_KINDS:
            content.append(rule)
        else:
            context.append(rule)
            params.add(rule)
    if errors:
        raise RuleSetInvalid(errors)
    matcher = TermMatcher(wordlist_entries, innocent)
    return RuleSet(str(version), content, context, matcher, wordlist_rules, params.build())


_RULE_KEYS = {"id", "kind", "action", "reason", "params", "description"}
# Also what a moderator may filter the queue by (service/moderation/queue.py).
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def _parse_rule(raw: Any, n: int, seen: set[str], errors: list[str]) -> Rule | None:
    if not isinstance(raw, Mapping):
        errors.append(f"rule #{n}: must be a table")
        return None
    rule_id = raw.get("id")
    name = rule_id if isinstance(rule_id, str) else f"#{n}"
    before = len(errors)
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        errors.append(f"rule {name!r}: id must match {RULE_ID.pattern}")
    elif rule_id in seen:
        errors.append(f"rule {name!r}: duplicate id")
    seen.add(str(rule_id))
    if set(raw) - _RULE_KEYS:
        errors.append(f"rule {name!r}: unknown keys {sorted(set(raw) - _RULE_KEYS)}")
    kind = raw.get("kind")
    if kind not in CONTENT_KINDS + CONTEXT_KINDS:
        errors.append(f"rule {name!r}: kind must be one of {list(CONTENT_KINDS + CONTEXT_KINDS)}")
    action = raw.get("action")
    if action not in ACTIONS:
        errors.append(f"rule {name!r}: action must be one of {list(ACTIONS)}")
    reason = raw.get("reason")
    if not isinstance(reason, Mapping) or not all(
        isinstance(reason.get(k), str) and reason.get(k) for k in ("en", "ko")
    ):
        errors.append(f"rule {name!r}: reason needs non-empty en and ko strings")
        reason = {"en": "", "ko": ""}
    raw_params = raw.get("params", {})
    if not isinstance(raw_params, Mapping):
        errors.append(f"rule {name!r}: params must be a table")
        raw_params = {}
    if len(errors) > before:
        return None
    params = _parse_params(str(kind), raw_params, _Checker(name, raw_params, errors))
    for key in ("en", "ko"):
        try:
            reason[key].format(until="")
        except (KeyError, IndexError, ValueError):
            errors.append(f"rule {name!r}: reason.{key} has a placeholder other than {{until}}")
    if len(errors) > before:
        return None
    checked: Action = cast(Action, action)
    return Rule(
        str(rule_id), str(kind), checked, reason["en"], reason["ko"], MappingProxyType(params)
    )


_KNOWN_PARAMS: dict[str, set[str]] = {
    "wordlist": {"lists", "innocent", "severity_actions"},
    "personal_info": {"detect"},
    "links": {"max_count", "allow_domains"},
    "link_deny": {"deny_domains"},
    "shouting": {"min_letters", "max_ratio"},
    "repetition": {"max_char_run", "max_word_repeats"},
    "min_letters": {"min"},
    "user_status": {"status"},
    "first_comments": {"count"},
    "flood": {"window_seconds"},
    "rate_limit": {"scope", "burst", "sustained"},
    "article_closed": set(),
}


def _parse_params(kind: str, raw: Mapping[str, Any], c: _Checker) -> dict[str, Any]:
    unknown = set(raw) - _KNOWN_PARAMS[kind]
    if unknown:
        c.error(f"unknown params {sorted(unknown)} for kind {kind!r}")
    p: dict[str, Any] = {}
    if kind == "wordlist":
        p["lists"] = c.strs("lists")
        if not p["lists"]:
            c.error("params.lists must name at least one word list")
        p["innocent"] = c.strs("innocent")
        sev = raw.get("severity_actions", {})
        if not isinstance(sev, Mapping) or any(
            k not in ("1", "2", "3", "4") or v not in ACTIONS for k, v in sev.items()
        ):
            c.error('params.severity_actions maps "1".."4" to reject, hold or flag')
            sev = {}
        p["severity_actions"] = MappingProxyType(dict(sev))
    elif kind == "personal_info":
        detect = c.strs("detect", detectors.PII_KINDS)
        bad = set(detect) - set(detectors.PII_KINDS)
        if bad:
            c.error(f"params.detect: unknown {sorted(bad)}; use {list(detectors.PII_KINDS)}")
        p["detect"] = frozenset(detect)
    elif kind == "links":
        p["max_count"] = c.int("max_count", 0)
        p["allow_domains"] = frozenset(d.lower() for d in c.strs("allow_domains"))
    elif kind == "link_deny":
        p["deny_domains"] = frozenset(d.lower() for d in c.strs("deny_domains"))
    elif kind == "shouting":
        p["min_letters"] = c.int("min_letters", 12, 1)
        p["max_ratio"] = c.float("max_ratio", 0.7)
    elif kind == "repetition":
        p["max_char_run"] = c.int("max_char_run", 20, 2)
        p["max_word_repeats"] = c.int("max_word_repeats", 6, 2)
    elif kind == "min_letters":
        p["min"] = c.int("min", 1, 1)
    elif kind == "user_status":
        status = raw.get("status")
        if status not in USER_STATUSES or status in ("active", "trusted"):
            c.error("params.status must be banned, suspended or premoderated")
        p["status"] = status
    elif kind == "first_comments":
        p["count"] = c.int("count", 3, 1)
    elif kind == "flood":
        p["window_seconds"] = c.int("window_seconds", 600, 1)
    elif kind == "rate_limit":
        if raw.get("scope") not in ("reader", "ip"):
            c.error("params.scope must be reader or ip")
        p["scope"] = raw.get("scope")
        p["burst"] = c.window("burst")
        p["sustained"] = c.window("sustained")
        if p["burst"] is None and p["sustained"] is None:
            c.error("params needs burst and/or sustained = {limit = N, seconds = S}")
    return p


def _load_lists(rule: Rule, base_dir: Path, errors: list[str]) -> tuple[list[Entry], list[str]]:
    entries: list[Entry] = []
    innocent: list[str] = []
    for name in rule.params["lists"]:
        try:
            text = (base_dir / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"rule {rule.id!r}: cannot read word list {name}: {exc}")
            continue
        found, errs = parse_terms(text, name)
        entries.extend(found)
        errors.extend(f"rule {rule.id!r}: {e}" for e in errs)
    for name in rule.params["innocent"]:
        try:
            text = (base_dir / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"rule {rule.id!r}: cannot read innocent-word list {name}: {exc}")
            continue
        innocent.extend(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))
    return entries, innocent


class _ParamsBuilder:
    def __init__(self) -> None:
        self.flood: int | None = None
        self.first = 0
        self.windows: dict[str, Window | None] = {}

    def add(self, rule: Rule) -> None:
        p = rule.params
        if rule.kind == "flood":
            self.flood = max(self.flood or 0, p["window_seconds"])
        elif rule.kind == "first_comments":
            self.first = max(self.first, p["count"])
        elif rule.kind == "rate_limit":
            for name in ("burst", "sustained"):
                if p[name] is not None:
                    self.windows[f"{p['scope']}_{name}"] = p[name]

    def build(self) -> ContextParams:
        w = self.windows
        return ContextParams(
            flood_window_seconds=self.flood,
            first_comments_held=self.first,
            reader_burst=w.get("reader_burst"),
            reader_sustained=w.get("reader_sustained"),
            ip_burst=w.get("ip_burst"),
            ip_sustained=w.get("ip_sustained"),
        )
