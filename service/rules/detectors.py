"""Pattern rules: personal information, links, shouting, repetition, real letters.

Each detector works on the base reading (so full-width digits, look-alikes and invisible
characters are already dealt with) and returns spans in that reading's coordinates.
"""

from __future__ import annotations

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


def _digit_reading(b: Reading) -> Reading | None:
    text = b.text
    numerals = (
        sum(map(text.count, "공영일이삼사오육칠팔구")) >= 7 or "one" in text or "zero" in text
    ) and _NUMERAL_HINT.search(text) is not None
    if not numerals and _DIGIT_HINT.search(text) is None:
        return None
    r = b
    if numerals:
        r = substitute(r, _NUMERAL_HINT, lambda m: _NUMERAL_WORD.sub(_numeral, m.group()), "digits")
    return substitute(r, _DIGIT_GAP, lambda m: "", "digits")


def _numeral(m: re.Match[str]) -> str:
    return _NUMERALS[m.group()]


def find_personal_info(b: Reading, kinds: frozenset[str]) -> list[tuple[Reading, Span, str]]:
    out: list[tuple[Reading, Span, str]] = []
    if "email" in kinds and _EMAIL_HINT.search(b.text) is not None:
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


def find_links(b: Reading) -> list[Link]:
    if _LINK_HINT.search(b.text) is None:
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

_UPPER = re.compile(r"[A-Z]")
_LATIN = re.compile(r"[A-Za-z]")


def shouting(original: str, min_letters: int, max_ratio: float) -> bool:
    if _UPPER.search(original) is None:
        return False
    letters = len(_LATIN.findall(original))
    if letters < min_letters:
        return False
    return len(_UPPER.findall(original)) / letters > max_ratio


def char_run_pattern(max_run: int) -> re.Pattern[str]:
    return re.compile(rf"(\S)\1{{{max_run},}}")


def repeated_word(text: str, max_repeats: int) -> str | None:
    words = text.split()
    if len(words) <= max_repeats:
        return None
    word, count = Counter(words).most_common(1)[0]
    return word if count > max_repeats else None


def min_letters_pattern(n: int) -> re.Pattern[str]:
    return re.compile(rf"(?:[\W\d_]*[^\W\d_]){{{n}}}")
