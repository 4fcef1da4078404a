"""A customisation API that answers like a hostile service, met through the voice-profile flow.

What the service sends is shown in the flows only once the client has checked it: its voice ids
in the vendor's alphabet, its models of the right kind, and never by following it elsewhere.
"""

from __future__ import annotations

import base64
import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from qwen_tts_emulator import CUSTOMIZATION_PATH, CannedReply, Emulator, Scenario

from ..recordings import recording
from .test_voice_flows import DESIGN, VC_MODEL, VD_MODEL, start, step

MARKUP_ID = 'qwen-tts-vd-x-voice-1-abcd"><img src=x onerror=alert(1)>[link](https://example.com)'


async def test_a_designed_voice_with_markup_in_its_id_is_refused_not_shown(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    preview = {"data": base64.b64encode(recording(1)).decode(), "response_format": "wav"}
    output = {"voice": MARKUP_ID, "target_model": VD_MODEL, "preview_audio": preview}
    emulator.voices.replies.append(CannedReply.json({"output": output}))

    result = await start(hass, entry, "design")
    result = await step(result, hass, **DESIGN)

    assert result["step_id"] == "design"
    assert result["errors"] == {"base": "voice_service_error"}
    assert "<img" not in json.dumps(result, default=str)


async def test_the_account_offers_only_valid_voices_of_realtime_models(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    designed = emulator.voices.add("robot", "vd")
    emulator.voices.add("markup", "vd", voice_id=MARKUP_ID)
    emulator.voices.add("newline", "vc", voice_id="qwen-tts-vc-a\n# heading")
    emulator.voices.add("huge", "vc", voice_id="qwen-tts-vc-" + "a" * 100_000)
    emulator.voices.add("wrong_kind", "vd", target_model=VC_MODEL)
    emulator.voices.add("system_model", "vc", target_model="qwen3-tts-flash-realtime")

    result = await start(hass, entry, "account_voice")

    assert result["data_schema"] is not None
    options = result["data_schema"].schema["voice"].config["options"]
    assert [option["value"] for option in options] == [designed]


async def test_a_redirected_design_is_not_sent_elsewhere(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    async with Emulator(Scenario()) as elsewhere:
        location = f"http://{elsewhere.host}:{elsewhere.port}{CUSTOMIZATION_PATH}"
        emulator.voices.replies.append(CannedReply.redirect(location, 307))

        result = await start(hass, entry, "design")
        result = await step(result, hass, **DESIGN)

    assert result["errors"] == {"base": "voice_service_error"}
    assert elsewhere.voices.requests == []
