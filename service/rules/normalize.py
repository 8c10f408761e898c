"""One normalisation pipeline for list entries and comments, with index maps.

``base()`` gives the skeleton of a text: NFKC, case folding, default-ignorable and format
characters removed, diacritics removed, look-alikes mapped to one letter, Hangul jamo composed
into syllables. ``readings()`` adds the other ways a reader may have meant the same text
(separators removed, leetspeak decoded, repeated letters collapsed, Latin typed on the Korean
keyboard). Every reading keeps, for each of its characters, the span of the original text it
came from, so a match anywhere maps back to what the writer typed.

Speed matters (every comment, every rule): the common case, text made of characters that map
one to one, is handled by ``str.lower`` and ``str.translate`` without a Python loop, and a
reading is only built when a cheap regex says it can differ from the one it derives from.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable

from . import tables

__all__ = [
    "Reading",
    "base",
    "ends_word",
    "fingerprint",
    "gap_ok",
    "normalize",
    "readings",
    "substitute",
]


class Reading:
    """A normalised view of a text and the way back to the text it came from.

    ``starts[k]``/``ends[k]`` give the span that character ``k`` came from, in ``src.text``
    when ``src`` is set (the squeezed readings, which need their source to judge word gaps)
    and in the original text otherwise. ``None`` maps mean one to one. Maps that cost a loop
    are built only when something matched (``lazy``).
    """

    __slots__ = ("_ascii", "_ends", "_lazy", "_starts", "name", "src", "text")

    def __init__(
        self,
        name: str,
        text: str,
        starts: list[int] | None = None,
        ends: list[int] | None = None,
        *,
        src: Reading | None = None,
        lazy: Callable[[], tuple[list[int], list[int]]] | None = None,
    ) -> None:
        self.name = name
        self.text = text
        self._starts = starts
        self._ends = ends
        self.src = src
        self._lazy = lazy
        self._ascii: tuple[int, bool] | None = None

    def __repr__(self) -> str:
        return f"Reading({self.name!r}, {self.text!r})"

    def ascii_classes(self) -> tuple[int, bool]:
        """(how many ASCII digits, whether any a-z) in ``text``: one UTF-8 encoding and two
        ``bytes.translate`` calls, cheaper than a regex scan of Hangul text, shared by the
        readings and the number detectors."""
        if self._ascii is None:
            classes = self.text.encode("utf-8", "surrogatepass").translate(_ASCII_CLASSES)
            self._ascii = (classes.count(b"0"), b"a" in classes)
        return self._ascii

    def maps(self) -> tuple[list[int], list[int]] | None:
        if self._lazy is not None:
            self._starts, self._ends = self._lazy()
            self._lazy = None
        if self._starts is None or self._ends is None:
            return None
        return self._starts, self._ends

    def local_span(self, i: int, j: int) -> tuple[int, int]:
        """Span of ``text[i:j]`` in ``src.text`` (or the original when there is no src)."""
        maps = self.maps()
        if maps is None:
            return i, j
        starts, ends = maps
        if not starts:
            return 0, 0
        if j <= i:
            pos = starts[i] if i < len(starts) else ends[-1]
            return pos, pos
        return starts[i], ends[j - 1]

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Span of ``text[i:j]`` in the original text."""
        if self._starts is None and self._lazy is None and self.src is None:
            return i, j  # one to one (most base readings): no map to consult
        a, b = self.local_span(i, j)
        return self.src.span(a, b) if self.src is not None else (a, b)

    def renamed(self, name: str) -> Reading:
        maps = self.maps()
        starts, ends = maps if maps is not None else (None, None)
        return Reading(name, self.text, starts, ends, src=self.src)


# Each UTF-8 byte to its class: "0" for an ASCII digit, "a" for a-z, a space for the rest.
# (A table without deletions: bytes.translate(None, delete) rebuilds its table every call.)
_ASCII_CLASSES = bytes(
    0x30 if 0x30 <= c <= 0x39 else 0x61 if 0x61 <= c <= 0x7A else 0x20 for c in range(256)
)


def _skeleton_uncached(ch: str) -> str:
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return "\ufffd"  # lone surrogate from a JSON escape: keep its place, make it harmless
    out: list[str] = []
    for c in unicodedata.normalize("NFKC", ch).casefold():
        if c in tables.IGNORABLE_EXTRA or unicodedata.category(c) in ("Cf", "Mn", "Me"):
            continue
        if not ("\uac00" <= c <= "\ud7a3"):  # NFD would split a Hangul syllable into jamo
            c = "".join(d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d))
        for d in c:
            d = _CONJOINING.get(d, d)
            d = tables.LATIN_LOOKALIKES.get(d, d)
            out.append(tables.HANGUL_LOOKALIKES.get(d, d))
    return "".join(out)


