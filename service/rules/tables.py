"""Character tables used by normalisation: look-alikes, leetspeak, Hangul jamo.

The confusable table is a compact, hand-written subset in the spirit of Unicode TR39's
skeleton mapping, limited to the Latin, Cyrillic and Greek letters that are actually used to
dodge word filters. Only single characters map to single characters, so index maps stay simple.
"""

from __future__ import annotations

import unicodedata

# Cyrillic and Greek letters (after case folding) that look like Latin ones, plus Latin
# variants without a decomposition that NFKC would remove.
LATIN_LOOKALIKES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "є": "e", "з": "3", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y", "һ": "h",
    "ӏ": "l", "ь": "b", "п": "n", "г": "r", "ц": "u", "ш": "w", "щ": "w",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "σ": "o", "μ": "u",
    "ϲ": "c", "ϳ": "j", "ϝ": "f",
    # Latin without a decomposition
    "ı": "i", "ȷ": "j", "ł": "l", "đ": "d", "ø": "o", "ɑ": "a", "ɡ": "g", "ƅ": "b",
    "ʀ": "r", "ɪ": "i", "ʏ": "y", "ᴀ": "a", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ᴋ": "k",
    "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "ʜ": "h", "ʟ": "l", "ɴ": "n", "ꜱ": "s", "ǀ": "l", "ɩ": "i", "ɵ": "o", "þ": "p",
    "ß": "ss",
}  # fmt: skip

# Non-Latin characters that stand in for Hangul jamo (人ㅣ발 = 시발, ⊥ = ㅗ). Mapped
# everywhere: none of them is common in Korean or English comments on its own.
HANGUL_LOOKALIKES: dict[str, str] = {
    "人": "ㅅ", "入": "ㅅ", "亼": "ㅅ", "丨": "ㅣ", "〡": "ㅣ", "│": "ㅣ", "┃": "ㅣ",
    "甘": "ㅂ", "廿": "ㅂ", "⊥": "ㅗ", "┻": "ㅗ", "┷": "ㅗ", "┴": "ㅗ", "丄": "ㅗ",
    "┳": "ㅜ", "┬": "ㅜ", "丅": "ㅜ", "口": "ㅁ", "ロ": "ㅁ", "己": "ㄹ", "匚": "ㄷ",
    "ㄈ": "ㄷ", "∟": "ㄴ", "ㄥ": "ㄴ", "ト": "ㅏ", "卜": "ㅏ", "十": "ㅓ",
    "一": "ㅡ", "ー": "ㅡ", "ヨ": "ㅋ", "〇": "ㅇ", "○": "ㅇ", "工": "ㅍ",
}  # fmt: skip

# ASCII characters that stand for ㅣ right after a consonant jamo (ㅅ1발, ㅆl발).
ASCII_I_LOOKALIKES = "1l|i!"

# Leetspeak, applied only inside tokens that also contain Latin letters.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "i", "+": "t", "€": "e",
}  # fmt: skip

# Default-ignorable code points that are not in category Cf (which is stripped wholesale).
IGNORABLE_EXTRA = frozenset(
    "\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)

# Hangul compatibility jamo, which is what people type (ㅅㅂ, ㅋㅋ).
CONSONANTS = "ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
VOWELS = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
FINALS = "\0ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"

# Two jamo typed one after the other that form one (ㅗ+ㅏ=ㅘ, ㄹ+ㄱ=ㄺ).
COMPOUND_VOWELS = {
    "ㅗㅏ": "ㅘ", "ㅗㅐ": "ㅙ", "ㅗㅣ": "ㅚ", "ㅜㅓ": "ㅝ",
    "ㅜㅔ": "ㅞ", "ㅜㅣ": "ㅟ", "ㅡㅣ": "ㅢ",
}  # fmt: skip
COMPOUND_FINALS = {
    "ㄱㅅ": "ㄳ", "ㄴㅈ": "ㄵ", "ㄴㅎ": "ㄶ", "ㄹㄱ": "ㄺ", "ㄹㅁ": "ㄻ", "ㄹㅂ": "ㄼ",
    "ㄹㅅ": "ㄽ", "ㄹㅌ": "ㄾ", "ㄹㅍ": "ㄿ", "ㄹㅎ": "ㅀ", "ㅂㅅ": "ㅄ",
}  # fmt: skip

# The Korean 2-beolsik keyboard: which jamo each Latin key types (shifted keys differ).
KEYBOARD: dict[str, str] = dict(
    zip(
        "qwertyuiopasdfghjklzxcvbnmQWERTOP",
        "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡㅃㅉㄸㄲㅆㅒㅖ",
        strict=True,
    )
)
for _upper in "YUIASDFGHJKLZXCVBNM":
    KEYBOARD[_upper] = KEYBOARD[_upper.lower()]


def compose_syllable(initial: str, vowel: str, final: str = "") -> str:
    """One precomposed Hangul syllable from compatibility jamo."""
    lead = INITIALS.index(initial)
    mid = VOWELS.index(vowel)
    tail = FINALS.index(final) if final else 0
    return chr(0xAC00 + (lead * 21 + mid) * 28 + tail)


def conjoining_to_compat() -> dict[str, str]:
    """Map conjoining jamo (what NFKC makes of ㅅ) back to compatibility jamo, by name."""
    by_name: dict[str, str] = {}
    for cp in range(0x3131, 0x318F):
        name = unicodedata.name(chr(cp), "")
        if name.startswith("HANGUL LETTER "):
            by_name.setdefault(name.removeprefix("HANGUL LETTER "), chr(cp))
    table: dict[str, str] = {}
    for cp in [*range(0x1100, 0x1200), *range(0xA960, 0xA980), *range(0xD7B0, 0xD800)]:
        name = unicodedata.name(chr(cp), "")
        for prefix in ("HANGUL CHOSEONG ", "HANGUL JUNGSEONG ", "HANGUL JONGSEONG "):
            if name.startswith(prefix) and name.removeprefix(prefix) in by_name:
                table[chr(cp)] = by_name[name.removeprefix(prefix)]
    return table
