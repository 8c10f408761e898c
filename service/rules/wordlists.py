"""Word lists: the term file format and one Aho-Corasick matcher over every list.

A term file is UTF-8 text, one entry a line, tab-separated::

    term<TAB>severity<TAB>options

``severity`` is 1 (mild) to 4 (severe), default 3. ``options`` are space-separated:
``word`` (match on word boundaries, the default for Latin entries), ``partial`` (match inside
words, the default for Hangul entries), ``except=a*|*b`` (innocent words around the term,
``*`` standing for the term, as in dsojevic/profanity-list), and for Korean morphology:
``suffix`` (only attached to a preceding noun: 급식충, 글쓴게이), ``start`` (only at the
start of a word), ``end`` (only where the word ends, particles allowed: 충들이, not 충분) and
``initials`` (also matched with one
syllable typed as its first consonant: ㅂ신, 병ㅅ, ㅅ발). Blank lines and lines starting
with ``#`` are ignored. An innocent-words file has one word a line; a match that lies inside
one of them is dropped (시발점, scunthorpe).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import ahocorasick_rs as ac

from .normalize import Reading, ends_word, gap_ok, normalize

_LATIN = re.compile(r"[a-z]")
_HANGUL = re.compile(r"[가-힣ㄱ-ㅣ]")
_DOUBLE = re.compile(r"([a-z])\1")
_FLAGS = frozenset({"suffix", "start", "end", "initials"})
_INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"


def initial_variants(key: str) -> list[str]:
    """``key`` with one of its syllables replaced by its first consonant (병신 → ㅂ신, 병ㅅ)."""
    out = []
    for i, ch in enumerate(key):
        if "가" <= ch <= "힣":
            out.append(key[:i] + _INITIALS[(ord(ch) - 0xAC00) // 588] + key[i + 1 :])
    return out


@dataclass(frozen=True, slots=True)
class Entry:
    term: str
    severity: int
    mode: str  # "word" | "partial" | "" (by script)
    exceptions: tuple[str, ...]
    flags: frozenset[str] = frozenset()  # "suffix", "end", "initials"


class Exceptions:
    """A term's innocent contexts (``*점``, ``땅*``, ``a*b``), grouped so that a match asks
    one set lookup per length instead of comparing every pattern: 시발 alone has thirty."""

    __slots__ = ("after", "before", "both")

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        after: dict[int, set[str]] = {}
        before: dict[int, set[str]] = {}
        both: list[tuple[str, str]] = []
        for bf, af in pairs:
            if bf and not af:
                before.setdefault(len(bf), set()).add(bf)
            elif af and not bf:
                after.setdefault(len(af), set()).add(af)
            else:
                both.append((bf, af))
        self.after = tuple((n, frozenset(w)) for n, w in sorted(after.items()))
        self.before = tuple((n, frozenset(w)) for n, w in sorted(before.items()))
        self.both = tuple(both)

    def cover(self, ctx: str, a: int, b: int) -> bool:
        """Is ``ctx[a:b]`` inside one of the innocent contexts?"""
        for n, words in self.after:
            if ctx[b : b + n] in words:
                return True
        for n, words in self.before:
            if a >= n and ctx[a - n : a] in words:
                return True
        return any(
            a >= len(bf) and ctx.startswith(bf, a - len(bf)) and ctx.startswith(af, b)
            for bf, af in self.both
        )


@dataclass(frozen=True, slots=True)
class Term:
    rule: int
    entry: str  # as written in the list
    severity: int
    word: bool  # Latin word-boundary matching
    exceptions: tuple[tuple[str, str], ...]  # normalised (before, after)
    has_double: bool  # survives only readings that keep doubled letters
    suffix: bool = False  # must follow a Hangul syllable of the same word
    end: bool = False  # must finish its word (particles allowed)
    start: bool = False  # must begin its word
    # ``exceptions`` grouped for lookups (None when there are none); derived, so not compared
    innocent: Exceptions | None = field(default=None, compare=False)


class TermHit(NamedTuple):
    """A term found in a reading, at ``reading.text[start:end]`` (a tuple: made per match)."""

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
        flags: set[str] = set()
        if len(cols) > 1 and cols[1].strip():
            if not cols[1].strip().isdigit() or not 1 <= int(cols[1]) <= 4:
                errors.append(f"{source}:{lineno}: severity must be 1-4, got {cols[1]!r}")
                continue
            severity = int(cols[1])
        for opt in cols[2].split() if len(cols) > 2 else []:
            if opt in ("word", "partial"):
                mode = opt
            elif opt in _FLAGS:
                flags.add(opt)
            elif opt.startswith("except="):
                exceptions = tuple(e for e in opt.removeprefix("except=").split("|") if e)
            else:
                errors.append(f"{source}:{lineno}: unknown option {opt!r}")
        if not normalize(term).strip():
            errors.append(f"{source}:{lineno}: entry {term!r} is empty once normalised")
            continue
        entries.append(Entry(term, severity, mode, exceptions, frozenset(flags)))
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
                term = Term(
                    rule_index,
                    e.term,
                    e.severity,
                    word,
                    excs,
                    bool(_DOUBLE.search(key)),
                    "suffix" in e.flags,
                    "end" in e.flags,
                    "start" in e.flags,
                    Exceptions(excs) if excs else None,
                )
                variants = [key, *initial_variants(key)] if "initials" in e.flags else [key]
                if " " in key and not latin:  # Korean spacing is often left out: 뇌가없는
                    variants.append(key.replace(" ", ""))
                for k in variants:
                    if k not in keys:
                        keys[k] = len(payload)
                        payload.append([])
                    if term not in payload[keys[k]]:  # the same entry in two lists
                        payload[keys[k]].append(term)
        for terms in payload:  # the strictest entry of a rule speaks first for a span
            terms.sort(key=lambda t: (t.rule, -t.severity))
        self.size = len(keys)
        self._payload = payload
        # A contiguous NFA rather than a DFA: with thousands of Hangul terms the DFA's tables
        # outgrow the CPU caches, and between two comments the rest of the engine evicts them;
        # the compact NFA was about 15% faster per comment in the speed bench, and compiles
        # 10,000 terms in a tenth of the time.
        impl = ac.Implementation.ContiguousNFA
        self._ac = ac.AhoCorasick(list(keys), implementation=impl) if keys else None
        words = sorted({k for w in innocent if (k := normalize(w).strip())})
        self._innocent = ac.AhoCorasick(words, implementation=impl) if words else None
        # An innocent word can hold a match only if it has every letter of the term (the
        # match's text in any reading keeps the term's letters): most terms have none, and
        # their matches skip the innocent-word pass.
        letters = [frozenset(w) for w in words]
        anywhere = frozenset("".join(words))
        self._may_be_innocent = [  # keys are numbered in insertion order
            (ks := frozenset(k)) <= anywhere and any(ks <= w for w in letters) for k in keys
        ]

    def find(self, readings: list[Reading]) -> list[TermHit]:
        ac = self._ac
        if ac is None:
            return []
        out: list[TermHit] = []
        innocent: dict[str, list[tuple[int, int]]] = {}
        first = readings[0]
        if len(readings) == 1:
            for pid, i, j in ac.find_matches_as_indexes(first.text, overlapping=True):
                self._collect(pid, first, i, j, innocent, out)
            return out
        # One automaton pass over every reading, joined by a character no term contains:
        # the call, not the scan, is most of the cost on comments this short.
        found = ac.find_matches_as_indexes("\n".join([r.text for r in readings]), overlapping=True)
        if not found:
            return out
        # Matches come in text order, so each reading's are a run: cut where they pass the
        # end of the reading they are in.
        per_reading: list[list[tuple[int, int, int]]] = []
        cur: list[tuple[int, int, int]] = []
        start = 0
        end = len(first.text)
        for pid, i, j in found:
            while i > end:
                per_reading.append(cur)
                cur = []
                start = end + 1
                end = start + len(readings[len(per_reading)].text)
            cur.append((pid, i - start, j - start))
        per_reading.append(cur)
        for k, matches in enumerate(per_reading):
            if not matches:
                continue
            r = readings[k]
            skip: set[int] | None = None
            if r.name == "squeezed":
                for n in range(k):
                    if readings[n] is r.src:
                        skip = _same_as_source(matches, per_reading[n])
                        break
                if skip is not None and len(skip) == len(matches):
                    continue
            for pid, i, j in matches:
                if skip is None or pid not in skip:
                    self._collect(pid, r, i, j, innocent, out)
        return out

    def _collect(
        self,
        pid: int,
        r: Reading,
        i: int,
        j: int,
        innocent: dict[str, list[tuple[int, int]]],
        out: list[TermHit],
    ) -> None:
        done = -1
        cache = innocent if self._may_be_innocent[pid] else None
        for term in self._payload[pid]:  # strictest first within each rule
            if term.rule == done or (term.has_double and r.name == "collapsed"):
                continue
            if self._accept(term, r, i, j, cache):
                out.append(TermHit(term, r, i, j))
                done = term.rule

    def _accept(
        self,
        term: Term,
        r: Reading,
        i: int,
        j: int,
        innocent: dict[str, list[tuple[int, int]]] | None,
    ) -> bool:
        """Does this match of ``term`` count? ``innocent`` caches the innocent-word spans
        of each text; None when no innocent word can hold the term."""
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
        if term.suffix and not (a > 0 and "가" <= ctx[a - 1] <= "힣"):
            return False
        if term.start and a > 0 and ctx[a - 1].isalpha():
            return False
        if term.end and not ends_word(ctx, b):
            return False
        if term.innocent is not None and term.innocent.cover(ctx, a, b):
            return False
        return innocent is None or not (
            self._inside_innocent(r.text, i, j, innocent)
            or self._inside_innocent(ctx, a, b, innocent)
        )

    def _inside_innocent(
        self, text: str, i: int, j: int, cache: dict[str, list[tuple[int, int]]]
    ) -> bool:
        if self._innocent is None:
            return False
        spans = cache.get(text)
        if spans is None:
            found = self._innocent.find_matches_as_indexes(text, overlapping=True)
            spans = cache[text] = [(a, b) for _, a, b in found]
        return any(a <= i and j <= b for a, b in spans)


def _same_as_source(
    matches: list[tuple[int, int, int]], source: list[tuple[int, int, int]]
) -> set[int]:
    """Terms a squeezed reading found no more often than the reading it was squeezed from.

    Squeezing only removes characters, so each match in the source is also a match in the
    squeezed text; when the counts agree there is no match across a removed separator, and
    the source's matches (already judged) say everything. Saves building the index map.
    """
    if not source:
        return set()
    pids = [pid for pid, _, _ in matches]
    if pids == [pid for pid, _, _ in source]:  # the usual case: nothing new across a gap
        return set(pids)
    counts: dict[int, int] = {}
    for pid, _, _ in matches:
        counts[pid] = counts.get(pid, 0) + 1
    for pid, _, _ in source:
        if pid in counts:
            counts[pid] -= 1
    return {pid for pid, n in counts.items() if n <= 0}


def read_list(path: Path) -> str:
    return path.read_text(encoding="utf-8")
