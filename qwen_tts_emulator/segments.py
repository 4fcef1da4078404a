"""Where the emulated service ends a sentence: each sentence is a response in server_commit mode."""

from __future__ import annotations

_ASCII_ENDS = frozenset(".!?;")
CJK_ENDS = frozenset("。！？；…\n")
_CLOSERS = frozenset("\"')]}”’）」』》】")


def _cut(text: str, *, final: bool, resume: int = 0) -> tuple[list[str], str, int]:
    """Split `text` into complete sentences and the unfinished rest.

    An ASCII terminator ends a sentence unless a lowercase ASCII letter or a digit follows it
    ("3.14" and "example.com" stay whole, "one.Two" splits); at the very end of an unfinished
    buffer it waits for the next character. CJK terminators and newlines end a sentence at
    once. Closing quotes and brackets stay with their sentence.

    Scanning starts at `resume` (nothing before it can end a sentence any more); the third item
    returned is where to resume in the returned rest, so that streaming stays linear.
    """
    segments: list[str] = []
    start = 0
    i = resume
    n = len(text)
    while i < n:
        char = text[i]
        if char not in _ASCII_ENDS and char not in CJK_ENDS:
            i += 1
            continue
        j = i
        cjk = False
        while j < n and (text[j] in _ASCII_ENDS or text[j] in CJK_ENDS or text[j] in _CLOSERS):
            cjk = cjk or text[j] in CJK_ENDS
            j += 1
        if j == n and not final and not cjk:
            break
        follower = text[j] if j < n else " "
        if cjk or not (follower.isascii() and (follower.islower() or follower.isdigit())):
            piece = text[start:j].strip()
            if piece:
                segments.append(piece)
            start = j
        i = j
    rest = text[start:]
    if final:
        if rest.strip():
            segments.append(rest.strip())
        return segments, "", 0
    if not rest.strip():
        return segments, "", 0
    return segments, rest, i - start


def split_segments(text: str) -> list[str]:
    """Split `text` at sentence ends the way the emulated server does in server_commit mode."""
    return _cut(text, final=True)[0]


def take_complete(buffer: str, resume: int = 0) -> tuple[list[str], str, int]:
    """Return the complete sentences of a streaming buffer, the rest, and where to resume."""
    return _cut(buffer, final=False, resume=resume)
