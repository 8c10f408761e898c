"""How long a comment is, the way a reader sees it.

A comment's length is the number of extended grapheme clusters (UAX #29) of its body after NFC
normalisation and trimming, so 👍🏽, a ZWJ family and a decomposed 각 (ᄀ + ᅡ + ᆨ) each count one.
The widget counts the same way with `Intl.Segmenter`.
"""

from __future__ import annotations

import re
import unicodedata

import regex

from ..errors import CommentInvalid, CommentTooLong, CommentTooShort

_GRAPHEME = regex.compile(r"\X")
# Characters that can join a grapheme cluster with a neighbour (UAX #29 break properties). A text
# without any is one cluster per code point (precomposed Hangul syllables included), which is most
# comments, and one search for them is much cheaper than segmenting.
_JOINERS = regex.compile(
    r"[\p{GCB=CR}\p{GCB=Extend}\p{GCB=ZWJ}\p{GCB=Regional_Indicator}\p{GCB=Prepend}"
    r"\p{GCB=SpacingMark}\p{GCB=L}\p{GCB=V}\p{GCB=T}]"
)
# Code points that never join a neighbour, whatever follows: Latin and its marks before the
# combining ones, general punctuation, CJK punctuation and ideographs, precomposed Hangul
# syllables, full-width forms. A text of only these (most comments) is one cluster per code
# point; looking for anything else with `re` is several times faster than `_JOINERS` with
# `regex`'s Unicode properties (10 us on a 130-character comment). A test checks every code
# point of these ranges against `_JOINERS`.
PLAIN_RANGES = (
    "\x00-\x0c\x0e-\u02ff\u2010-\u2027\u3000-\u3029\u4e00-\u9fff\uac00-\ud7a3\uff01-\uff60"
)
_NOT_PLAIN = re.compile(f"[^{PLAIN_RANGES}]")
# C0 and C1 controls, DEL, and lone surrogates; newline, carriage return and tab are allowed.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_body(text: str) -> str:
    """NFC, Unix newlines, surrounding white space trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def grapheme_count(text: str) -> int:
    if text.isascii():
        return len(text) - text.count("\r\n")
    if _NOT_PLAIN.search(text) is None or _JOINERS.search(text) is None:
        return len(text)
    return len(_GRAPHEME.findall(text))


def checked_body(raw: str, *, min_length: int, max_length: int, max_codepoints: int) -> str:
    """The normalised body, or a domain error saying what is wrong with it."""
    forbidden = _FORBIDDEN.search(raw)
    if forbidden:
        raise CommentInvalid(
            "Comments may not contain control characters.",
            field="body",
            position=forbidden.start(),
            codepoint=f"U+{ord(forbidden.group()):04X}",
        )
    body = normalise_body(raw)
    if len(body) > max_codepoints:
        # A handful of characters stacked with thousands of combining marks: short to the eye,
        # but not a comment.
        raise CommentTooLong(
            f"The comment has too many combining marks ({len(body)} code points; "
            f"the most is {max_codepoints}).",
            field="body",
            codepoints=len(body),
            max_codepoints=max_codepoints,
        )
    count = grapheme_count(body)
    if count > max_length:
        raise CommentTooLong(
            f"The comment is {count} characters long; the most is {max_length}.",
            field="body",
            length=count,
            max_length=max_length,
        )
    if count < min_length:
        raise CommentTooShort(
            f"The comment is {count} characters long; the least is {min_length}.",
            field="body",
            length=count,
            min_length=min_length,
        )
    return body
