"""The fallback voice: another text-to-speech engine answers when the service cannot.

A voice profile may name any other TTS entity of Home Assistant as its fallback. This module
alone owns what happens then, for one utterance at a time:

- *When* the fallback speaks: the service failed before any of its audio (an error it reported,
  a refused handshake, an unreachable host, a silent close: at once), or it owes audio and has
  sent none for `FALLBACK_AFTER` seconds (the fallback then starts alongside it and whichever
  speaks first is kept, the other is stopped: never two voices in one answer), or at once while
  the keep-warm pool knows that the service cannot be reached. Once the service has spoken, a
  failure ends the answer as it does without a fallback. A fallback that owes audio (a sentence
  of the text is complete) and sends none for as long as the service may is given up too.
- The caller's text, read once (`TextTap`): the service reads it as it arrives, and until the
  service speaks it is also kept, bounded, so that a fallback gets all of it and then the rest
  as it arrives.
- Asking the fallback, through Home Assistant's own `tts.async_create_stream`, for exactly the
  format this engine promised its caller (WAV at its rate, mono, 16-bit; or mp3): Home Assistant
  converts the fallback's audio, nothing here does.
- Keeping a fallback answer out of Home Assistant's cache of *this* engine. Home Assistant keys a
  result by engine, text, language and options before the engine is asked, keeps it in memory
  and writes it to disk (`tts.speak`). The engine's audio generator raising after the audio would
  make Home Assistant drop it, but a listener that comes once the result is complete (a media
  player fetches the URL after `tts.speak` returns) would then get the error instead of the
  audio. So the answer completes, but its entry leaves the memory cache once the fallback speaks
  (its listeners hold it already) and is renamed to a key no request asks for, whose file is
  removed once written: the next request for the same text asks this engine again.
- The failure streak: one warning in the log when profiles start falling back, one line when the
  service answers again, and the counts for diagnostics (`FallbackStats`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping
import contextlib
from dataclasses import dataclass
import hashlib
import itertools
import os
import re
import secrets
from typing import Any, Final, Literal

from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_TTS_MANAGER, DOMAIN as TTS_DOMAIN
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import language as language_util

from .const import DOMAIN, LOGGER
from .errors import no_audio_error
from .realtime import CHANNELS, SAMPLE_WIDTH, Timeouts, speakable_chunks

# Seconds the service may owe audio without sending any before the fallback starts alongside it.
# A healthy service's first audio comes 0.1-0.3 s after it owes it (warm or cold, README's
# Performance), up to about a second from far away; a fallback's own first audio adds 0.1-0.5 s,
# so a silent service is replaced within about two seconds.
FALLBACK_AFTER: Final = 1.5
# Seconds a fallback may owe audio without sending any before it is given up, as the service is:
# an engine that never answers would otherwise leave the answer waiting for ever.
FALLBACK_FIRST_AUDIO: Final = Timeouts().first_audio
# Text kept for a fallback until the service speaks, in UTF-8 bytes: far more than an answer
# (an hour of speech in Chinese); a longer text is spoken by the service alone, as without one.
MAX_KEPT_TEXT_BYTES: Final = 64 * 1024
# Bytes of a fallback's WAV before its samples at most (Home Assistant reads no further either).
_MAX_WAV_HEADER_BYTES: Final = 4096
# The service speaks once a sentence is complete; it owes audio from then on (or the text's end).
_SENTENCE_END: Final = re.compile(r"[.!?;](?=\s)|[。！？；…\n]")

# What this engine promised its caller: a streaming WAV (mono, 16-bit, at the utterance's rate),
# mp3, or the bare samples of such a WAV (the whole-message path, which writes its own header).
type Promise = Literal["wav", "mp3", "pcm"]


class FallbackStats:
    """The fallback answers of one entry since it was set up, and its current failure streak."""

    def __init__(self) -> None:
        """Start with no fallback answer and no streak."""
        self.answers = 0
        self.last_reason: str | None = None
        self.in_streak = False
        self._warned_unusable = False

    def fell_back(self, reason: str, owner: str, engine: str) -> None:
        """Count a fallback answer; warn when it starts a streak."""
        self.answers += 1
        self.last_reason = reason
        if not self.in_streak:
            self.in_streak = True
            LOGGER.warning(
                "The service did not answer %s (%s): %s speaks instead until it answers again",
                owner,
                reason,
                engine,
            )

    def fallback_unusable(self, engine: str, err: BaseException) -> None:
        """Warn, once per streak, that a fallback could not speak either."""
        if not self._warned_unusable:
            self._warned_unusable = True
            LOGGER.warning("The fallback voice %s could not speak either: %s", engine, err)

    def answered(self) -> None:
        """End a streak: the service spoke."""
        if self.in_streak:
            LOGGER.info("The service answers again; the fallback voices rest")
        self.in_streak = False
        self._warned_unusable = False

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the counts for diagnostics."""
        return {
            "answers": self.answers,
            "last_reason": self.last_reason,
            "in_streak": self.in_streak,
        }


