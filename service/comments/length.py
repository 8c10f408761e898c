"""How long a comment is, the way a reader sees it.

A comment's length is the number of extended grapheme clusters (UAX #29) of its body after NFC
normalisation and trimming, so 👍🏽, a ZWJ family and a decomposed 각 (ᄀ + ᅡ + ᆨ) each count one.
The widget counts the same way with `Intl.Segmenter`.
"""

from __future__ import annotations

import unicodedata

import regex

from ..errors import CommentInvalid, CommentTooLong, CommentTooShort

_GRAPHEME = regex.compile(r"\X")
# C0 and C1 controls, DEL, and lone surrogates; newline, carriage return and tab are allowed.
_FORBIDDEN = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\p{Cs}]")


def normalise_body(text: str) -> str:
    """NFC, Unix newlines, surrounding white space trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def grapheme_count(text: str) -> int:
    if text.isascii():
        return len(text) - text.count("\r\n")
    return sum(1 for _ in _GRAPHEME.finditer(text))


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