_CONJOINING = tables.conjoining_to_compat()


class _SkeletonCache(dict[str, str]):
    """Per-character skeletons, computed on first sight (bounded against hostile input)."""

    def __missing__(self, ch: str) -> str:
        value = _skeleton_uncached(ch)
        if len(self) < 100_000:
            self[ch] = value
        return value


_SKELETON = _SkeletonCache()


def _build_fast_tables() -> tuple[re.Pattern[str], re.Pattern[str], dict[int, str]]:
    """Classify the characters comments are made of, once, at import.

    *Safe* characters map to exactly one character after ``str.lower`` (so a text made only of
    them needs no index map); ``remap`` holds the lowered safe characters whose skeleton still
    differs. Everything outside the scanned blocks takes the slow, exact path.
    """
    scanned = [*range(0x20, 0x3400), *range(0xFF00, 0xFFF0), 0x09, 0x0A, 0x0D]
    safe: list[int] = list(range(0xAC00, 0xD7A4))  # Hangul syllables map to themselves
    remap: dict[int, str] = {}
    for cp in scanned:
        ch = chr(cp)
        low = ch.lower()
        sk = _SKELETON[ch]
        if len(sk) != 1 or len(low) != 1 or _SKELETON[low] != sk:
            continue
        safe.append(cp)
        if sk != low:
            remap[ord(low)] = sk
    return (
        re.compile(f"[^{_char_class(safe)}]"),
        re.compile(f"[{_char_class(list(remap))}]"),
        remap,
    )


def _char_class(codepoints: list[int]) -> str:
    parts: list[str] = []
    cps = sorted(set(codepoints))
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


_UNSAFE, _NEEDS_REMAP, _REMAP = _build_fast_tables()
_REMAP_CHARS = frozenset(chr(c) for c in _REMAP)

_V = tables.VOWELS
_I = "".join(c for c in tables.INITIALS)
_F = tables.FINALS[1:]
_JAMO_SYLLABLE = re.compile(f"([{_I}])([{_V}])([{_F}](?![{_V}]))?")
_JAMO_I_LOOKALIKE = re.compile(f"(?<=[{_I}])[{re.escape(tables.ASCII_I_LOOKALIKES)}]")
_FIXUP = re.compile(f"{_NEEDS_REMAP.pattern}|[{_I}][{_V}{re.escape(tables.ASCII_I_LOOKALIKES)}]")
# Everything base() would do anything about beyond str.lower, on the text as written (so both
# cases of a character to remap or of an ASCII ㅣ look-alike): one scan for the usual text.
_REMAP_SOURCES = _char_class([c for c in range(0x10000) if chr(c).lower() in _REMAP_CHARS])
_JAMO_PAIR = (
    f"[{_I}][{_V}{re.escape(tables.ASCII_I_LOOKALIKES + tables.ASCII_I_LOOKALIKES.upper())}]"
)
_NEEDS_WORK = re.compile(f"{_UNSAFE.pattern}|[{_REMAP_SOURCES}]|{_JAMO_PAIR}")
# The same question for text made of printable ASCII, Hangul syllables and compatibility
# jamo (nearly every comment), none of which needs more than str.lower on its own: a small
# class scans several times faster than _UNSAFE's thousands of ranges.
_PLAIN = "\t\n\r -~\uac00-\ud7a3\u3131-\u3163"
_MAY_NEED_WORK = re.compile(f"[^{_PLAIN}]|{_JAMO_PAIR}")


def substitute(
    reading: Reading, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], name: str
) -> Reading:
    """Apply ``pattern.sub(repl)`` to a reading and carry its index map along.

    A replacement as long as its match maps character by character; any other replacement
    maps each of its characters to the span of the whole match.
    """
    text = reading.text
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    maps = reading.maps()
    src_s, src_e = maps if maps is not None else (None, None)
    pos = 0
    changed = False
    for m in pattern.finditer(text):
        a, b = m.span()
        rep = repl(m)
        if rep == text[a:b]:
            continue
        changed = True
        if a > pos:
            pieces.append(text[pos:a])
            _extend(starts, ends, src_s, src_e, pos, a)
        if len(rep) == b - a:
            pieces.append(rep)
            _extend(starts, ends, src_s, src_e, a, b)
        elif rep:
            pieces.append(rep)
            first = src_s[a] if src_s is not None else a
            last = src_e[b - 1] if src_e is not None else b
            starts.extend([first] * len(rep))
            ends.extend([last] * len(rep))
        pos = b
    if not changed:
        return reading.renamed(name)
    if pos < len(text):
        pieces.append(text[pos:])
        _extend(starts, ends, src_s, src_e, pos, len(text))
    return Reading(name, "".join(pieces), starts, ends, src=reading.src)


