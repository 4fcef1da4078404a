"""Cloning a voice from a recording: the voice-profile flow's clone steps (billed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import SubentryFlowResult
from homeassistant.const import CONF_LANGUAGE, CONF_NAME
from homeassistant.core import HomeAssistant

from .const import PRICING_URL
from .errors import voice_form_error
from .flow_schemas import CONF_AUDIO, CONF_TRANSCRIPT, NO_FIELDS, clone_schema
from .realtime import RealtimeError
from .recording_check import Recording, RecordingProblem, check_recording
from .voice_flows import VoiceFlows, name_error


def _read_upload(hass: HomeAssistant, file_id: str) -> Recording:
    """Check and read an uploaded file (executor); the upload is deleted afterwards."""
    try:
        with process_uploaded_file(hass, file_id) as path:
            return check_recording(Path(path))
    except ValueError:  # no such upload (already used, or expired)
        raise RecordingProblem("missing") from None


class CloneSteps(VoiceFlows):
    """Upload a recording, clone its voice, and say when the service degraded the clone."""

    _fallback_reason: str = ""

    async def async_step_clone(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Upload a recording of the voice to clone; creating it is billed."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {}
        if user_input is not None:
            suggested = {k: v for k, v in user_input.items() if k != CONF_AUDIO}
            errors = name_error(user_input[CONF_NAME])
            recording: Recording | None = None
            try:
                recording = await self.hass.async_add_executor_job(
                    _read_upload, self.hass, user_input[CONF_AUDIO]
                )
            except RecordingProblem as problem:
                errors[CONF_AUDIO] = f"audio_{problem.problem}"
            if recording is not None and not errors:
                try:
                    cloned = await self._library().clone(
                        user_input[CONF_NAME],
                        recording.audio,
                        recording.mime_type,
                        language=user_input[CONF_LANGUAGE],
                        transcript=user_input.get(CONF_TRANSCRIPT) or None,
                    )
                except RealtimeError as err:
                    key = voice_form_error(err)
                    errors[CONF_AUDIO if key.startswith("audio_") else "base"] = key
                else:
                    self._use_voice(cloned.voice, cloned.voice.name)
                    if cloned.fallback_mode:
                        self._fallback_reason = cloned.fallback_reason or ""
                        return await self.async_step_clone_degraded()
                    return await self.async_step_voice()
        schema = clone_schema(self.hass.config.language)
        return self.async_show_form(
            step_id="clone",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"pricing_url": PRICING_URL},
        )

    async def async_step_clone_degraded(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Tell that the service made the voice in its degraded mode, and why."""
        if user_input is not None:
            return await self.async_step_voice()
        return self.async_show_form(
            step_id="clone_degraded",
            data_schema=NO_FIELDS,
            description_placeholders={"reason": self._fallback_reason or "-"},
        )