def own_engines(hass: HomeAssistant) -> list[str]:
    """Return this integration's TTS entities: none of them may be a profile's fallback."""
    return [
        entry.entity_id
        for entry in er.async_get(hass).entities.values()
        if entry.platform == DOMAIN and entry.domain == TTS_DOMAIN
    ]


class TextTap:
    """The caller's text, read once by a task of its own, for the service and the fallback.

    Every reader (`follow()`) gets the text from the first piece kept. Until `release()` (the
    service has spoken: no fallback can follow) everything read is kept, up to
    `MAX_KEPT_TEXT_BYTES`; after that, a piece is dropped once every reader has it. A reader
    that stops (a cancelled service) leaves the others and the source alone.
    `owed` is set once the service owes audio: a sentence of the text is complete, or the text.
    """

    def __init__(self, source: AsyncIterable[str]) -> None:
        """Tap `source`; nothing is read before `start()` or the first reader."""
        self._source = source
        self._pieces: list[str] = []
        self._first = 0  # the position in the whole text of `_pieces[0]`
        self._positions: dict[int, int] = {}  # by reader: the position of its next piece
        self._ids = itertools.count()
        self._kept_bytes = 0
        self._keeping = True
        self._done = False
        self._complete = False  # the source ended by itself, not by `close()`
        self._error: Exception | None = None
        self._wake = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None
        self._digest = hashlib.sha1()  # of the whole text, as Home Assistant keys its cache
        self._tail = ""
        self.owed = asyncio.Event()

    @property
    def whole(self) -> bool:
        """Return True while every piece read is still kept: a new reader gets all the text."""
        return self._first == 0

    @property
    def digest(self) -> str | None:
        """Return the SHA-1 of the whole text once it has all been read, else None."""
        return self._digest.hexdigest() if self._complete else None

    def start(self) -> None:
        """Start reading the source (idempotent)."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="qwen_tts_fallback_text")

    def release(self) -> None:
        """No fallback can follow any more: keep a piece only until every reader has it."""
        self._keeping = False
        self._prune()

    def wake(self) -> None:
        """Make every waiting reader look again (the text grew, ended, or a reader must stop)."""
        self._wake.set()
        self._wake = asyncio.Event()

    async def close(self) -> None:
        """Stop reading the source; readers see the text end."""
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.wait((self._reader,))
        self._done = True
        self.wake()

    async def _read(self) -> None:
        try:
            async for piece in self._source:
                if not piece:
                    continue
                encoded = piece.encode("utf-8", "surrogatepass")
                self._digest.update(encoded)
                self._pieces.append(piece)
                if self._keeping:
                    self._kept_bytes += len(encoded)
                    if self._kept_bytes > MAX_KEPT_TEXT_BYTES:
                        self.release()  # too long to keep: the service alone speaks it
                if not self.owed.is_set() and _SENTENCE_END.search(self._tail + piece):
                    self.owed.set()
                self._tail = piece[-1]
                self.wake()
            self._complete = True
        except Exception as err:  # noqa: BLE001 - handed to the readers, as the source's own error
            self._error = err
        finally:
            self._done = True
            self.owed.set()
            self.wake()

    def _prune(self) -> None:
        if self._keeping:
            return
        end = self._first + len(self._pieces)
        low = min(self._positions.values(), default=end)
        del self._pieces[: low - self._first]
        self._first = low

    async def follow(self, stop: asyncio.Event | None = None) -> AsyncGenerator[str]:
        """Yield the text from the first piece kept, waiting for more until the source ends.

        A set `stop` (with `wake()`) ends this reader early, as if the text had ended.
        """
        self.start()
        reader = next(self._ids)
        self._positions[reader] = self._first
        try:
            while stop is None or not stop.is_set():
                position = self._positions[reader]
                if position - self._first < len(self._pieces):
                    piece = self._pieces[position - self._first]
                    self._positions[reader] = position + 1
                    self._prune()
                    yield piece
                elif self._done:
                    if self._error is not None:
                        raise self._error
                    return
                else:
                    await self._wake.wait()
        finally:
            del self._positions[reader]
            self._prune()


async def _first_audio(audio: AsyncIterator[bytes]) -> bytes | None:
    """Return the first non-empty chunk of `audio`, or None when it ends without one."""
    async for chunk in audio:
        if chunk:
            return chunk
    return None


async def _stop(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait until it is done; whatever it raised is dropped."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait((task,))
    if not task.cancelled():
        task.exception()  # retrieved: a loser's failure is no one's business


async def _from_samples(wav: AsyncIterator[bytes], *, header: bool) -> AsyncGenerator[bytes]:
    """Yield a WAV stream from its first samples on, with its header before them or without it.

    A header alone is not speech: a fallback that sends one and then fails has not spoken.
    """
    head: bytes | None = b""
    async for chunk in wav:
        if head is None:
            if chunk:
                yield chunk
            continue
        head += chunk
        if (start := _data_start(head)) is not None and len(head) > start:
            yield head if header else head[start:]
            head = None


def _data_start(head: bytes) -> int | None:
    """Return where the samples of a WAV start; None when more of its header is needed."""
    position = 12
    if len(head) < position or head[8:12] == b"WAVE":
        while len(head) >= position + 8:
            size = int.from_bytes(head[position + 4 : position + 8], "little")
            if head[position : position + 4] == b"data":
                return position + 8
            position += 8 + size + size % 2
        if len(head) <= _MAX_WAV_HEADER_BYTES:
            return None
    raise HomeAssistantError("the fallback did not return a WAV")


@dataclass(slots=True)
class _Racer:
    """One side of the race: its audio, and the task that waits for its first chunk."""

    audio: AsyncGenerator[bytes]
    first: asyncio.Task[bytes | None]

    @classmethod
    def start(cls, audio: AsyncGenerator[bytes]) -> _Racer:
        return cls(audio, asyncio.create_task(_first_audio(audio)))

    async def stop(self) -> None:
        """Stop waiting for it and close its audio (a socket, a stream of Home Assistant's)."""
        await _stop(self.first)
        await self.audio.aclose()


def _format_options(promise: Promise, sample_rate: int) -> dict[str, Any]:
    """Return what to ask of the fallback so that Home Assistant converts it to `promise`."""
    if promise == "mp3":
        return {tts.ATTR_PREFERRED_FORMAT: "mp3"}
    return {
        tts.ATTR_PREFERRED_FORMAT: "wav",
        tts.ATTR_PREFERRED_SAMPLE_RATE: sample_rate,
        tts.ATTR_PREFERRED_SAMPLE_CHANNELS: CHANNELS,
        tts.ATTR_PREFERRED_SAMPLE_BYTES: SAMPLE_WIDTH,
    }


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class UtteranceFallback:
    """The fallback of one utterance: the race, the text kept for it, the cache kept clean.

    Create it in the entity's audio method, while Home Assistant's task that caches the result
    runs; pass the caller's text through `tap()` on its way to the service, and the service's
    audio (with translated errors) through `answer()` on its way to Home Assistant.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        engine: str,
        *,
        owner: str,
        stats: FallbackStats,
        known_down: bool,
        language: str,
        options: Mapping[str, Any],
        clean: bool,
    ) -> None:
        """Prepare the fallback `engine` for an utterance of this integration's entity `owner`."""
        self._hass = hass
        self._engine = engine
        self._owner = owner
        self._stats = stats
        self._known_down = known_down
        self._language = language
        self._options = dict(options)
        self._clean = clean  # the fallback speaks the text cleaned up as the service would
        self._caching_task = asyncio.current_task()
        self._text: TextTap | None = None
        self._cut = asyncio.Event()  # set when the fallback's text must end (the service won)
        self._racers: list[_Racer] = []
        self._service_error: HomeAssistantError | None = None
        self._reason = "service_down" if known_down else "service_late"  # why it fell back
        self._kept_out = False  # the answer is out of Home Assistant's cache of this engine
        self._fallback_by: float | None = None  # when a started fallback owes its first audio

    def tap(self, source: AsyncIterable[str] | str) -> AsyncIterable[str]:
        """Return the text for the service: `source` (or a whole message), kept for a fallback."""
        if isinstance(source, str):
            message = source

            async def whole() -> AsyncGenerator[str]:
                yield message

            source = whole()
        self._text = TextTap(source)
        return self._text.follow()

    async def answer(
        self, own: AsyncGenerator[bytes], promise: Promise, sample_rate: int
    ) -> AsyncGenerator[bytes]:
        """Yield this engine's audio, or the fallback's when the service cannot answer.

        `own` raises translated errors; `promise` and `sample_rate` say what the caller was
        promised. The fallback's failure ends the answer with this engine's translated error.
        """
        text = self._text
        if text is None:
            raise RuntimeError("tap() the caller's text first")
        text.start()
        service = _Racer.start(own)
        self._racers.append(service)
        try:
            winner, first = await self._race(text, service, promise, sample_rate)
            yield first
            if winner is service:
                async for chunk in winner.audio:
                    yield chunk
                return
            try:
                async for chunk in winner.audio:
                    yield chunk
            except Exception as err:  # noqa: BLE001 - whatever another engine raises
                raise self._fallback_failed(err) from None
            self._keep_out_of_cache(text)  # if the text was not complete when it won
        finally:
            self._cut_fallback(text)
            for racer in self._racers:
                await racer.stop()
            await text.close()

    async def _race(
        self, text: TextTap, service: _Racer, promise: Promise, sample_rate: int
    ) -> tuple[_Racer, bytes]:
        """Return the side that speaks first with its first chunk, after stopping the other."""
        loop = asyncio.get_running_loop()
        fallback: _Racer | None = None
        out = False  # the fallback failed or cannot speak this text: the service alone
        deadline = loop.time() if self._known_down else None
        owed = asyncio.create_task(text.owed.wait())
        try:
            while True:
                due = deadline is not None and loop.time() >= deadline
                if fallback is None and not out and (self._service_error is not None or due):
                    fallback = self._start(text, promise, sample_rate)
                    out = fallback is None
                if self._service_error is not None and fallback is None:
                    raise self._service_error
                waiting: set[asyncio.Task[Any]] = {fallback.first} if fallback else set()
                if self._service_error is None:
                    waiting.add(service.first)
                timeout = None
                if fallback is None and not out:
                    if deadline is None:
                        waiting.add(owed)
                    else:
                        timeout = max(0.0, deadline - loop.time())
                elif fallback is not None:
                    timeout = self._fallback_timeout(text, owed, waiting)
                done, _ = await asyncio.wait(
                    waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if owed in done and deadline is None:
                    deadline = loop.time() + FALLBACK_AFTER
                if service.first in done and (chunk := self._service_result(service)) is not None:
                    self._stats.answered()
                    text.release()
                    self._cut_fallback(text)
                    if fallback is not None:
                        await fallback.stop()
                    return service, chunk
                if fallback is not None and fallback.first in done:
                    if (chunk := await self._fallback_result(fallback)) is not None:
                        await service.stop()
                        self._stats.fell_back(self._reason, self._owner, self._engine)
                        self._keep_out_of_cache(text)
                        return fallback, chunk
                    fallback, out = None, True
                elif fallback is not None and self._fallback_silent():
                    await fallback.stop()
                    fallback, out = None, True
        finally:
            await _stop(owed)

    def _fallback_timeout(
        self, text: TextTap, owed: asyncio.Task[Any], waiting: set[asyncio.Task[Any]]
    ) -> float | None:
        """Return how long a started fallback may still owe its first audio (None: not owed)."""
        loop = asyncio.get_running_loop()
        if self._fallback_by is None and text.owed.is_set():
            self._fallback_by = loop.time() + FALLBACK_FIRST_AUDIO
        if self._fallback_by is None:
            waiting.add(owed)
            return None
        return max(0.0, self._fallback_by - loop.time())

    def _fallback_silent(self) -> bool:
        """Return whether the fallback owed audio for too long (then it is given up)."""
        if self._fallback_by is None or asyncio.get_running_loop().time() < self._fallback_by:
            return False
        self._stats.fallback_unusable(self._engine, TimeoutError("no audio in time"))
        return True

    def _service_result(self, service: _Racer) -> bytes | None:
        """Return the service's first chunk; keep why it failed (a mistake of the caller raises)."""
        try:
            chunk = service.first.result()
        except ServiceValidationError:
            raise  # the caller's mistake: no voice can fix it
        except HomeAssistantError as err:
            self._service_error = err
            self._reason = err.translation_key or type(err).__name__
            return None
        if chunk is None:  # pragma: no cover - the entity raises for a session without audio
            self._service_error = no_audio_error()
            self._reason = "no_audio"
        return chunk

    async def _fallback_result(self, fallback: _Racer) -> bytes | None:
        """Return the fallback's first chunk; None (after stopping it) when it failed instead."""
        try:
            chunk = fallback.first.result()
        except Exception as err:  # noqa: BLE001 - whatever another engine raises
            self._stats.fallback_unusable(self._engine, err)
        else:
            if chunk is not None:
                return chunk
            self._stats.fallback_unusable(self._engine, HomeAssistantError("no audio"))
        await fallback.stop()
        return None

    def _cut_fallback(self, text: TextTap) -> None:
        """End the fallback's text: it is not needed (any more)."""
        self._cut.set()
        text.wake()

    def _start(self, text: TextTap, promise: Promise, sample_rate: int) -> _Racer | None:
        """Start the fallback on the whole text; None when it cannot speak this utterance."""
        if not text.whole:
            return None  # the text outgrew what is kept: the service alone speaks it
        registered = er.async_get(self._hass).async_get(self._engine)
        if registered is not None and registered.platform == DOMAIN:
            return None  # this integration's own voices never stand in for each other
        try:
            stream = tts.async_create_stream(
                self._hass,
                self._engine,
                self._fallback_language(),
                _format_options(promise, sample_rate),
            )
        except HomeAssistantError as err:
            self._stats.fallback_unusable(self._engine, err)
            return None
        kept = text.follow(self._cut)
        stream.async_set_message_stream(speakable_chunks(kept) if self._clean else kept)
        audio = stream.async_stream_result()
        if promise != "mp3":
            audio = _from_samples(audio, header=promise == "wav")
        racer = _Racer.start(audio)
        self._racers.append(racer)
        return racer

    def _fallback_language(self) -> str | None:
        """Return the utterance's language as the fallback names it; None for its default."""
        engine = get_engine_instance(self._hass, self._engine)
        supported = list((engine.supported_languages or []) if engine is not None else [])
        if self._language in supported:
            return self._language
        return next(iter(language_util.matches(self._language, supported)), None)

    def _fallback_failed(self, err: BaseException) -> HomeAssistantError:
        """Return how an answer the fallback broke off ends: the service's error, if any."""
        LOGGER.debug("The fallback voice %s failed while speaking: %s", self._engine, err)
        return self._service_error or HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="fallback_failed",
            translation_placeholders={"engine": self._engine},
        )

    def _keep_out_of_cache(self, text: TextTap) -> None:
        """Take this answer out of Home Assistant's cache of this engine, memory and disk.

        Its entry leaves the memory cache (its listeners hold it already) and is renamed to a key
        no request asks for, so that the file Home Assistant writes when the answer ends is never
        read; that file is removed once the task that writes it is done. The key is Home
        Assistant's own (`KEY_PATTERN`, `_hash_options`, unchanged from 2026.3 to 2026.11); a
        release without them leaves the entry cached, which only costs a replay.
        """
        manager = self._hass.data.get(DATA_TTS_MANAGER)
        pattern = getattr(tts, "KEY_PATTERN", None)
        hash_options = getattr(tts, "_hash_options", None)
        if self._kept_out or manager is None or (digest := text.digest) is None:
            return
        self._kept_out = True
        try:
            if not isinstance(pattern, str) or not callable(hash_options):
                raise TypeError("no KEY_PATTERN or _hash_options")  # noqa: TRY301
            options_key = str(hash_options(self._options)) if self._options else "-"
            language = self._language.replace("_", "-")
            key = pattern.format(digest, language, options_key, self._owner).lower()
            if (cache := manager.mem_cache.pop(key, None)) is None:
                return  # a streamed answer: Home Assistant keys it by a random id, memory only
            cache.cache_key = unused = secrets.token_hex(len(digest) // 2) + key[len(digest) :]
        except AttributeError, TypeError:  # pragma: no cover - a release that changed them
            LOGGER.debug("Home Assistant's TTS cache is not as known: the answer stays cached")
            return
        if (task := self._caching_task) is not None:
            task.add_done_callback(lambda _: self._remove_file(unused))

    def _remove_file(self, key: str) -> None:
        """Remove the file Home Assistant wrote under `key`, and its entry."""
        manager = self._hass.data.get(DATA_TTS_MANAGER)
        if manager is not None and (filename := manager.file_cache.pop(key, None)) is not None:
            self._hass.async_add_executor_job(_remove, os.path.join(manager.cache_dir, filename))
