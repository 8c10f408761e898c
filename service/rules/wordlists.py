"""Word lists: the term file format and one Aho-Corasick matcher over every list.

A term file is UTF-8 text, one entry a line, tab-separated::

    term<TAB>severity<TAB>options

``severity`` is 1 (mild) to 4 (severe), default 3. ``options`` are space-separated:
``word`` (match on word boundaries, the default for Latin entries), ``partial`` (match inside
words, the default for Hangul entries) and ``except=a*|*b`` (innocent words around the term,
``*`` standing for the term, as in dsojevic/profanity-list). Blank lines and lines starting
with ``#`` are ignored. An innocent-words file has one word a line; a match that lies inside
one of them is dropped (시발점, scunthorpe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs as ac

from .normalize import Reading, gap_ok, normalize

_LATIN = re.compile(r"[a-z]")
_HANGUL = re.compile(r"[가-힣ㄱ-ㅣ]")
_DOUBLE = re.compile(r"([a-z])\1")


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    severity: int
    mode: str  # "word" | "partial" | "" (by script)
    exceptions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Term:
    rule: int
    entry: str  # as written in the list
    severity: int
    word: bool  # Latin word-boundary matching
    exceptions: tuple[tuple[str, str], ...]  # normalised (before, after)
    has_double: bool  # survives only readings that keep doubled letters


@dataclass(frozen=True, slots=True)
class TermHit:
    term: Term
    reading: Reading
    start: int
    end: int


def parse_terms(text: str, source: str) -> tuple[list[Entry], list[str]]:
    entries: list[Entry] = []
    errors: list[str] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip("\n\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        term = cols[0].strip()
        severity = 3
        mode = ""
        exceptions: tuple[str, ...] = ()
        if len(cols) > 1 and cols[1].strip():
            if not cols[1].strip().isdigit() or not 1 <= int(cols[1]) <= 4:
                errors.append(f"{source}:{lineno}: severity must be 1-4, got {cols[1]!r}")
                continue
            severity = int(cols[1])
        for opt in cols[2].split() if len(cols) > 2 else []:
            if opt in ("word", "partial"):
                mode = opt
            elif opt.startswith("except="):
                exceptions = tuple(e for e in opt.removeprefix("except=").split("|") if e)
            else:
                errors.append(f"{source}:{lineno}: unknown option {opt!r}")
        if not normalize(term).strip():
            errors.append(f"{source}:{lineno}: entry {term!r} is empty once normalised")
            continue
        entries.append(Entry(term, severity, mode, exceptions))
    return entries, errors


def _exception(pattern: str, key: str) -> tuple[str, str] | None:
    if "*" not in pattern:
        return None
    before, _, after = pattern.partition("*")
    return normalize(before.replace("_", " ")), normalize(after.replace("_", " "))


class TermMatcher:
    """Every term of every word-list rule in one automaton, so the cost of a comment does not
    grow with the size of the lists."""

    def __init__(self, rules: list[list[Entry]], innocent: list[str]) -> None:
        keys: dict[str, int] = {}
        payload: list[list[Term]] = []
        for rule_index, entries in enumerate(rules):
            for e in entries:
                key = normalize(e.term).strip()
                latin = bool(_LATIN.search(key)) and not _HANGUL.search(key)
                word = e.mode == "word" or (e.mode == "" and latin)
                excs = tuple(x for p in e.exceptions if (x := _exception(p, key)) is not None)
                term = Term(rule_index, e.term, e.severity, word, excs, bool(_DOUBLE.search(key)))
                if key not in keys:
                    keys[key] = len(payload)
                    payload.append([])
                payload[keys[key]].append(term)
        self.size = len(keys)
        self._payload = payload
        self._ac = (
            ac.AhoCorasick(list(keys), implementation=ac.Implementation.DFA) if keys else None
        )
        words = sorted({k for w in innocent if (k := normalize(w).strip())})
        self._innocent = (
            ac.AhoCorasick(words, implementation=ac.Implementation.DFA) if words else None
        )

    def find(self, readings: list[Reading]) -> list[TermHit]:
        if self._ac is None:
            return []
        out: list[TermHit] = []
        for r in readings:
            found = self._ac.find_matches_as_indexes(r.text, overlapping=True)
            if not found:
                continue
            for pid, i, j in found:
                for term in self._payload[pid]:
                    if term.has_double and r.name == "collapsed":
                        continue
                    if self._accept(term, r, i, j):
                        out.append(TermHit(term, r, i, j))
        return out

    def _accept(self, term: Term, r: Reading, i: int, j: int) -> bool:
        # Judge boundaries, exceptions and innocent words on the text as spaced by the writer.
        if r.src is not None:
            a, b = r.local_span(i, j)
            ctx = r.src.text
            if not gap_ok(ctx, a, b):
                return False
        else:
            a, b, ctx = i, j, r.text
        if term.word and (
            (a > 0 and "a" <= ctx[a - 1] <= "z") or (b < len(ctx) and "a" <= ctx[b] <= "z")
        ):
            return False
        for before, after in term.exceptions:
            if ctx.startswith(before, a - len(before)) and ctx.startswith(after, b):
                if a - len(before) >= 0:
                    return False
        return not (self._inside_innocent(r.text, i, j) or self._inside_innocent(ctx, a, b))

    def _inside_innocent(self, text: str, i: int, j: int) -> bool:
        if self._innocent is None:
            return False
        for _, a, b in self._innocent.find_matches_as_indexes(text, overlapping=True):
            if a <= i and j <= b:
                return True
        return False


def read_list(path: Path) -> str:
    return path.read_text(encoding="utf-8")
