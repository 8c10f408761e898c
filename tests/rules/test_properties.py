"""Property tests: normalisation is stable and evasions of a listed word still match."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.rules import RuleSet, detectors, load_ruleset, normalize
from service.rules.normalize import base, readings, substitute
from service.rules.wordlists import Entry, Exceptions, TermMatcher

RULES = Path(__file__).resolve().parents[2] / "config" / "rules.toml"
RS: RuleSet = load_ruleset(RULES)

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
LOOKALIKES = {"a": "а", "e": "е", "o": "о", "c": "с", "i": "і", "s": "ѕ", "p": "р"}


@given(st.text())
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(st.text(alphabet=st.characters(codec=None)))
@settings(max_examples=300)
def test_any_text_never_raises(text: str) -> None:
    v = RS.evaluate(text)
    assert v.action in ("approve", "flag", "hold", "reject")
    for hit in v.hits:
        assert hit.span is None or 0 <= hit.span[0] <= hit.span[1] <= len(text)


def test_lone_surrogates_and_many_combining_marks() -> None:
    assert RS.evaluate("\ud800\udfff시발\udc00").action == "reject"
    assert RS.evaluate("a" + "\u0301" * 10_000).action in ("approve", "flag")
    assert RS.evaluate("\u0301" * 10_000 + "shit").action != "approve"


@st.composite
def disguised(draw: st.DrawFn, word: str) -> str:
    out = []
    for i, ch in enumerate(word):
        if draw(st.booleans()):
            ch = ch.upper()
        if draw(st.booleans()) and ch.lower() in LOOKALIKES:
            ch = LOOKALIKES[ch.lower()]
        if draw(st.booleans()) and "!" <= ch <= "~":
            ch = chr(ord(ch) + 0xFEE0)  # full width
        out.append(ch)
        if i < len(word) - 1:
            out.append(draw(st.sampled_from(["", "", *ZERO_WIDTH])))
    return "".join(out)


@pytest.mark.parametrize("word", ["shit", "asshole", "fuck"])
@given(data=st.data())
def test_disguised_english_words_still_match(word: str, data: st.DataObject) -> None:
    body = "well " + data.draw(disguised(word)) + " then"
    assert RS.evaluate(body).action != "approve", repr(body)


@pytest.mark.parametrize("word", ["씨발", "병신", "개새끼"])
@given(
    sep=st.sampled_from(["", " ", ".", "1", "\u200b", "~", " . "]),
    tail=st.sampled_from(["", "아", "들", "를"]),
)
def test_separated_korean_words_still_match(word: str, sep: str, tail: str) -> None:
    body = "너 " + sep.join(word) + tail
    assert RS.evaluate(body).action == "reject", repr(body)


@pytest.mark.parametrize("word", ["느금마", "좆같", "병신"])
@given(sep=st.sampled_from(["", " ", ".", "1", "\u200b", "~"]))
def test_separated_new_korean_stems_still_match(word: str, sep: str) -> None:
    body = "너 " + sep.join(word) + "네"
    assert RS.evaluate(body).action == "reject", repr(body)


# The detectors' cheap pre-checks must never change an answer: each is compared with the
# plain regex it stands in front of, on text made of the characters that matter to it.

RUNS = st.text(alphabet="ab ㅋ.", max_size=120)


@given(RUNS, st.integers(2, 40))
def test_char_run_precheck_agrees_with_the_regex(text: str, max_run: int) -> None:
    pattern = detectors.char_run_pattern(max_run)
    assert (detectors.char_run(pattern, text, max_run) is None) == (pattern.search(text) is None)


@given(st.lists(st.sampled_from(["a", "b", "c", "가"]), max_size=30), st.integers(2, 8))
def test_repeated_word_precheck_agrees_with_counting(words: list[str], n: int) -> None:
    text = " ".join(words)
    counts = Counter(words)
    expected = bool(words) and len(words) > n and counts.most_common(1)[0][1] > n
    assert (detectors.repeated_word(text, n) is not None) == expected


@given(st.text(alphabet="a가1 _!½Ⅷ\u0301", max_size=8), st.integers(1, 4))
def test_min_letters_precheck_agrees_with_the_regex(text: str, n: int) -> None:
    pattern = detectors.min_letters_pattern(n)
    assert detectors.has_min_letters(pattern, text, n) == (pattern.match(text) is not None)


@given(st.text(alphabet="aAbZ 가Ｑé", max_size=40), st.integers(1, 12))
def test_shouting_agrees_with_counting_capitals(text: str, min_letters: int) -> None:
    upper = len(re.findall("[A-Z]", text))
    letters = len(re.findall("[A-Za-z]", text))
    expected = upper > 0 and letters >= min_letters and upper / letters > 0.7
    assert detectors.shouting(text, min_letters, 0.7) == expected


LINKISH = st.lists(
    st.sampled_from(
        [
            *"ab.:/ w@()[]-0",
            *("com", "dot", "닷", "점", "컴", "넷", "www", "kr", "http", "co", "me", "net"),
            *("한국", "top", "come", "the", "io", "x", "ly", "e"),
        ]
    ),
    max_size=20,
).map("".join)


@given(LINKISH)
def test_link_precheck_never_hides_a_link(text: str) -> None:
    b = base(text)
    found = detectors.find_links(b)
    if detectors._LINK_HINT.search(b.text) is None:
        assert found == []
        return
    r = b
    if detectors._LINK_OBFUSCATED.search(b.text) is not None:
        r = substitute(b, detectors._LINK_OBFUSCATED, lambda m: ".", "links")
    if detectors._URL.search(r.text) or detectors._DOMAIN.search(r.text):
        assert found, repr(text)


NUMBERISH = st.lists(
    st.sampled_from([*"0123456789 -.+@", "공", "일", "이", "영", "오", "at"]), max_size=30
).map("".join)


@given(NUMBERISH)
def test_number_precheck_never_hides_a_number(text: str) -> None:
    b = base(text)
    kinds = frozenset(detectors.PII_KINDS)
    found = {kind for _, _, kind in detectors.find_personal_info(b, kinds)}
    digits = re.sub(r"(?<=\d)[\s.\-·_/()]+(?=\d)", "", b.text)
    for kind, pattern in (
        ("phone_kr", detectors._PHONE_KR),
        ("phone_kr", detectors._PHONE_LANDLINE),
        ("phone_intl", detectors._PHONE_INTL),
        ("rrn", detectors._RRN),
    ):
        if pattern.search(digits):
            assert kind in found, repr(text)


def _exact_base(text: str) -> str:
    """base() without its fast path: every character through the skeleton table."""
    import importlib

    n = importlib.import_module("service.rules.normalize")  # the package re-exports a function
    reading = n._slow_base(text)
    if n._FIXUP.search(reading.text) is not None:
        if n._NEEDS_REMAP.search(reading.text) is not None:
            reading.text = reading.text.translate(n._REMAP)
        reading = n.substitute(reading, n._JAMO_I_LOOKALIKE, lambda m: "ㅣ", "base")
        reading = n.substitute(reading, n._JAMO_SYLLABLE, n._compose, "base")
    return reading.text


@given(st.text(alphabet="aLlI1|!ÀÉ²ß ㅅㅣ발ㅂㅏㄹ가Ａ\u200bк", max_size=20))
def test_fast_base_agrees_with_the_exact_path(text: str) -> None:
    assert base(text).text == _exact_base(text)


def _naive_exception(pairs: tuple[tuple[str, str], ...], ctx: str, a: int, b: int) -> bool:
    return any(
        a - len(bf) >= 0 and ctx.startswith(bf, a - len(bf)) and ctx.startswith(af, b)
        for bf, af in pairs
    )


AFFIX = st.text(alphabet="점역동 _a", max_size=3)


@given(
    st.lists(st.tuples(AFFIX, AFFIX), max_size=6),
    st.text(alphabet="점역동 _a시발", max_size=12),
    st.integers(0, 12),
    st.integers(0, 12),
)
def test_grouped_exceptions_agree_with_comparing_each_pattern(
    pairs: list[tuple[str, str]], ctx: str, a: int, length: int
) -> None:
    a = min(a, len(ctx))
    b = min(a + length, len(ctx))
    assert Exceptions(tuple(pairs)).cover(ctx, a, b) == _naive_exception(tuple(pairs), ctx, a, b)


MATCHER = TermMatcher(
    [[Entry(t, 3, "", ()) for t in ("시발", "개새끼", "ab", "b", "fuck")]], innocent=[]
)


@given(st.text(alphabet="시발개새끼ab f.u1c k\n\u200b", max_size=30))
def test_one_joined_pass_finds_what_each_reading_finds_alone(text: str) -> None:
    """Cutting one automaton pass over all readings into per-reading matches loses nothing:
    every term accepted in a reading scanned alone is found in the same place."""
    rds = readings(text)
    joined = {(h.term.entry, h.reading.name, h.start, h.end) for h in MATCHER.find(rds)}
    for r in rds:
        for h in MATCHER.find([r]):
            if r.name == "squeezed" and r.src is not None:
                # the squeezed reading reports only what its source did not already find
                if any(x.reading is r.src and x.term == h.term for x in MATCHER.find([r.src])):
                    continue
            assert (h.term.entry, r.name, h.start, h.end) in joined


def test_plain_characters_need_no_work_on_their_own() -> None:
    """Every character the quick scan in base() lets through is one the exact scan would
    let through too, so only the jamo pairs both look for remain."""
    import importlib

    n = importlib.import_module("service.rules.normalize")
    plain = [*"\t\n\r", *map(chr, range(0x20, 0x7F)), *map(chr, range(0xAC00, 0xD7A4))]
    plain += [chr(c) for c in range(0x3131, 0x3164)]
    assert all(n._MAY_NEED_WORK.match(c) is None for c in plain)
    assert [c for c in plain if n._NEEDS_WORK.match(c) is not None] == []


@given(st.text(alphabet="aI1l|! \tㅅㅣㅂㅏㄹ가힣ㄱㅎ?\u3164\u200b人Ａ", max_size=16))
def test_quick_scan_never_skips_work_the_exact_scan_finds(text: str) -> None:
    import importlib

    n = importlib.import_module("service.rules.normalize")
    if n._MAY_NEED_WORK.search(text) is None:
        assert n._NEEDS_WORK.search(text) is None


INNOCENT_MATCHER = TermMatcher(
    [[Entry(t, 3, "", ()) for t in ("시발", "보지", "ass", "점", "발매", "fuck")]],
    innocent=["시발점", "동시발매", "보지 마", "class", "pass"],
)


@given(st.text(alphabet="시발점동매보지 마cl aspfuk.", max_size=24))
def test_innocent_prefilter_drops_nothing(text: str) -> None:
    """Skipping the innocent-word pass for terms whose letters no innocent word has gives
    the same matches as running it for every term."""
    rds = readings(text)
    fast = [(h.term.entry, h.reading.name, h.start, h.end) for h in INNOCENT_MATCHER.find(rds)]
    saved = INNOCENT_MATCHER._may_be_innocent
    INNOCENT_MATCHER._may_be_innocent = [True] * len(saved)
    try:
        slow = [(h.term.entry, h.reading.name, h.start, h.end) for h in INNOCENT_MATCHER.find(rds)]
    finally:
        INNOCENT_MATCHER._may_be_innocent = saved
    assert fast == slow


def test_innocent_prefilter_marks_only_terms_an_innocent_word_could_hold() -> None:
    flags = dict(
        zip(
            ["시발", "보지", "ass", "점", "발매", "fuck"],
            INNOCENT_MATCHER._may_be_innocent,
            strict=True,
        )
    )
    assert flags == {
        "시발": True,
        "보지": True,
        "ass": True,
        "점": True,
        "발매": True,
        "fuck": False,
    }


@given(
    st.lists(
        st.one_of(
            st.sampled_from(["tlqkf", "The", "rkq", "dkssud", "QKFH", "xxx", "gksrmf", "wpqkf"]),
            st.text(alphabet="rRsSeEfFaAqQtTdDwWcCzZxXvVgGyYuUiIoOpPhHjJkKlLbBnNmM", max_size=8),
            st.text(alphabet=" .,1가나ÀéДz_-'", max_size=4),
        ),
        max_size=12,
    ).map("".join)
)
@settings(max_examples=300)
def test_keyboard_words_are_found_as_the_candidate_pattern_defines_them(text: str) -> None:
    """The keyboard reading's quick scan (runs of Latin letters, first two keys checked) finds
    exactly the words a candidate pattern describes (a consonant key, then a vowel key, at the
    start of a run of letters, the whole run), at the same places."""
    from service.rules.normalize import _KB_C, _KB_V, _typed_word, keyboard_reading

    candidate = re.compile(rf"(?<![A-Za-z])[{_KB_C}][{_KB_V}][A-Za-z]*")

    pieces: list[str] = []
    starts: list[int] = []
    for m in candidate.finditer(text):
        syllables = _typed_word(m.group())
        if syllables is not None:
            pieces += [syl for syl, _, _ in syllables] + [" "]
            starts += [m.start() + a for _, a, _ in syllables] + [m.end()]
    found = keyboard_reading(text)
    if not pieces:
        assert found is None
    else:
        assert found is not None and found.text == "".join(pieces)
        assert found.maps() is not None and found.maps()[0] == starts
