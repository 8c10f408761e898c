"""Pattern rules compiled once into small functions.

Each function binds its rule's parameters when the rule set is built, so a comment pays for
the test itself and not for finding the rule's kind and parameters again (on short comments
that lookup cost as much as the tests). Every test starts with a check far cheaper than its
regex; the detectors say which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import detectors
from .model import Hit
from .normalize import Reading

if TYPE_CHECKING:
    from .ruleset import Rule

Check = Callable[[str, Reading, list[detectors.Link], list[Hit]], None]


def span_hit(rule: Rule, body: str, r: Reading, span: tuple[int, int], detail: str) -> Hit:
    a, b = r.span(*span)
    return rule.hit(span=(a, b), excerpt=body[a:b], detail=detail)


def compile_check(rule: Rule) -> Check:
    """The test of one pattern rule: ``check(body, base_reading, links, hits)`` appends its
    hits. ``links`` are the base reading's links, found once for every link rule."""
    p = rule.params
    kind = rule.kind
    if kind == "personal_info":
        return _personal_info(rule, p["detect"])
    if kind == "links":
        return _links(rule, p["allow_domains"], p["max_count"])
    if kind == "link_deny":
        return _link_deny(rule, p["deny_domains"])
    if kind == "shouting":
        return _shouting(rule, p["min_letters"], p["max_ratio"])
    if kind == "repetition":
        return _repetition(rule, p["max_char_run"], p["max_word_repeats"])
    if kind == "min_letters":
        return _min_letters(rule, p["min"])
    raise ValueError(f"not a pattern rule: {kind}")


def _personal_info(rule: Rule, detect: frozenset[str]) -> Check:
    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        found = detectors.find_personal_info(b, detect)
        if found:
            out.extend(span_hit(rule, body, r, s, what) for r, s, what in found)

    return check


def _links(rule: Rule, allow: frozenset[str], max_count: int) -> Check:
    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        if not links:
            return
        counted = [lk for lk in links if not detectors.host_matches(lk.host, allow)]
        if len(counted) > max_count:
            out.extend(span_hit(rule, body, lk.reading, lk.span, lk.host) for lk in counted)

    return check


def _link_deny(rule: Rule, deny: frozenset[str]) -> Check:
    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        for lk in links:
            if detectors.host_matches(lk.host, deny):
                out.append(span_hit(rule, body, lk.reading, lk.span, lk.host))

    return check


def _shouting(rule: Rule, min_letters: int, max_ratio: float) -> Check:
    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        # The base reading is lower case: a body equal to it has no capital to count.
        if body != b.text and detectors.shouting(body, min_letters, max_ratio):
            out.append(rule.hit(span=(0, len(body)), excerpt=body, detail="capitals"))

    return check


def _repetition(rule: Rule, max_run: int, max_words: int) -> Check:
    pattern = detectors.char_run_pattern(max_run)

    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        text = b.text
        if len(text) > max_run:
            m = detectors.char_run(pattern, text, max_run)
            if m is not None:
                out.append(span_hit(rule, body, b, m.span(), "repeated character"))
        if len(text) > 2 * max_words:  # more than max_words words need as many spaces
            word = detectors.repeated_word(text, max_words)
            if word is not None:
                out.append(rule.hit(span=(0, len(body)), excerpt=word, detail="repeated word"))

    return check


def _min_letters(rule: Rule, n: int) -> Check:
    pattern = detectors.min_letters_pattern(n)

    def check(body: str, b: Reading, links: list[detectors.Link], out: list[Hit]) -> None:
        if not detectors.has_min_letters(pattern, b.text, n):
            out.append(rule.hit(span=(0, len(body)), excerpt=body, detail="too few letters"))

    return check
