"""Text on its way to the service: cleaned, read once from the caller, replayable for a retry.

And what it costs: the vendor's billing rule, stated once for the integration (when a response
reports no usage) and the emulator (which reports usage by it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
import re
from typing import Final, TypeGuard

MAX_APPEND_CHARS: Final = 1000
_FORGET_EVERY: Final = 64  # pieces sent before they are dropped, once no retry can follow
# Control characters that separate words or lines become a space or a newline, so that words do
# not run together.
_SEPARATORS: Final = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", **dict.fromkeys("\x1c\x1d\x1e\x1f", " ")}
)
# Lone surrogates: a Python string may hold them, UTF-8 (so the JSON sent to the service) cannot.
_LONE_SURROGATES: Final = r"\ud800-\udfff"
_UNSENDABLE: Final = re.compile(f"[{_LONE_SURROGATES}]")
# The other C0/C1 control characters (tab and newline stay), and lone surrogates: the service
# cannot speak them and some of them break its JSON parser.
_UNSPEAKABLE: Final = re.compile(rf"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f{_LONE_SURROGATES}]")


def is_sendable(value: object) -> TypeGuard[str]:
    """Return True for a string JSON can carry to the service (no lone surrogates)."""
    return isinstance(value, str) and _UNSENDABLE.search(value) is None


def clean_text(text: str) -> str:
    """Drop characters that cannot be spoken; line and word separators become whitespace."""
    return _UNSPEAKABLE.sub("", text.translate(_SEPARATORS))


def split_for_append(text: str) -> list[str]:
    """Split text into pieces no longer than `MAX_APPEND_CHARS`, so every frame stays bounded."""
    return [text[i : i + MAX_APPEND_CHARS] for i in range(0, len(text), MAX_APPEND_CHARS)]


class TextFeed:
    """Collects text from an async iterable, replayable from the start for a retry.

    Once `release()` says no retry can follow (audio has come back), pieces already sent are
    forgotten, so that a long stream holds only what is still to be sent.
    """

    def __init__(self, chunks: AsyncIterable[str]) -> None:
        self._chunks = chunks
        self._items: list[str] = []
        self._first = 0  # the position in the whole text of `_items[0]`
        self._sent = 0  # the position of the current reader
        self._replayable = True
        self._done = False
        self._changed = asyncio.Event()
        self.has_speech = False  # whether any piece holds more than whitespace
        self.error: BaseException | None = None

    async def run(self) -> None:
        """Read the source to its end; meant to run as its own task."""
        try:
            async for chunk in self._chunks:
                if piece := clean_text(chunk):
                    self._items.extend(split_for_append(piece))
                    self.has_speech = self.has_speech or not piece.isspace()
                    self._changed.set()
        except Exception as err:  # noqa: BLE001 - handed to the readers
            self.error = err
        finally:
            self._done = True
            self._changed.set()

    def release(self) -> None:
        """No replay will be asked for any more: forget pieces once they are sent."""
        self._replayable = False
        self._forget_sent()

    def _forget_sent(self) -> None:
        del self._items[: self._sent - self._first]
        self._first = self._sent

    async def follow(self) -> AsyncIterator[str]:
        """Yield every piece from the first one, waiting for more until the source ends.

        After `release()` only one reader may follow, and a new one would start where it is.
        """
        self._sent = self._first
        while True:
            while self._sent - self._first < len(self._items):
                piece = self._items[self._sent - self._first]
                self._sent += 1
                if not self._replayable and self._sent - self._first >= _FORGET_EVERY:
                    self._forget_sent()
                yield piece
            if self._done:
                if self.error is not None:
                    raise self.error
                return
            self._changed.clear()
            await self._changed.wait()


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