def _extend(
    starts: list[int],
    ends: list[int],
    src_s: list[int] | None,
    src_e: list[int] | None,
    a: int,
    b: int,
) -> None:
    if src_s is None or src_e is None:
        starts.extend(range(a, b))
        ends.extend(range(a + 1, b + 1))
    else:
        starts.extend(src_s[a:b])
        ends.extend(src_e[a:b])


def _compose(m: re.Match[str]) -> str:
    return tables.compose_syllable(m.group(1), m.group(2), m.group(3) or "")


def base(text: str) -> Reading:
    """The skeleton reading of ``text`` (see the module docstring)."""
    if _MAY_NEED_WORK.search(text) is None or _NEEDS_WORK.search(text) is None:
        return Reading("base", text.lower())
    reading = Reading("base", text.lower()) if _UNSAFE.search(text) is None else _slow_base(text)
    if _FIXUP.search(reading.text) is not None:
        if _NEEDS_REMAP.search(reading.text) is not None:
            reading.text = reading.text.translate(_REMAP)
        reading = substitute(reading, _JAMO_I_LOOKALIKE, lambda m: "ㅣ", "base")
        reading = substitute(reading, _JAMO_SYLLABLE, _compose, "base")
    return reading


def _slow_base(text: str) -> Reading:
    pieces: list[str] = []
    starts: list[int] = []
    skeleton = _SKELETON
    for i, ch in enumerate(text):
        sk = skeleton[ch]
        if sk:
            pieces.append(sk)
            starts.extend([i] * len(sk))
    return Reading("base", "".join(pieces), starts, [s + 1 for s in starts])


def normalize(text: str) -> str:
    """The skeleton of ``text`` as a plain string (used for list entries too)."""
    return base(text).text


# --- extra readings ---------------------------------------------------------------------

_LEET_CHARS = "".join(re.escape(c) for c in tables.LEET if c not in "!|")
_LEET_TOKEN = re.compile(
    rf"(?:[a-z{_LEET_CHARS}]|[!|](?=[a-z{_LEET_CHARS}]))*[a-z]"
    rf"(?:[a-z{_LEET_CHARS}]|[!|](?=[a-z{_LEET_CHARS}]))*"
)
_HAS_LEET = re.compile(rf"[a-z][{_LEET_CHARS}!|]|[{_LEET_CHARS}!|][a-z]")
_LEET_TABLE = str.maketrans(tables.LEET)

# What ``squeeze`` removes besides white space: ASCII punctuation and digits, and the common
# punctuation, symbol and emoji blocks. Spelled out as ranges, because a class like [\W\d]
# costs several times more per character on Hangul text.
_SEP_CLASS = (
    "!-@\\[-`{-~\u00a0-\u00bf\u2000-\u206f\u2190-\u2bff\u3000-\u303f"
    "\ufe30-\ufe4f\ufff0-\uffff\U0001f000-\U0001faff"
)
_PUNCT_OR_DIGIT = re.compile(f"[{_SEP_CLASS}]+")
_NOT_SEP_RUN = re.compile(f"[^{_SEP_CLASS}]+")
_SEP_OR_SPACE = re.compile(f"[\\s{_SEP_CLASS}]+")
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_WORD_GAP = re.compile(f"[{_SEP_CLASS}]*\\s[\\s{_SEP_CLASS}]*")

_RUN2 = re.compile(r"([a-z])\1+")
_RUN3 = re.compile(r"([a-z])\1\1+")

_KB_C = "rRsSeEfFaAqQtTdDwWcCzZxXvVgG"
_KB_V = "yYuUiIoOpPhHjJkKlLbBnNmM"
_KB_WORD = re.compile(rf"(?:[{_KB_C}][{_KB_V}]{{1,2}}(?:[{_KB_C}]{{1,2}}(?![{_KB_V}]))?)+")
_KB_FIRST = frozenset(_KB_C)
_KB_SECOND = frozenset(_KB_V)
_LATIN_RUN = re.compile(r"[A-Za-z]+")


