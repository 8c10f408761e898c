"""Comment length is counted in grapheme clusters; the fast paths must agree with full UAX #29
segmentation on every text."""

from __future__ import annotations

import unicodedata

import regex
from hypothesis import given
from hypothesis import strategies as st

from service.comments.length import grapheme_count

JAMO = st.sampled_from(
    ["\u1100", "\u1161", "\u11a8", "각", "\u0301", "\u200d", "👍", "🏽", "🇰", "🇷", "\r", "\n"]
)


def segmented(text: str) -> int:
    return len(regex.findall(r"\X", text))


@given(st.text(max_size=300))
def test_fast_paths_agree_with_segmentation(text):
    assert grapheme_count(text) == segmented(text)


@given(st.lists(st.one_of(JAMO, st.characters()), max_size=60).map("".join))
def test_joining_characters_agree_with_segmentation(text):
    assert grapheme_count(text) == segmented(text)
    nfc = unicodedata.normalize("NFC", text)
    assert grapheme_count(nfc) == segmented(nfc)


def test_examples_a_reader_would_count():
    assert grapheme_count("👍🏽") == 1
    assert grapheme_count("👨‍👩‍👧‍👦") == 1
    assert grapheme_count("🇰🇷🇯🇵") == 2
    assert grapheme_count(unicodedata.normalize("NFD", "각")) == 1
    assert grapheme_count("한국어 댓글") == 6
    assert grapheme_count("line\r\nbreak") == 10


ALL_CODE_POINTS = "".join(map(chr, range(0x110000)))  # lone surrogates included


def test_the_plain_ranges_hold_no_joining_character():
    from service.comments.length import _JOINERS, PLAIN_RANGES

    plain = regex.compile(f"[{PLAIN_RANGES}]")
    joining = {m.start() for m in _JOINERS.finditer(ALL_CODE_POINTS)}
    assert joining and not any(plain.match(chr(cp)) for cp in joining)


def test_forbidden_characters_are_the_controls_and_lone_surrogates():
    """Every code point: C0 and C1 controls but tab, newline and carriage return, DEL, and
    the surrogates (category Cs) are refused; nothing else is."""
    from service.comments.length import _FORBIDDEN

    found = [m.start() for m in _FORBIDDEN.finditer(ALL_CODE_POINTS)]
    expected = [
        cp
        for cp in range(0x110000)
        if (cp < 0x20 and chr(cp) not in "\t\n\r")
        or 0x7F <= cp <= 0x9F
        or unicodedata.category(chr(cp)) == "Cs"
    ]
    assert found == expected
