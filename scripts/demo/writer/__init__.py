"""The demo's conversation agent: it writes the text it is given back, a word at a time.

A stand-in for a language model that streams its reply, so that the demo can show what this
integration is for — speech that starts while the agent is still writing — without a model or an
account. `scripts/speak --stream` runs a real Assist pipeline with it. Only the demo installs it
(scripts/demo links it into the demo's custom_components); it is not part of the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import re
from typing import Final, Literal

from homeassistant.components import conversation
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType

DOMAIN: Final = "qwen_tts_demo_writer"
ENTITY_ID: Final = "conversation.demo_writer"
# The pace of a small local model (about 13 tokens a second; cloud models write faster), unless
# configuration.yaml says `qwen_tts_demo_writer: {seconds_per_word: …}`.
SECONDS_PER_WORD: Final = 0.1


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Add the agent to the conversation component (`qwen_tts_demo_writer:` in the YAML)."""
    pace = float((config.get(DOMAIN) or {}).get("seconds_per_word", SECONDS_PER_WORD))
    await hass.data[DATA_COMPONENT].async_add_entities([DemoWriter(pace)])
    return True


def words(text: str) -> list[str]:
    """Split a reply into the pieces the agent writes: each word with the space after it."""
    return re.findall(r"\s*\S+\s*", text)


class DemoWriter(conversation.ConversationEntity):
    """Answers with the user's own text, streamed word by word at a language model's pace."""

    _attr_name = "Demo writer (writes your text back)"
    _attr_supports_streaming = True

    def __init__(self, seconds_per_word: float) -> None:
        """Give the agent the id the demo's pipeline names, and its pace."""
        self.entity_id = ENTITY_ID
        self.seconds_per_word = seconds_per_word

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Any language: it only repeats."""
        return MATCH_ALL

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        async for _ in chat_log.async_add_delta_content_stream(
            self.entity_id, self._write(user_input.text)
        ):
            pass
        return conversation.async_get_result_from_chat_log(user_input, chat_log)

    async def _write(self, text: str) -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
        yield {"role": "assistant"}
        for word in words(text):
            await asyncio.sleep(self.seconds_per_word)
            yield {"content": word}