def _leet(m: re.Match[str]) -> str:
    return m.group().translate(_LEET_TABLE)


def readings(text: str, base_reading: Reading | None = None) -> list[Reading]:
    """All readings of ``text``: base first, then only those that differ from their source.

    ``squeezed`` (every non-letter removed) and the readings made from it point at their
    source through ``src``, so a matcher can tell a word split by spaces (시 발) from two
    words that merely meet (다시 발견).
    """
    b = base_reading or base(text)
    out = [b]
    cur = b
    # Leetspeak, doubled letters and keyboard Hangul all need a Latin letter: one cheap test
    # spares Hangul-only text (most comments) three regex passes.
    latin = b.ascii_classes()[1]
    if latin and _HAS_LEET.search(cur.text) is not None:
        decoded = _LEET_TOKEN.sub(_leet, cur.text)
        if decoded != cur.text:
            maps = cur.maps()
            starts, ends = maps if maps is not None else (None, None)
            cur = Reading("leet", decoded, starts, ends)  # same length: same map
            out.append(cur)
    squeezed = squeeze(cur)
    if squeezed is not None:
        out.append(squeezed)
        cur = squeezed
    if not latin:
        return out
    if _RUN2.search(cur.text) is not None:
        out.append(_collapsed(cur, _RUN2, 1, "collapsed"))
        if _RUN3.search(cur.text) is not None:
            out.append(_collapsed(cur, _RUN3, 2, "collapsed2"))
    kb = keyboard_reading(text)
    if kb is not None:
        out.append(kb)
    return out


def _collapsed(src: Reading, pattern: re.Pattern[str], keep: int, name: str) -> Reading:
    def repl(m: re.Match[str]) -> str:
        return m.group(1) * keep

    def build() -> tuple[list[int], list[int]]:
        maps = substitute(src, pattern, repl, name).maps()
        assert maps is not None
        return maps

    return Reading(name, pattern.sub(repl, src.text), src=src.src, lazy=build)


def squeeze(src: Reading) -> Reading | None:
    """``src`` without spaces, punctuation and digits; None when there is nothing to remove
    between two letters."""
    text = src.text
    # A printable text has no white space but the ASCII space, which one replace removes
    # (split and join cost several times more on Hangul text).
    text = text.replace(" ", "") if text.isprintable() else "".join(text.split())
    if not text.isalpha():  # letters only (the usual case) cannot hold a separator
        text = "".join(_NOT_SEP_RUN.findall(text))  # half the cost of re.sub here
    if text == src.text or len(text) < 2:
        return None

    def kept() -> tuple[list[int], list[int]]:
        starts: list[int] = []
        pos = 0
        for m in _SEP_OR_SPACE.finditer(src.text):
            starts.extend(range(pos, m.start()))
            pos = m.end()
        starts.extend(range(pos, len(src.text)))
        return starts, [s + 1 for s in starts]

    return Reading("squeezed", text, src=src, lazy=kept)


def gap_ok(src_text: str, a: int, b: int) -> bool:
    """May ``src_text[a:b]`` be read as one word once its separators are removed?

    Punctuation and digits inside a word are evasion (시.발, 시1발, f.u.c.k). Across spaces,
    the match must start a word, so that 다시 발견 does not become 시발, and either its letters
    are typed one by one (시 발, f u c k) or one word of three letters or more is broken once
    (개새 끼, 미친 것들). A match that takes more than one letter after the last space must
    finish that word (particles allowed), so that 또 라이브 is not 또라이.
    """
    chunk = src_text[a:b]
    parts = _WORD_GAP.split(chunk)
    if len(parts) == 1:
        return True
    if a > 0 and _LETTER_RUN.match(src_text, a - 1) is not None:
        return False
    letters = [len(_PUNCT_OR_DIGIT.sub("", p)) for p in parts]
    if all(n <= 1 for n in letters[:-1]):
        return letters[-1] <= 1 or ends_word(src_text, b)
    return len(parts) == 2 and sum(letters) >= 3 and ends_word(src_text, b)


