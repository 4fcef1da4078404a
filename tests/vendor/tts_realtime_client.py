# Vendor code, not project code: the sample client tts_realtime_client.py of Alibaba Cloud
# Model Studio's guide "Real-time speech synthesis - Qwen" (Getting started, step 2), copied
# verbatim and unmodified. The conformance tests run it against the emulator exactly as the
# vendor wrote it. Excluded from ruff (pyproject) and mypy.

# -- coding: utf-8 --

import asyncio
import websockets
import json
import base64
import time
from typing import Optional, Callable, Dict, Any
from enum import Enum


class SessionMode(Enum):
    SERVER_COMMIT = "server_commit"
    COMMIT = "commit"


class TTSRealtimeClient:
    """
    A client for interacting with the TTS Realtime API.

    This class provides methods to connect to the TTS Realtime API, send text data, get audio output, and manage the WebSocket connection.

    Attributes:
        base_url (str):
            The base URL of the Realtime API.
        api_key (str):
            The API key for identity verification.
        voice (str):
            The voice used by the server for speech synthesis.
        mode (SessionMode):
            The session mode. Valid values: `server_commit` and `commit`.
        audio_callback (Callable[[bytes], None]):
            The callback function that receives audio data.
        language_type(str)
            The language of the synthesized speech. Valid values: Chinese, English, German, Italian, Portuguese, Spanish, Japanese, Korean, French, Russian, Auto.
    """

    def __init__(
            self,
            base_url: str,
            api_key: str,
            voice: str = "Cherry",
            mode: SessionMode = SessionMode.SERVER_COMMIT,
            audio_callback: Optional[Callable[[bytes], None]] = None,
        language_type: str = "Auto"):
        self.base_url = base_url
        self.api_key = api_key
        self.voice = voice
        self.mode = mode
        self.ws = None
        self.audio_callback = audio_callback
        self.language_type = language_type

        # Current response status
        self._current_response_id = None
        self._current_item_id = None
        self._is_responding = False


    async def connect(self) -> None:
        """Establishes a WebSocket connection with the TTS Realtime API."""
        headers = {
            "Authorization": f"Bearer {self.api_key}"
        }

        self.ws = await websockets.connect(self.base_url, additional_headers=headers)

        # Sets the default session configuration.
        await self.update_session({
            "mode": self.mode.value,
            "voice": self.voice,
            "language_type": self.language_type,
            "response_format": "pcm",
            "sample_rate": 24000
        })


    async def send_event(self, event) -> None:
        """Sends an event to the server."""
        event['event_id'] = "event_" + str(int(time.time() * 1000))
        print(f"Sending event: type={event['type']}, event_id={event['event_id']}")
        await self.ws.send(json.dumps(event))


    async def update_session(self, config: Dict[str, Any]) -> None:
        """Updates the session configuration."""
        event = {
            "type": "session.update",
            "session": config
        }
        print("Updating session configuration: ", event)
        await self.send_event(event)


    async def append_text(self, text: str) -> None:
        """Sends text data to the API."""
        event = {
            "type": "input_text_buffer.append",
            "text": text
        }
        await self.send_event(event)


    async def commit_text_buffer(self) -> None:
        """Commits the text buffer to trigger processing."""
        event = {
            "type": "input_text_buffer.commit"
        }
        await self.send_event(event)


    async def clear_text_buffer(self) -> None:
        """Clears the text buffer."""
        event = {
            "type": "input_text_buffer.clear"
        }
        await self.send_event(event)


    async def finish_session(self) -> None:
        """Finishes the session."""
        event = {
            "type": "session.finish"
        }
        await self.send_event(event)


    async def handle_messages(self) -> None:
        """Handles messages from the server."""
        try:
            async for message in self.ws:
                event = json.loads(message)
                event_type = event.get("type")

                if event_type != "response.audio.delta":
                    print(f"Received event: {event_type}")

                if event_type == "error":
                    print("Error: ", event.get('error', {}))
                    continue
                elif event_type == "session.created":
                    print("Session created, ID: ", event.get('session', {}).get('id'))
                elif event_type == "session.updated":
                    print("Session updated, ID: ", event.get('session', {}).get('id'))
                elif event_type == "input_text_buffer.committed":
                    print("Text buffer committed, item ID: ", event.get('item_id'))
                elif event_type == "input_text_buffer.cleared":
                    print("Text buffer cleared")
                elif event_type == "response.created":
                    self._current_response_id = event.get("response", {}).get("id")
                    self._is_responding = True
                    print("Response created, ID: ", self._current_response_id)
                elif event_type == "response.output_item.added":
                    self._current_item_id = event.get("item", {}).get("id")
                    print("Output item added, ID: ", self._current_item_id)
                # Handles audio delta
                elif event_type == "response.audio.delta" and self.audio_callback:
                    audio_bytes = base64.b64decode(event.get("delta", ""))
                    self.audio_callback(audio_bytes)
                elif event_type == "response.audio.done":
                    print("Audio generation complete")
                elif event_type == "response.done":
                    self._is_responding = False
                    self._current_response_id = None
                    self._current_item_id = None
                    print("Response complete")
                elif event_type == "session.finished":
                    print("Session finished")

        except websockets.exceptions.ConnectionClosed:
            print("Connection closed")
        except Exception as e:
            print("Error processing message: ", str(e))


    async def close(self) -> None:
        """Closes the WebSocket connection."""
        if self.ws:
            await self.ws.close()
