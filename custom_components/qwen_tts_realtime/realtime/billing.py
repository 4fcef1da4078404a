"""The vendor's billing rule: what one piece of text costs in characters.

The one statement of the rule, shared by the integration (when a response reports no usage) and
the emulator (which reports usage by it).
"""

from __future__ import annotations


def is_han(char: str) -> bool:
    """Return whether `char` is a Chinese character (hanzi, kanji or hanja), billed as 2."""
    cp = ord(char)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3134F
    )


def billed_characters(text: str) -> int:
    """Return the vendor's count: Chinese characters 2, everything else 1.

    Everything else includes kana, hangul, letters, digits, punctuation and spaces.
    """
    return sum(2 if is_han(c) else 1 for c in text)