# Particles and short endings that may follow a noun or a slur inside the same written word
# (게이가, 충들이, 새끼들아). Two may follow each other; anything else continues the word.
ENDINGS = frozenset(
    {
        "들", "이", "가", "은", "는", "을", "를", "도", "만", "아", "야", "의", "에", "와", "과",
        "랑", "이랑", "하고", "한테", "에게", "처럼", "보다", "같은", "같이", "이다", "이냐",
        "이노", "이네", "이지", "이야", "이고", "이라", "이나", "이여", "이면", "이니", "임",
        "인", "네", "냐", "노", "지", "다", "라", "나", "여", "년", "놈", "새끼", "짓", "질",
        "들아", "들이", "들은", "들을", "들의", "들도", "들만",
    }
)  # fmt: skip
_LONG_ENDINGS = tuple(e for e in ENDINGS if len(e) > 1)
_SYLLABLES = re.compile("[가-힣]+")


def ends_word(text: str, b: int) -> bool:
    """Does a match ending at ``b`` finish its word, allowing particles (바보를, 충들이)?"""
    if b >= len(text):
        return True
    m = _SYLLABLES.match(text, b)
    if m is None:
        return not ("a" <= text[b] <= "z")
    rest = m.group()
    if rest in ENDINGS or rest.startswith(_LONG_ENDINGS) or rest[0] in "인임였":
        return True  # a particle of two syllables, or the copula (충인가, 게이였던)
    return any(rest[:k] in ENDINGS and rest[k:] in ENDINGS for k in range(1, len(rest)))


def keyboard_reading(text: str) -> Reading | None:
    """Latin words typed with the Korean 2-beolsik layout left on (tlqkf = 시발).

    Only words whose keys make whole syllables count, which English words rarely do. A
    candidate is a whole run of Latin letters whose first two keys are a consonant and a vowel;
    finding the runs with a plain character class and checking two letters is several times
    faster than one pattern with a look-behind, and a word's answer is cached.
    """
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for m in _LATIN_RUN.finditer(text):
        word = m.group()
        if len(word) < 2 or word[0] not in _KB_FIRST or word[1] not in _KB_SECOND:
            continue
        syllables = _typed_word(word)
        if syllables is None:
            continue
        at = m.start()
        for syl, a, b in syllables:
            pieces.append(syl)
            starts.append(at + a)
            ends.append(at + b)
        pieces.append(" ")
        starts.append(m.end())
        ends.append(m.end())
    if not pieces:
        return None
    return Reading("keyboard", "".join(pieces), starts, ends)


@functools.lru_cache(maxsize=8192)
def _typed_word(word: str) -> tuple[tuple[str, int, int], ...] | None:
    return _type_hangul(word) if _KB_WORD.fullmatch(word) is not None else None


@functools.lru_cache(maxsize=4096)
def _type_hangul(word: str) -> tuple[tuple[str, int, int], ...] | None:
    """Replay 2-beolsik keystrokes; None unless every key lands in a syllable."""
    jamo = [tables.KEYBOARD[c] for c in word]
    n = len(jamo)
    out: list[tuple[str, int, int]] = []
    i = 0
    vowels = tables.VOWELS
    while i < n:
        start = i
        if jamo[i] not in tables.INITIALS or i + 1 >= n or jamo[i + 1] not in vowels:
            return None
        lead, vowel = jamo[i], jamo[i + 1]
        i += 2
        if i < n and vowel + jamo[i] in tables.COMPOUND_VOWELS:
            vowel = tables.COMPOUND_VOWELS[vowel + jamo[i]]
            i += 1
        final = ""
        if i < n and jamo[i] in tables.FINALS[1:] and not (i + 1 < n and jamo[i + 1] in vowels):
            final = jamo[i]
            i += 1
            if (
                i < n
                and final + jamo[i] in tables.COMPOUND_FINALS
                and not (i + 1 < n and jamo[i + 1] in vowels)
            ):
                final = tables.COMPOUND_FINALS[final + jamo[i]]
                i += 1
        out.append((tables.compose_syllable(lead, vowel, final), start, i))
    return tuple(out)


# --- flood key ----------------------------------------------------------------------------

_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_ANY_RUN = re.compile(r"(.)\1+", re.DOTALL)


@functools.lru_cache(maxsize=1024)  # intake asks twice per comment: to screen, then to count
def fingerprint(text: str) -> str:
    """A key equal for the same or nearly the same comment (spacing, case, look-alikes,
    punctuation, repeated letters), for flood (도배) detection at intake."""
    key = _NOT_LETTER_OR_DIGIT.sub("", base(text).text)
    key = _ANY_RUN.sub(r"\1", key)
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
