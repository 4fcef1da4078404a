"""The voice-profile subentry flow: add or change a profile, one text-to-speech entity.

A new profile starts at a menu: a system voice, a designed or a cloned voice, or a voice the
account already has. Each path ends in the voice step, on the realtime model the voice was made
for. The entry flow asks for its first profile with the same forms and the same check
(`checked_profile`, `voice_form`).

Creating a voice is billed by the vendor: each creating step says so before it is submitted, and
nothing here repeats a create. A create whose outcome is unknown is looked for in the account's
voices (listing is not billed) instead of being made again (`VoiceProfileFlow._create`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
import hashlib
from pathlib import Path
from typing import Any, Final

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_LANGUAGE, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowHandler, FlowResult
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import SelectOptionDict

from .const import (
    CONF_CLEAN_FORMATTING,
    CONF_ENDPOINT,
    CONF_INSTRUCTIONS,
    CONF_MODEL,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DEFAULT_PROFILE_NAME,
    PRICING_URL,
)
from .errors import (
    may_have_created,
    silent_voice_errors,
    unconfirmed_create_errors,
    voice_check_errors,
    voice_errors,
)
from .flow_schemas import (
    CONF_AUDIO,
    CONF_DESCRIPTION,
    CONF_PREVIEW_TEXT,
    CONF_TRANSCRIPT,
    NO_FIELDS,
    account_voice_schema,
    clone_schema,
    design_schema,
    model_schema,
    voice_schema,
)
from .preview import async_discard_preview, async_publish_preview, preview_link
from .profile import PROSODY_OPTIONS, default_options, utterance_config
from .realtime import (
    MAX_DESCRIPTION_CHARS,
    MAX_INSTRUCTIONS_CHARS,
    MAX_PREVIEW_TEXT_CHARS,
    NAME_PATTERN,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    ModelInfo,
    RealtimeClient,
    RealtimeError,
    VoiceKind,
    VoiceNotFoundError,
    kind_of_voice,
    model_info,
)
from .recording_check import Recording, RecordingProblem, check_recording
from .voice_library import VoiceLibrary, voice_library

VOICE_SOURCES: Final = ["system_voice", "design", "clone", "account_voice"]
# What the voice check speaks: the service rejects an unknown voice at the latest when it
# synthesizes, and a few characters cost next to nothing (billing counts characters).
VOICE_CHECK_TEXT: Final = "Hi."


class VoiceProfileFlow(ConfigSubentryFlow):
    """Add or change a voice profile: one text-to-speech entity."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._profile: dict[str, Any] = {}  # the name and model chosen
        self._defaults: dict[str, Any] = {}  # what the forms start from
        # A voice this flow created or found in the account: it exists, so the voice step does
        # not spend characters proving it (a different id typed over it is still checked).
        self._proven_voice: str | None = None
        self._design_input: dict[str, Any] = {}
        self._designed: CustomVoice | None = None  # waiting to be kept or discarded
        self._preview_token: str | None = None
        self._preview_path = ""
        self._fallback_reason = ""  # why the service cloned in its degraded mode
        self._unconfirmed: _Attempt | None = None  # a create that may have made its voice

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose where the new profile's voice comes from."""
        return self.async_show_menu(step_id="user", menu_options=VOICE_SOURCES)

    async def async_step_system_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the profile's name and model."""
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        defaults = self._defaults or {CONF_NAME: self._unused_name()}
        return self.async_show_form(step_id="system_voice", data_schema=model_schema(defaults))

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the voice and how it speaks, then add or change the profile."""
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self._get_entry()
            credentials = entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT]
            data, errors = await checked_profile(
                self.hass, credentials, model, user_input, self._proven_voice
            )
            if not errors:
                return self._save_profile(data)
        return voice_form(self, model, user_input, self._defaults, errors)

    # --- designing a voice (billed) -----------------------------------------------------------

    async def async_step_design(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe a voice and a sentence to hear it say; creating it is billed."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._design_input = user_input
            name = user_input[CONF_NAME]
            errors = name_error(name)
            if len(user_input[CONF_DESCRIPTION]) > MAX_DESCRIPTION_CHARS:
                errors[CONF_DESCRIPTION] = "description_too_long"
            if len(user_input[CONF_PREVIEW_TEXT]) > MAX_PREVIEW_TEXT_CHARS:
                errors[CONF_PREVIEW_TEXT] = "preview_text_too_long"
            if not errors:
                asked = (
                    user_input[CONF_DESCRIPTION],
                    user_input[CONF_PREVIEW_TEXT],
                    user_input[CONF_LANGUAGE],
                )
                outcome = await self._create(
                    "design", name, asked, lambda library: library.design(name, *asked)
                )
                match outcome:
                    case DesignedVoice():
                        self._designed = outcome.voice
                        self._preview_token, self._preview_path = async_publish_preview(
                            self.hass, outcome.preview.data, outcome.preview.response_format
                        )
                        return await self.async_step_design_preview()
                    case CustomVoice():  # made by an attempt whose answer was lost: no preview
                        self._use_voice(outcome)
                        return await self.async_step_voice()
                    case _:
                        errors = outcome
        return self._design_form(errors)

    def _design_form(self, errors: dict[str, str]) -> SubentryFlowResult:
        schema = design_schema(self.hass.config.language)
        return self.async_show_form(
            step_id="design",
            data_schema=self.add_suggested_values_to_schema(schema, self._design_input),
            errors=errors,
            description_placeholders={"pricing_url": PRICING_URL},
        )

    async def async_step_design_preview(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Listen to the designed voice (a link to its preview), then keep or discard it."""
        assert self._designed is not None
        return self.async_show_menu(
            step_id="design_preview",
            menu_options=["design_keep", "design_discard"],
            description_placeholders={
                "voice": self._designed.name,
                "preview_link": preview_link(self._preview_path, f"▶ {self._designed.name}"),
            },
        )

    async def async_step_design_keep(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Make the profile speak with the designed voice."""
        assert self._designed is not None
        self._forget_preview()
        self._use_voice(self._designed)
        return await self.async_step_voice()

    async def async_step_design_discard(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Delete the designed voice from the account and describe another one."""
        assert self._designed is not None
        self._forget_preview()
        try:
            await self._library().delete(self._designed.voice_id)
        except VoiceNotFoundError:
            pass  # already gone: what discarding wants
        except RealtimeError:
            # Whatever failed, the voice stays: the message says where to find it again.
            return self._design_form({"base": "discard_failed"})
        self._designed = None
        return self._design_form({})

    def _forget_preview(self) -> None:
        if self._preview_token is not None:
            async_discard_preview(self.hass, self._preview_token)
            self._preview_token = None

    # --- cloning a voice from a recording (billed) --------------------------------------------

    async def async_step_clone(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Upload a recording of the voice to clone; creating it is billed."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {}
        if user_input is not None:
            suggested = {k: v for k, v in user_input.items() if k != CONF_AUDIO}
            errors = name_error(user_input[CONF_NAME])
            try:
                recording = await self.hass.async_add_executor_job(
                    _read_upload, self.hass, user_input[CONF_AUDIO]
                )
            except RecordingProblem as problem:
                errors[CONF_AUDIO] = f"audio_{problem.problem}"
            else:
                if not errors:
                    return await self._clone(user_input, recording)
        return self._clone_form(errors, suggested)

    async def _clone(self, user_input: dict[str, Any], recording: Recording) -> SubentryFlowResult:
        name, language = user_input[CONF_NAME], user_input[CONF_LANGUAGE]
        transcript = user_input.get(CONF_TRANSCRIPT) or None
        asked = (hashlib.sha256(recording.audio).hexdigest(), language, transcript)
        outcome = await self._create(
            "clone",
            name,
            asked,
            lambda library: library.clone(
                name,
                recording.audio,
                recording.mime_type,
                language=language,
                transcript=transcript,
            ),
        )
        match outcome:
            case ClonedVoice(fallback_mode=True):
                self._use_voice(outcome.voice)
                self._fallback_reason = outcome.fallback_reason or ""
                return await self.async_step_clone_degraded()
            case ClonedVoice():
                self._use_voice(outcome.voice)
                return await self.async_step_voice()
            case CustomVoice():  # made by an attempt whose answer was lost
                self._use_voice(outcome)
                return await self.async_step_voice()
        suggested = {k: v for k, v in user_input.items() if k != CONF_AUDIO}
        return self._clone_form(outcome, suggested)

    def _clone_form(self, errors: dict[str, str], suggested: dict[str, Any]) -> SubentryFlowResult:
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

    # --- the account's voices -----------------------------------------------------------------

    async def async_step_account_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick a designed or cloned voice the account already has."""
        errors: dict[str, str] = {}
        voices: list[CustomVoice] = []
        try:
            library = self._library()
            voices = [
                voice
                for kind in ("design", "clone")
                for voice in await library.voices(kind)
                if "realtime" in voice.target_model  # the others cannot speak on a socket
            ]
        except RealtimeError as err:
            errors = voice_errors(err)
        by_id = {voice.voice_id: voice for voice in voices}
        if user_input is not None and (voice := by_id.get(user_input[CONF_VOICE])):
            self._use_voice(voice)
            return await self.async_step_voice()
        if not voices and not errors:
            return self.async_abort(reason="no_account_voices")
        options = [SelectOptionDict(value=voice.voice_id, label=_label(voice)) for voice in voices]
        return self.async_show_form(
            step_id="account_voice", data_schema=account_voice_schema(options), errors=errors
        )

    # --- changing a profile -------------------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change an existing profile, starting from its current settings."""
        subentry = self._get_reconfigure_subentry()
        self._defaults = {**subentry.data, CONF_NAME: subentry.title}
        if kind_of_voice(subentry.data[CONF_VOICE]) is not None:
            return await self.async_step_reconfigure_custom()
        return await self.async_step_system_voice()

    async def async_step_reconfigure_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer to change a custom-voice profile's settings, or to delete its voice."""
        return self.async_show_menu(
            step_id="reconfigure_custom",
            menu_options=["system_voice", "delete_voice"],
            description_placeholders={"voice": self._defaults[CONF_VOICE]},
        )

    async def async_step_delete_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Confirm, then delete the profile's voice from the account and remove the profile."""
        subentry = self._get_reconfigure_subentry()
        voice_id = subentry.data[CONF_VOICE]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._library().delete(voice_id)
            except VoiceNotFoundError:
                pass  # already gone
            except RealtimeError as err:
                errors = voice_errors(err)
            if not errors:
                entry = self._get_entry()
                self.hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
                return self.async_abort(reason="voice_deleted")
        return self.async_show_form(
            step_id="delete_voice",
            data_schema=NO_FIELDS,
            errors=errors,
            description_placeholders={"voice": voice_id, "profile": subentry.title},
        )

    # --- helpers ------------------------------------------------------------------------------

    def _library(self) -> VoiceLibrary:
        return voice_library(self.hass, self._get_entry())

    def _use_voice(self, voice: CustomVoice) -> None:
        """Continue with the voice step, on the model the voice was made for."""
        self._profile = {CONF_NAME: voice.name, CONF_MODEL: voice.target_model}
        self._defaults = {CONF_MODEL: voice.target_model, CONF_VOICE: voice.voice_id}
        self._proven_voice = voice.voice_id
        if voice.language:
            self._defaults[CONF_LANGUAGE] = voice.language

    def _unused_name(self) -> str:
        """Suggest a name no other profile of the entry has (they become entity ids)."""
        taken = {subentry.title for subentry in self._get_entry().subentries.values()}
        return next(
            name
            for number in range(1, len(taken) + 2)
            if (name := DEFAULT_PROFILE_NAME if number == 1 else f"{DEFAULT_PROFILE_NAME} {number}")
            not in taken
        )

    def _save_profile(self, data: dict[str, Any]) -> SubentryFlowResult:
        """Add the profile, or change the one being reconfigured."""
        title = self._profile[CONF_NAME]
        if self.source == SOURCE_RECONFIGURE:
            # Updated, then aborted by this flow: the reason is then this integration's translated
            # string on every release (2026.3's async_update_and_abort takes no reason).
            self.hass.config_entries.async_update_subentry(
                self._get_entry(), self._get_reconfigure_subentry(), data=data, title=title
            )
            return self.async_abort(reason="reconfigure_successful")
        return self.async_create_entry(title=title, data=data)

    async def _create[T](
        self,
        kind: VoiceKind,
        name: str,
        asked: Hashable,
        create: Callable[[VoiceLibrary], Awaitable[T]],
    ) -> T | CustomVoice | dict[str, str]:
        """Create a voice (billed) unless an earlier attempt's turns up; or return the errors.

        A create that fails without a clear answer (none in time, a dropped connection, an
        unreadable answer, a server error) may have made the voice all the same, and billed it.
        So the account's voices of that name are listed (not billed) before a create and again
        after such a failure: one that appeared in between is this flow's, and is used. When none
        has appeared, the form says so, and submitting the same voice again (`kind`, `name` and
        what else was `asked`) looks once more before it creates anything.
        """
        try:
            library = self._library()
            listed = await _voices_named(library, kind, name)
        except RealtimeError as err:
            return voice_errors(err)
        attempt, self._unconfirmed = self._unconfirmed, None
        known = frozenset(listed)
        if attempt is not None and attempt.request == (kind, name, asked):
            if made := _made_since(listed, attempt.known):
                return made
            known = attempt.known
        try:
            return await create(library)
        except RealtimeError as err:
            failure = err
        if not may_have_created(failure):
            return voice_errors(failure)
        self._unconfirmed = _Attempt((kind, name, asked), known)
        try:
            listed = await _voices_named(library, kind, name)
        except RealtimeError:
            return unconfirmed_create_errors(failure, looked=False)
        if made := _made_since(listed, known):
            self._unconfirmed = None
            return made
        return unconfirmed_create_errors(failure, looked=True)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """A create that may have made its voice, and the ids of that name the account had before."""

    request: tuple[VoiceKind, str, Hashable]
    known: frozenset[str]


async def _voices_named(
    library: VoiceLibrary, kind: VoiceKind, name: str
) -> dict[str, CustomVoice]:
    """Return the account's voices of `kind` with the preferred name `name`, newest first."""
    return {voice.voice_id: voice for voice in await library.voices(kind) if voice.name == name}


def _made_since(listed: Mapping[str, CustomVoice], known: frozenset[str]) -> CustomVoice | None:
    """Return the newest listed voice that `known` lacks, if any."""
    return next((voice for voice_id, voice in listed.items() if voice_id not in known), None)


def _read_upload(hass: HomeAssistant, file_id: str) -> Recording:
    """Check and read an uploaded file (executor); the upload is deleted afterwards."""
    try:
        with process_uploaded_file(hass, file_id) as path:
            return check_recording(Path(path))
    except ValueError:  # no such upload (already used, or expired)
        raise RecordingProblem("missing") from None


def _label(voice: CustomVoice) -> str:
    created = voice.created.strftime("%Y-%m-%d %H:%M") if voice.created else "?"
    kind = "designed" if voice.kind == "design" else "cloned"
    return f"{voice.name} · {kind} · {created}"


def name_error(name: str) -> dict[str, str]:
    """Return the form error of a new voice's name, if the service would refuse it."""
    return {} if NAME_PATTERN.fullmatch(name) else {CONF_NAME: "voice_name_invalid"}


# --- the voice step, shared with the entry flow's first profile -------------------------------


def voice_form[R: FlowResult[Any, Any]](
    flow: FlowHandler[Any, R, Any],
    model: str,
    user_input: Mapping[str, Any] | None,
    defaults: Mapping[str, Any],
    errors: dict[str, str],
) -> R:
    """Show the voice step: the voice and the settings `model` takes.

    The form starts from what was entered, else from what of `defaults` (an existing profile's
    settings) the model takes.
    """
    shown = user_input or carried_over(defaults, model_info(model))
    return flow.async_show_form(
        step_id="voice",
        data_schema=voice_schema(model, shown, flow.hass.config.language),
        errors=errors,
        description_placeholders={"model": model},
    )


def carried_over(defaults: Mapping[str, Any], model: ModelInfo) -> dict[str, Any]:
    """Keep the settings of a profile's old model that its new model takes as they are."""
    kept = {key: defaults[key] for key in PROSODY_OPTIONS if key in defaults and model.prosody}
    # A custom voice is of no catalogue: it stays as long as the model it was made for does.
    if CONF_VOICE in defaults and (
        defaults[CONF_VOICE] in model.voices or defaults.get(CONF_MODEL) == model.name
    ):
        kept[CONF_VOICE] = defaults[CONF_VOICE]
    if defaults.get(CONF_LANGUAGE) in model.languages:
        kept[CONF_LANGUAGE] = defaults[CONF_LANGUAGE]
    if defaults.get(CONF_SAMPLE_RATE) in model.sample_rates:
        kept[CONF_SAMPLE_RATE] = defaults[CONF_SAMPLE_RATE]
    if model.instructions and defaults.get(CONF_INSTRUCTIONS):
        kept[CONF_INSTRUCTIONS] = defaults[CONF_INSTRUCTIONS]
    if CONF_CLEAN_FORMATTING in defaults:
        kept[CONF_CLEAN_FORMATTING] = defaults[CONF_CLEAN_FORMATTING]
    return kept


async def checked_profile(
    hass: HomeAssistant,
    credentials: tuple[str, str],
    model: str,
    user_input: Mapping[str, Any],
    proven_voice: str | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the profile the voice step's input makes, and the errors that keep it from saving.

    `credentials` (the API key and endpoint) prove a voice the model's catalogue lacks; a
    `proven_voice` is known to exist and needs no proof.
    """
    data: dict[str, Any] = {CONF_MODEL: model, **user_input}
    data[CONF_VOICE] = str(data.get(CONF_VOICE, "")).strip()
    data[CONF_SAMPLE_RATE] = int(data[CONF_SAMPLE_RATE])
    if CONF_VOLUME in data:
        data[CONF_VOLUME] = int(data[CONF_VOLUME])
    if not data.get(CONF_INSTRUCTIONS):
        data.pop(CONF_INSTRUCTIONS, None)
    if not data[CONF_VOICE]:
        return data, {CONF_VOICE: "voice_required"}
    # The selectors already bound every number; only the free text needs a check here.
    if len(data.get(CONF_INSTRUCTIONS, "")) > MAX_INSTRUCTIONS_CHARS:
        return data, {CONF_INSTRUCTIONS: "instructions_too_long"}
    if data[CONF_VOICE] == proven_voice:
        return data, {}
    return data, await check_voice(hass, *credentials, data)


async def check_voice(
    hass: HomeAssistant, api_key: str, endpoint: str, profile: Mapping[str, Any]
) -> dict[str, str]:
    """Return no errors when the profile's voice is the model's, or the service speaks with it.

    A voice of the model's catalogue needs no check. Any other id (a cloned or designed voice, or
    a typo) must produce audio in a real session with the profile's settings: audio is the proof,
    so the first chunk ends the check and the rest is discarded.
    """
    model = model_info(profile[CONF_MODEL])
    if profile[CONF_VOICE] in model.voices:
        return {}
    options = default_options(model, profile)
    config = utterance_config(model, profile.get(CONF_LANGUAGE, ""), options, encoded=False)
    client = RealtimeClient(async_get_clientsession(hass), api_key, endpoint)
    try:
        async with aclosing(client.synthesize(config, VOICE_CHECK_TEXT)) as audio:
            async for _ in audio:
                return {}
    except RealtimeError as err:
        return voice_check_errors(err)
    finally:
        await client.close()
    return silent_voice_errors()
