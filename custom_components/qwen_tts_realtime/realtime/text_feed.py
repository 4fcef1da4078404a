"""Text on its way to the service: read once from the caller, replayable for a retry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
import re
from typing import Final

MAX_APPEND_CHARS: Final = 1000
# Control characters that separate words or lines become a space or a newline, so that words do
# not run together.
_SEPARATORS: Final = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x85": "\n", **dict.fromkeys("\x1c\x1d\x1e\x1f", " ")}
)
# The other C0/C1 control characters (tab and newline stay), and lone surrogates: the service
# cannot speak them and some of them break its JSON parser.
_UNSPEAKABLE: Final = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop characters that cannot be spoken; line and word separators become whitespace."""
    return _UNSPEAKABLE.sub("", text.translate(_SEPARATORS))


def split_for_append(text: str) -> list[str]:
    """Split text into pieces no longer than `MAX_APPEND_CHARS`, so every frame stays bounded."""
    return [text[i : i + MAX_APPEND_CHARS] for i in range(0, len(text), MAX_APPEND_CHARS)]


class TextFeed:
    """Collects text from an async iterable; any number of readers can follow it from the start."""

    def __init__(self, chunks: AsyncIterable[str]) -> None:
        self._chunks = chunks
        self._items: list[str] = []
        self._done = False
        self._changed = asyncio.Event()
        self.error: BaseException | None = None

    @property
    def text(self) -> str:
        """Return everything read so far."""
        return "".join(self._items)

    async def run(self) -> None:
        """Read the source to its end; meant to run as its own task."""
        try:
            async for chunk in self._chunks:
                if piece := clean_text(chunk):
                    self._items.extend(split_for_append(piece))
                    self._changed.set()
        except Exception as err:  # noqa: BLE001 - handed to the readers
            self.error = err
        finally:
            self._done = True
            self._changed.set()

    async def follow(self) -> AsyncIterator[str]:
        """Yield every piece from the first one, waiting for more until the source ends."""
        index = 0
        while True:
            while index < len(self._items):
                yield self._items[index]
                index += 1
            if self._done:
                if self.error is not None:
                    raise self.error
                return
            self._changed.clear()
            await self._changed.wait()
