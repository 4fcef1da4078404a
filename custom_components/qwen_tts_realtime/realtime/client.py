"""The realtime client: one WebSocket per utterance, audio as an async iterator of PCM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable
import contextlib
from dataclasses import dataclass
import logging
from typing import Any, Final

import aiohttp

from .catalog import DEFAULT_MODEL
from .connection import Connection, UsageCallback
from .endpoints import normalize_endpoint, realtime_url, request_headers
from .errors import (
    ConnectError,
    ConnectionClosedError,
    EmptyTextError,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
)
from .session_config import Mode, SessionConfig
from .text import TextFeed, clean_text
from .timing import SPARE_IDLE_TIMEOUT, AudioMeter, KeepAlive, Timeouts
from .warm import SparePool

_LOGGER = logging.getLogger(__name__)
RETRY_DELAY: Final = 0.25


def _is_retryable(err: RealtimeError) -> bool:
    """Only failures to reach the service are retried; what it said about the request is not."""
    if isinstance(err, ResponseTimeoutError):
        return err.stage is TimeoutStage.CONNECT
    if isinstance(err, ConnectError):
        return err.status is None or err.status >= 500
    return isinstance(err, ConnectionClosedError)


@dataclass(slots=True)
class _Attempt:
    """How one try of an utterance went: whether it ran on a spare, whether audio came back."""

    use_spare: bool
    from_spare: bool = False
    produced: bool = False


class RealtimeClient:
    """Talks to one endpoint with one API key. Safe to share between concurrent utterances."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: str,
        *,
        timeouts: Timeouts | None = None,
        keep_alive: KeepAlive | None = None,
    ) -> None:
        self._session = session
        self._endpoint = normalize_endpoint(endpoint)
        self._headers = request_headers(api_key, self._endpoint)
        self._secret = api_key  # cut out of what the service sends (see `Connection`)
        self.timeouts = timeouts or Timeouts()
        self.skipped_frames = 0  # undecodable frames skipped, over the client's life
        self.keep_alive = keep_alive or KeepAlive()
        self._spares = SparePool(self._connect, self.keep_alive)

    @property
    def endpoint(self) -> str:
        """Return the normalized endpoint URL (never holds the key)."""
        return self._endpoint

    def keep_warm(
        self, models: Iterable[str], idle_timeout: float | None = SPARE_IDLE_TIMEOUT
    ) -> None:
        """Keep a spare, already connected socket for each of `models`; open them now.

        Call from the event loop. The next utterance of such a model takes the spare and skips
        the handshake; a replacement is opened as it is taken. A spare unused for `idle_timeout`
        seconds is closed and not replaced until the next utterance or `ensure_spare()`;
        `idle_timeout` None keeps spares open for ever (see `KeepAlive`). `close()` ends it all.
        """
        models = list(models)
        self._spares.configure(models, idle_timeout)
        for model in models:
            self._spares.ensure(model)

    def ensure_spare(self, model: str) -> None:
        """Open a spare of `model` unless one is open or opening (a model kept warm only)."""
        self._spares.ensure(model)

    def known_down(self, model: str) -> bool:
        """Return True while the keep-warm pool's spares of `model` fail to connect or stay.

        Only the pool knows this: it goes on opening spares whatever utterances do, and any
        handshake that works ends the streak. Without keep-warm nothing is known.
        """
        return self._spares.known_down(model)

    def spares_state(self) -> dict[str, dict[str, Any]]:
        """Return, per model kept warm, its spare and how kept-open spares have fared."""
        return self._spares.state()

    async def close(self) -> None:
        """Close every spare socket and wait for every background task of the client."""
        await self._spares.close()

    async def _connect(self, model: str) -> Connection:
        url = str(realtime_url(self._endpoint, model))
        return await Connection.open(
            self._session, url, self._headers, self.timeouts, secret=self._secret
        )

    async def check(self, model: str = DEFAULT_MODEL) -> None:
        """Prove that the endpoint answers and accepts the key, without synthesizing anything.

        For a model kept warm the socket of the check is its spare: one handshake, not two.
        """
        if self._spares.keeps(model):
            self._spares.ensure(model)
            if await self._spares.ready(model):
                return
        conn = await self._connect(model)
        self._spares.service_answered(model)
        await conn.close()

    def synthesize(
        self, config: SessionConfig, text: str, *, on_usage: UsageCallback | None = None
    ) -> AsyncGenerator[bytes]:
        """Return the PCM of a whole message, sent in `commit` mode, as an async generator.

        Options and text are checked now (`InvalidOptionError`, `EmptyTextError`), before any
        socket opens. The whole session must end within `Timeouts.synthesize`. `on_usage` is
        called with `usage.characters` (or None) of each completed response.
        """
        config = config.with_mode(Mode.COMMIT)
        session = _session_settings(config)
        if not clean_text(text).strip():
            raise EmptyTextError("nothing to speak")

        async def one_chunk() -> AsyncIterator[str]:
            yield text

        deadline = asyncio.get_running_loop().time() + self.timeouts.synthesize
        return self._utterance(config, session, one_chunk(), on_usage, deadline)

    def stream(
        self,
        config: SessionConfig,
        text_chunks: AsyncIterable[str],
        *,
        on_usage: UsageCallback | None = None,
    ) -> AsyncGenerator[bytes]:
        """Return PCM while `text_chunks` is still producing text (`server_commit` mode).

        Options are checked now; every chunk goes on the wire as soon as it arrives.
        """
        config = config.with_mode(Mode.SERVER_COMMIT)
        return self._utterance(config, _session_settings(config), text_chunks, on_usage, None)

    async def _utterance(
        self,
        config: SessionConfig,
        session: dict[str, object],
        text_chunks: AsyncIterable[str],
        on_usage: UsageCallback | None,
        deadline: float | None,
    ) -> AsyncGenerator[bytes]:
        """Run one session, on a spare socket if there is one.

        A failure to reach the service before any audio is retried once; a spare that turns out
        dead falls back to a fresh connection without using that retry. Audio is never repeated:
        nothing is retried once some has been yielded. While it runs, the model's spare is not
        idle: its idle clock starts when the utterance ends.
        """
        feed = TextFeed(text_chunks)
        reader = asyncio.create_task(feed.run(), name="qwen_tts_text_feed")
        self._spares.answer_started(config.model.name)
        try:
            retried = False
            attempt = _Attempt(use_spare=True)
            while True:
                try:
                    async with contextlib.aclosing(
                        self._session_audio(
                            config, session, feed, attempt, on_usage=on_usage, deadline=deadline
                        )
                    ) as audio:
                        async for pcm in audio:
                            if not attempt.produced:
                                attempt.produced = True
                                feed.release()  # no retry after audio: no replay either
                            yield pcm
                except RealtimeError as err:
                    if attempt.produced or not _is_retryable(err):
                        raise
                    if attempt.from_spare:
                        _LOGGER.debug("Spare failed with %s; connecting afresh", type(err).__name__)
                    elif retried:
                        raise
                    else:
                        retried = True
                        _LOGGER.debug("Retrying after %s before any audio", type(err).__name__)
                        await asyncio.sleep(RETRY_DELAY)
                    attempt = _Attempt(use_spare=False)
                else:
                    return
        finally:
            self._spares.answer_ended(config.model.name)
            reader.cancel()
            await asyncio.wait((reader,))

    async def _session_audio(
        self,
        config: SessionConfig,
        session: dict[str, object],
        feed: TextFeed,
        attempt: _Attempt,
        *,
        on_usage: UsageCallback | None,
        deadline: float | None,
    ) -> AsyncGenerator[bytes]:
        model = config.model.name
        conn = await self._spares.claim(model) if attempt.use_spare else None
        attempt.from_spare = conn is not None
        if conn is None:
            conn = await self._connect(model)
            self._spares.service_answered(model)
        meter = AudioMeter(config.response_format, config.sample_rate)
        if deadline is not None:
            conn.end_by(deadline)
        try:
            sender = asyncio.create_task(
                _send_input(conn, config.mode, session, feed, meter), name="qwen_tts_sender"
            )
            try:
                audio = conn.audio(config.response_format, on_usage=on_usage)
                async with contextlib.aclosing(audio):
                    async for pcm in audio:
                        yield pcm
            finally:
                sender.cancel()
                await asyncio.wait((sender,))
        finally:
            self.skipped_frames += conn.bad_frames
            await conn.close()


def _session_settings(config: SessionConfig) -> dict[str, object]:
    """Return the `session` of `session.update`; raise `InvalidOptionError` for a bad option."""
    config.validate()
    return config.to_session()


async def _send_input(
    conn: Connection, mode: Mode, session: dict[str, Any], feed: TextFeed, meter: AudioMeter
) -> None:
    """Send the settings, every piece of text as it arrives, then the end of input.

    Whatever goes wrong here ends the session through `conn.fail`, so the reader raises it: a
    failed send (the socket went away), a failure of the text source, or text with nothing to say.
    """
    try:
        await conn.start(session, meter)
        async for text in feed.follow():
            await conn.send("input_text_buffer.append", text=text)
            meter.characters += len(text)
        if not feed.has_speech:
            raise EmptyTextError("nothing to speak")  # noqa: TRY301 - ends the session like any failure
        if mode is Mode.COMMIT:
            await conn.send("input_text_buffer.commit")
        await conn.send("session.finish")
        conn.mark_input_done()
    except Exception as err:  # noqa: BLE001 - handed to the reader, which raises it
        await conn.fail(err)
