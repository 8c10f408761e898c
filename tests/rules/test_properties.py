"""Property tests: normalisation is stable and evasions of a listed word still match."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.rules import RuleSet, load_ruleset, normalize

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
