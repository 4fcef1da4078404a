"""The realtime client: one WebSocket per utterance, audio as an async iterator of PCM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator
import contextlib
import logging
from typing import Final

import aiohttp

from .catalog import DEFAULT_MODEL, model_info
from .connection import Connection, Timeouts
from .endpoints import normalize_endpoint, realtime_url
from .errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosedError,
    EmptyTextError,
    InvalidOptionError,
    RealtimeError,
    ResponseTimeoutError,
)
from .session_config import Mode, SessionConfig
from .text_feed import TextFeed

_LOGGER = logging.getLogger(__name__)
RETRY_DELAY: Final = 0.25


def _is_retryable(err: RealtimeError) -> bool:
    """Only failures to reach the service are retried; what it said about the request is not."""
    if isinstance(err, ResponseTimeoutError):
        return err.stage == "connect"
    if isinstance(err, ConnectError):
        return err.status is None or err.status >= 500
    return isinstance(err, ConnectionClosedError)


class RealtimeClient:
    """Talks to one endpoint with one API key. Safe to share between concurrent utterances."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: str,
        *,
        workspace: str | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self._session = session
        self._endpoint = normalize_endpoint(endpoint)
        self._headers = {"Authorization": f"Bearer {api_key}"}
        if workspace:
            self._headers["X-DashScope-WorkSpace"] = workspace
        self.timeouts = timeouts or Timeouts()

    @property
    def endpoint(self) -> str:
        """Return the normalized endpoint URL (never holds the key)."""
        return self._endpoint

    async def _connect(self, model: str) -> Connection:
        url = str(realtime_url(self._endpoint, model))
        return await Connection.open(self._session, url, self._headers, self.timeouts)

    async def check(self, model: str = DEFAULT_MODEL) -> None:
        """Prove that the endpoint answers and accepts the key, without synthesizing anything."""
        conn = await self._connect(model)
        await conn.close()

    async def synthesize(self, config: SessionConfig, text: str) -> AsyncGenerator[bytes]:
        """Yield the PCM of a whole message, sent in `commit` mode."""

        async def one_chunk() -> AsyncIterator[str]:
            yield text

        async for pcm in self._utterance(config.with_mode(Mode.COMMIT), one_chunk()):
            yield pcm

    async def stream(
        self, config: SessionConfig, text_chunks: AsyncIterable[str]
    ) -> AsyncGenerator[bytes]:
        """Yield PCM while `text_chunks` is still producing text (`server_commit` mode).

        Every chunk goes on the wire as soon as it arrives.
        """
        async for pcm in self._utterance(config.with_mode(Mode.SERVER_COMMIT), text_chunks):
            yield pcm

    async def _utterance(
        self, config: SessionConfig, text_chunks: AsyncIterable[str]
    ) -> AsyncGenerator[bytes]:
        model = model_info(config.model)
        config.validate(model)
        session = config.to_session(model)
        feed = TextFeed(text_chunks)
        reader = asyncio.create_task(feed.run(), name="qwen_tts_text_feed")
        try:
            for attempt in (1, 2):
                produced = False
                try:
                    async for pcm in self._session_audio(config, session, feed):
                        produced = True
                        yield pcm
                except RealtimeError as err:
                    if produced or attempt == 2 or not _is_retryable(err):
                        raise
                    _LOGGER.debug("Retrying after %s before any audio", type(err).__name__)
                    await asyncio.sleep(RETRY_DELAY)
                else:
                    return
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _session_audio(
        self, config: SessionConfig, session: dict[str, object], feed: TextFeed
    ) -> AsyncGenerator[bytes]:
        conn = await self._connect(config.model)
        sender = asyncio.create_task(
            _send_input(conn, config.mode, session, feed), name="qwen_tts_sender"
        )
        try:
            async for pcm in conn.audio():
                yield pcm
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await conn.close()


async def _send_input(
    conn: Connection, mode: Mode, session: dict[str, object], feed: TextFeed
) -> None:
    """Send the session settings, every piece of text as it arrives, then the end of input."""
    try:
        await conn.send("session.update", session=session)
        async for text in feed.follow():
            await conn.send("input_text_buffer.append", text=text)
        if not feed.text.strip():
            await conn.fail(EmptyTextError("nothing to speak"))
            return
        if mode is Mode.COMMIT:
            await conn.send("input_text_buffer.commit")
        await conn.send("session.finish")
        conn.mark_input_done()
    except asyncio.CancelledError:
        raise
    except RealtimeError:
        # The socket went away: the reader sees the close and reports it.
        return
    except Exception as err:  # noqa: BLE001 - the text source failed: end the session with it
        await conn.fail(err)


__all__ = ["AuthenticationError", "InvalidOptionError", "RealtimeClient"]
