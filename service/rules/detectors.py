"""Pattern rules: personal information, links, shouting, repetition, real letters.

Each detector works on the base reading (so full-width digits, look-alikes and invisible
characters are already dealt with) and returns spans in that reading's coordinates.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass

from .normalize import Reading, substitute

Span = tuple[int, int]

# --- personal information ----------------------------------------------------------------

_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_EMAIL_HINT = re.compile(r"@|\bat\b|골뱅이|\(at\)|\[at\]")
_EMAIL_OBFUSCATED = re.compile(
    r"\s*(?:\(\s*at\s*\)|\[\s*at\s*\]|\{\s*at\s*\}|(?<=\w)\s+at\s+(?=\w)|골뱅이)\s*"
    r"|\s*(?:\(\s*(?:dot|\.|점)\s*\)|\[\s*(?:dot|\.|점)\s*\]|\bdot\b|닷)\s*"
)

_PHONE_KR = re.compile(r"(?<![\d+])01[016789]\d{7,8}(?!\d)")
_PHONE_LANDLINE = re.compile(r"(?<![\d+])0(?:2|[3-6][1-5]|70)\d{7,8}(?!\d)")
_PHONE_INTL = re.compile(r"\+\d{9,15}(?!\d)")
_RRN = re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[1-8]\d{6}(?!\d)")

# Runs of at least nine digits with light separators, or spelled-out digits.
_DIGIT_HINT = re.compile(r"(?:\d[\s.\-·_/()]{0,3}){8}\d")
_NUMERAL_HINT = re.compile(
    r"(?:[공영일이삼사오육칠팔구][\s.\-·]*){7,}"
    r"|(?:\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b[\s.\-,]*){7,}"
)
_NUMERAL_WORD = re.compile(
    r"[공영일이삼사오육칠팔구]|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b"
)
_NUMERALS = {
    "공": "0", "영": "0", "일": "1", "이": "2", "삼": "3", "사": "4", "오": "5", "육": "6",
    "칠": "7", "팔": "8", "구": "9", "zero": "0", "oh": "0", "one": "1", "two": "2",
    "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_DIGIT_GAP = re.compile(r"(?<=\d)[\s.\-·_/()]+(?=[\d])")

PII_KINDS = ("email", "phone_kr", "phone_intl", "rrn")


# Cheap necessary conditions, tested before any regex: every number the detectors look for
# has at least nine digits, or seven numerals of which one is 공, 영 or 일 (a Korean number
# starts with 0, a month has a 0 or a 1), or an English "zero"/"oh"/"one".
_MIN_DIGITS = 9
_KO_NUMERAL_RUN = re.compile(r"[공영일이삼사오육칠팔구](?:[\s.\-·]*[공영일이삼사오육칠팔구]){6}")


def _digit_reading(b: Reading) -> Reading | None:
    text = b.text
    numerals = (
        (("공" in text or "영" in text or "일" in text) and _KO_NUMERAL_RUN.search(text))
        or "zero" in text
        or "oh" in text
        or "one" in text
    ) and _NUMERAL_HINT.search(text) is not None
    if not numerals and (b.ascii_classes()[0] < _MIN_DIGITS or _DIGIT_HINT.search(text) is None):
        return None
    r = b
    if numerals:
        r = substitute(r, _NUMERAL_HINT, lambda m: _NUMERAL_WORD.sub(_numeral, m.group()), "digits")
    return substitute(r, _DIGIT_GAP, lambda m: "", "digits")


def _numeral(m: re.Match[str]) -> str:
    return _NUMERALS[m.group()]


def find_personal_info(b: Reading, kinds: frozenset[str]) -> list[tuple[Reading, Span, str]]:
    out: list[tuple[Reading, Span, str]] = []
    t = b.text
    if (
        "email" in kinds
        and ("@" in t or "at" in t or "골뱅이" in t)
        and _EMAIL_HINT.search(t) is not None
    ):
        r = b
        if "@" not in b.text:
            r = substitute(b, _EMAIL_OBFUSCATED, _deobfuscate, "email")
        out.extend((r, m.span(), "email") for m in _EMAIL.finditer(r.text))
    digits = _digit_reading(b)
    if digits is not None:
        checks = [
            ("phone_kr", _PHONE_KR),
            ("phone_kr", _PHONE_LANDLINE),
            ("phone_intl", _PHONE_INTL),
            ("rrn", _RRN),
        ]
        for kind, pattern in checks:
            if kind in kinds:
                out.extend((digits, m.span(), kind) for m in pattern.finditer(digits.text))
    return out


def _deobfuscate(m: re.Match[str]) -> str:
    s = m.group().strip().strip("()[]{}").strip()
    return "@" if s in ("at", "골뱅이") else "."


# --- links ---------------------------------------------------------------------------------

TLDS = (
    "com|net|org|kr|co|io|me|ly|gl|gg|tv|info|biz|xyz|site|shop|online|top|app|dev|club|"
    "link|live|store|jp|cn|us|uk|de|ru|to|cc|ai|asia|kim|pw|tk|ml|ga|cf|gq|win|bet|vip|fun|"
    "page|blog|news|one|pro|world|today|click|space|tech|한국"
)
_URL = re.compile(r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+")
_DOMAIN = re.compile(
    rf"(?<![\w@.-])(?:[a-z0-9가-힣](?:[a-z0-9가-힣-]{{0,61}}[a-z0-9가-힣])?\.)+(?:{TLDS})"
    r"(?![\w-])(?:/[^\s]*)?"
)
_LINK_HINT = re.compile(r"\.|\bdot\b|닷|점(?:컴|넷)")
_LINK_OBFUSCATED = re.compile(
    r"\s*(?:\(\s*(?:dot|\.|점)\s*\)|\[\s*(?:dot|\.|점)\s*\]|\bdot\b)\s*"
    rf"|\s*\.\s*(?=(?:{TLDS})\b)|(?<=www)\s*\.\s*|\s*닷\s*|\s*점(?=컴|넷)"
)
_KO_TLD = re.compile(r"(?<=\.)컴|(?<=\.)넷")


@dataclass(frozen=True, slots=True)
class Link:
    reading: Reading
    span: Span
    host: str


# A link needs a scheme, "www", a spelled-out dot, or a dot before a top-level domain (perhaps
# after spaces or a bracket: "naver . com", "x.컴"): tested with ``in`` and one regex anchored
# at dots before the costly patterns run. A dot before any other word, as at the end of
# every sentence, is no link.
_DOT_TLD = re.compile(rf"\.[\s)\]}}]*(?:{TLDS}|컴|넷)(?![a-z0-9-])")


def find_links(b: Reading) -> list[Link]:
    t = b.text
    if (
        not (
            "://" in t
            or "www" in t
            or "dot" in t
            or "닷" in t
            or "점컴" in t
            or "점넷" in t
            or ("." in t and _DOT_TLD.search(t) is not None)
        )
        or _LINK_HINT.search(t) is None
    ):
        return []
    r = b
    if _LINK_OBFUSCATED.search(b.text) is not None:
        r = substitute(b, _LINK_OBFUSCATED, lambda m: ".", "links")
        r = substitute(r, _KO_TLD, lambda m: "com" if m.group() == "컴" else "net", "links")
    links: list[Link] = []
    taken: list[Span] = []
    for pattern in (_URL, _DOMAIN):
        for m in pattern.finditer(r.text):
            if any(a <= m.start() < b_ for a, b_ in taken):
                continue
            taken.append(m.span())
            links.append(Link(r, m.span(), _host(m.group())))
    return links


def _host(url: str) -> str:
    host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    return host.removeprefix("www.").rstrip(".,)")


def host_matches(host: str, domains: frozenset[str]) -> bool:
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


# --- shouting, repetition, letters --------------------------------------------------------


# Each byte to "A" (A-Z), "a" (a-z) or a space; counted after one translate.
_CASE_CLASSES = bytes(
    0x41 if 0x41 <= c <= 0x5A else 0x61 if 0x61 <= c <= 0x7A else 0x20 for c in range(256)
)


def shouting(original: str, min_letters: int, max_ratio: float) -> bool:
    if original.isascii():
        raw = original.encode("ascii")
    elif original.islower() or original.lower() == original:
        return False  # cheap exits: no capital letter at all
    else:
        raw = original.encode("utf-8", "surrogatepass")  # ASCII letters are single bytes
    classes = raw.translate(_CASE_CLASSES)
    upper = classes.count(b"A")
    if upper == 0:
        return False
    letters = upper + classes.count(b"a")
    if letters < min_letters:
        return False
    return upper / letters > max_ratio


def char_run_pattern(max_run: int) -> re.Pattern[str]:
    return re.compile(rf"(\S)\1{{{max_run},}}")


def char_run(pattern: re.Pattern[str], text: str, max_run: int) -> re.Match[str] | None:
    """A run of more than ``max_run`` equal characters.

    Such a run covers two consecutive multiples of ``step``, so the characters sampled at
    those positions are equal: a comparison of a few samples spares the backtracking regex.
    """
    if len(text) <= max_run:
        return None
    samples = text[:: (max_run + 1) // 2]
    if not any(a == b and not a.isspace() for a, b in itertools.pairwise(samples)):
        return None
    return pattern.search(text)


def repeated_word(text: str, max_repeats: int) -> str | None:
    # A printable text is split by ASCII spaces alone: fewer spaces than max_repeats leave
    # too few words to repeat, and counting them is cheaper than splitting Hangul text.
    if text.count(" ") < max_repeats and text.isprintable():
        return None
    words = text.split()
    # A word said more than max_repeats times leaves at least max_repeats repeats.
    if len(words) <= max_repeats or len(words) - len(set(words)) < max_repeats:
        return None
    word, count = Counter(words).most_common(1)[0]
    return word if count > max_repeats else None


def min_letters_pattern(n: int) -> re.Pattern[str]:
    return re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{n}}}")


def has_min_letters(pattern: re.Pattern[str], text: str, n: int) -> bool:
    # A text that starts with n letters passes without the regex (isalpha implies [^\W\d_]).
    return (len(text) >= n and text[:n].isalpha()) or pattern.match(text) is not None
