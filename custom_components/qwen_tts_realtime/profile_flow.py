"""The voice-profile subentry flow: add or change a profile, one text-to-speech entity.

A new profile starts at a menu: a system voice, a designed or a cloned voice, or a voice the
account already has (the menu also deletes the account's voices that no profile uses). Each path
ends in the voice step, on a model that can speak its voice: the system-voice path offers only
models with system voices; a designed or cloned voice brings the model it was made for, whose
voice step lists the account's voices of that model by name. The entry flow asks for its first
profile with the same forms and the same check (`checked_profile`, `voice_form`).

Creating a voice is billed by the vendor: each creating step says so before it is submitted, a
name the account already has is confirmed first, the step after a create says that the voice now
exists (closing the dialog leaves it in the account), and nothing here repeats a create: a
creating submit runs alone, and one sent again before the first was answered (a double click)
gets that answer (`_alone`). A create
whose outcome is unknown is looked for in the account's voices (listing is not billed) instead of
being made again (`VoiceProfileFlow._create`).

The profile's name is free text; the vendor keeps a voice under a name of ASCII letters, digits
and _ only, which is made from it (`vendor_name`), so nobody needs to know the vendor's rule.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import aclosing, suppress
from dataclasses import dataclass
from functools import partial
import hashlib
from pathlib import Path
import re
from typing import Any, Final
import unicodedata

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigSubentry,
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
    CONF_FALLBACK,
    CONF_INSTRUCTIONS,
    CONF_MODEL,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DEFAULT_PROFILE_NAME,
    DOMAIN,
    PRICING_LINKS,
    SUBENTRY_TTS,
)
from .errors import (
    form_placeholders,
    gone_voice_errors,
    may_have_created,
    recording_errors,
    silent_voice_errors,
    unconfirmed_create_errors,
    voice_check_errors,
    voice_errors,
)
from .fallback import own_engines
from .flow_schemas import (
    CONF_AUDIO,
    CONF_DESCRIPTION,
    CONF_PREVIEW_TEXT,
    CONF_TRANSCRIPT,
    CONF_VOICES,
    NO_FIELDS,
    SYSTEM_VOICE_MODELS,
    account_voice_schema,
    clone_schema,
    design_schema,
    model_schema,
    unused_voices_schema,
    voice_schema,
)
from .preview import async_discard_preview, async_publish_preview, preview_link
from .profile import PROSODY_OPTIONS, default_options, utterance_config
from .realtime import (
    ALL_LANGUAGES,
    MAX_DESCRIPTION_CHARS,
    MAX_INSTRUCTIONS_CHARS,
    MAX_PREVIEW_TEXT_CHARS,
    NAME_PATTERN,
    SELECTABLE_MODELS,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    ModelInfo,
    RealtimeClient,
    RealtimeError,
    VoiceKind,
    VoiceNotFoundError,
    kind_of_model,
    kind_of_voice,
    model_info,
)
from .recording_check import Recording, RecordingProblem, check_recording
from .voice_library import KIND_MARKS, VoiceLibrary, voice_library

VOICE_SOURCES: Final = ["system_voice", "design", "clone", "account_voice"]
# What the voice check speaks: the service rejects an unknown voice at the latest when it
# synthesizes, and a few characters cost next to nothing (billing counts characters).
VOICE_CHECK_TEXT: Final = "Hi."
# The longest name the vendor keeps for a voice, read off its rule.
MAX_VENDOR_NAME_CHARS: Final = max(n for n in range(1, 257) if NAME_PATTERN.fullmatch("a" * n))
# Languages told by their script, in the order they are looked for (kana before the ideographs
# Japanese shares with Chinese); text in Latin script is in Home Assistant's language or English.
_SCRIPTS: Final = (
    ("ko", re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)


class VoiceProfileFlow(ConfigSubentryFlow):
    """Add or change a voice profile: one text-to-speech entity."""

    def __init__(self) -> None:
        """Start with nothing chosen."""
        self._profile: dict[str, Any] = {}  # the name and model chosen
        self._defaults: dict[str, Any] = {}  # what the forms start from
        # A voice this flow created or found in the account: it exists, so the voice step does
        # not spend characters proving it (a different id typed over it is still checked).
        self._voice: CustomVoice | None = None
        self._created = False  # whether this flow created `_voice` (billed)
        self._listed: dict[str, list[CustomVoice]] = {}  # the account's voices, by model
        self._design_input: dict[str, Any] = {}
        self._clone_input: dict[str, Any] = {}  # without the recording (a used upload)
        self._new_name = ""  # the name of the profile whose voice is being created
        self._designed: CustomVoice | None = None  # waiting to be kept or discarded
        self._preview_token: str | None = None
        self._preview_path = ""
        self._fallback_reason = ""  # why the service cloned in its degraded mode
        self._unconfirmed: _Attempt | None = None  # a create that may have made its voice
        # A create waiting for the user to confirm a name the account already has, and the
        # voices of that name with the step that asked for it.
        self._create_anyway: Callable[[], Awaitable[SubentryFlowResult]] | None = None
        self._name_taken: tuple[_NameTaken, str] | None = None
        self._to_delete: list[CustomVoice] = []  # unused voices chosen for deletion
        self._billing = asyncio.Lock()  # held while a creating submit runs (`_alone`)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose where the new profile's voice comes from, or delete unused voices."""
        return self.async_show_menu(step_id="user", menu_options=[*VOICE_SOURCES, "unused_voices"])

    async def async_step_system_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the profile's name and model.

        A new profile is offered the models with system voices; a profile being changed may
        move to any model (a custom voice's model lists the account's voices).
        """
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        defaults = self._defaults or {CONF_NAME: self._unused_name()}
        models = SELECTABLE_MODELS if self.source == SOURCE_RECONFIGURE else SYSTEM_VOICE_MODELS
        return self.async_show_form(
            step_id="system_voice", data_schema=model_schema(defaults, models)
        )

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the voice and how it speaks, then add or change the profile.

        The step is `voice` for a model with system voices; for a cloning or design model it is
        `custom_voice`, or `new_voice` when this flow has just created the voice.
        """
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        entry = self._get_entry()
        if user_input is not None:
            credentials = entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT]
            proven = self._voice.voice_id if self._voice else None
            if self._gone(model, user_input.get(CONF_VOICE, ""), proven):
                errors = gone_voice_errors()  # the account's complete list lacks it: no check
            else:
                data, errors = await checked_profile(
                    self.hass, credentials, model, user_input, proven
                )
            if not errors:
                return self._save_profile(data)
        step_id = "voice"
        if model_info(model).custom_voices_only:
            step_id = "new_voice" if self._created else "custom_voice"
        placeholders = self._placeholders()
        if self._voice is not None:
            placeholders["voice"] = self._shown(self._voice.name)
        voices, unlisted = await self._voice_options(model)
        return voice_form(
            self,
            model,
            user_input,
            self._defaults,
            unlisted | errors,
            step_id=step_id,
            voices=voices,
            account_listed=not unlisted,
            placeholders=placeholders,
        )

    async def async_step_custom_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose a voice of the account for a cloning or design model (see `voice`)."""
        return await self.async_step_voice(user_input)

    async def async_step_new_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose how the voice this flow just created speaks (see `voice`)."""
        return await self.async_step_voice(user_input)

    # --- designing a voice (billed) -----------------------------------------------------------

    async def async_step_design(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe a voice and a sentence to hear it say; creating it is billed."""
        if user_input is not None:
            return await self._alone(partial(self._submit_design, user_input))
        return self._design_form({})

    async def _submit_design(self, user_input: dict[str, Any]) -> SubentryFlowResult:
        self._design_input = user_input
        errors = _name_errors(user_input)
        if len(user_input[CONF_DESCRIPTION]) > MAX_DESCRIPTION_CHARS:
            errors[CONF_DESCRIPTION] = "description_too_long"
        if len(user_input[CONF_PREVIEW_TEXT]) > MAX_PREVIEW_TEXT_CHARS:
            errors[CONF_PREVIEW_TEXT] = "preview_text_too_long"
        if not errors:
            return await self._design(user_input, confirmed=False)
        return self._design_form(errors)

    async def _design(
        self, user_input: Mapping[str, Any], *, confirmed: bool
    ) -> SubentryFlowResult:
        self._new_name = profile_title(user_input[CONF_NAME])
        name = vendor_name(self._new_name)
        text = user_input[CONF_PREVIEW_TEXT]
        language = user_input.get(CONF_LANGUAGE) or text_language(text, self.hass.config.language)
        asked = (user_input[CONF_DESCRIPTION], text, language)
        outcome = await self._create(
            "design",
            name,
            asked,
            lambda library: library.design(name, *asked),
            confirmed=confirmed,
        )
        match outcome:
            case _NameTaken():
                again = partial(self._design, user_input, confirmed=True)
                return await self._confirm_name(outcome, "design", again)
            case DesignedVoice():
                self._designed = outcome.voice
                self._preview_token, self._preview_path = async_publish_preview(
                    self.hass, outcome.preview.data, outcome.preview.response_format
                )
                return await self.async_step_design_preview()
            case CustomVoice():  # made by an attempt whose answer was lost: no preview
                self._use_voice(outcome, self._new_name, created=True)
                return await self.async_step_voice()
        return self._design_form(outcome)

    def _design_form(self, errors: dict[str, str]) -> SubentryFlowResult:
        return self.async_show_form(
            step_id="design",
            data_schema=self.add_suggested_values_to_schema(design_schema(), self._design_input),
            errors=errors,
            description_placeholders=self._placeholders(**PRICING_LINKS),
        )

    async def async_step_design_preview(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Say that the voice now exists; listen to it (a link), then keep or discard it."""
        assert self._designed is not None
        return self.async_show_menu(
            step_id="design_preview",
            menu_options=["design_keep", "design_discard"],
            description_placeholders={
                "voice": self._shown(self._designed.name),
                "preview_link": preview_link(
                    self._preview_path, f"▶ {self._shown(self._designed.name)}"
                ),
            },
        )

    async def async_step_design_keep(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Make the profile speak with the designed voice."""
        assert self._designed is not None
        self._forget_preview()
        self._use_voice(self._designed, self._new_name, created=True)
        return await self.async_step_voice()

    async def async_step_design_discard(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Confirm that the designed voice is to be deleted, or go back to it."""
        assert self._designed is not None
        return self.async_show_menu(
            step_id="design_discard",
            menu_options=["design_delete", "design_preview"],
            description_placeholders={"voice": self._shown(self._designed.name)},
        )

    async def async_step_design_delete(
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
        if user_input is not None:
            return await self._alone(partial(self._submit_clone, user_input))
        return self._clone_form({})

    async def _submit_clone(self, user_input: dict[str, Any]) -> SubentryFlowResult:
        self._clone_input = {k: v for k, v in user_input.items() if k != CONF_AUDIO}
        errors = _name_errors(user_input)
        try:
            recording = await self.hass.async_add_executor_job(
                _read_upload, self.hass, user_input[CONF_AUDIO]
            )
        except RecordingProblem as problem:
            errors |= recording_errors(problem.problem)
        else:
            if not errors:
                return await self._clone(user_input, recording, confirmed=False)
        return self._clone_form(errors)

    async def _clone(
        self, user_input: Mapping[str, Any], recording: Recording, *, confirmed: bool
    ) -> SubentryFlowResult:
        self._new_name = profile_title(user_input[CONF_NAME])
        name, language = vendor_name(self._new_name), user_input[CONF_LANGUAGE]
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
            confirmed=confirmed,
        )
        match outcome:
            case _NameTaken():
                again = partial(self._clone, user_input, recording, confirmed=True)
                return await self._confirm_name(outcome, "clone", again)
            case ClonedVoice(fallback_mode=True):
                self._use_voice(outcome.voice, self._new_name, created=True)
                self._fallback_reason = outcome.fallback_reason or ""
                return await self.async_step_clone_degraded()
            case ClonedVoice():
                self._use_voice(outcome.voice, self._new_name, created=True)
                return await self.async_step_voice()
            case CustomVoice():  # made by an attempt whose answer was lost
                self._use_voice(outcome, self._new_name, created=True)
                return await self.async_step_voice()
        return self._clone_form(outcome)

    def _clone_form(self, errors: dict[str, str]) -> SubentryFlowResult:
        schema = clone_schema()
        return self.async_show_form(
            step_id="clone",
            data_schema=self.add_suggested_values_to_schema(schema, self._clone_input),
            errors=errors,
            description_placeholders=self._placeholders(**PRICING_LINKS),
        )

    async def async_step_clone_degraded(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Tell that the service made the voice in its degraded mode, and why."""
        if user_input is not None:
            return await self.async_step_voice()
        assert self._voice is not None
        return self.async_show_form(
            step_id="clone_degraded",
            data_schema=NO_FIELDS,
            description_placeholders={
                "voice": self._shown(self._voice.name),
                "reason": self._fallback_reason or "-",
            },
        )

    # --- a name the account already has -------------------------------------------------------

    async def _confirm_name(
        self,
        taken: _NameTaken,
        back: str,
        create: Callable[[], Awaitable[SubentryFlowResult]],
    ) -> SubentryFlowResult:
        """Ask before a billed create whether another voice of a name the account has is wanted.

        `back` is the step that asked for the voice; `create` makes it when confirmed.
        """
        self._name_taken = taken, back
        self._create_anyway = create
        return await self.async_step_name_taken()

    async def async_step_name_taken(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer the voices the account has of that name, another name, or a new voice anyway."""
        assert self._name_taken is not None
        taken, back = self._name_taken
        return self.async_show_menu(
            step_id="name_taken",
            menu_options=["create_anyway", "account_voice", back],
            description_placeholders={
                "voice": self._shown(taken.name),
                "voices": ", ".join(_created(voice) for voice in taken.voices),
            },
        )

    async def async_step_create_anyway(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Create the voice although the account has one of that name (billed)."""
        return await self._alone(self._create_confirmed)

    async def _create_confirmed(self) -> SubentryFlowResult:
        assert self._create_anyway is not None
        create, self._create_anyway = self._create_anyway, None
        return await create()

    async def _alone(
        self, submit: Callable[[], Awaitable[SubentryFlowResult]]
    ) -> SubentryFlowResult:
        """Run a creating `submit` when no other runs; one already answered gets that answer.

        Home Assistant runs a step for each submit it receives, even while the step it answers is
        still running: a double click would create (and bill) twice. The step a submit answered
        is shown once it is answered, so a submit that waited for another finds it shown.
        """
        shown = self.cur_step
        async with self._billing:
            if self.cur_step is not shown and self.cur_step is not None:
                return self.cur_step
            return await submit()

    # --- the account's voices -----------------------------------------------------------------

    async def async_step_account_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick a designed or cloned voice the account already has."""
        errors: dict[str, str] = {}
        voices: list[CustomVoice] = []
        try:
            voices = await self._realtime_voices()
        except RealtimeError as err:
            errors = voice_errors(err)
        by_id = {voice.voice_id: voice for voice in voices}
        if user_input is not None and not errors:
            if voice := by_id.get(user_input.get(CONF_VOICE, "")):
                name = profile_title(user_input.get(CONF_NAME) or self._new_name)
                self._use_voice(voice, name or self._unused_name(self._named_after(voice)))
                return await self.async_step_voice()
            errors = gone_voice_errors()  # deleted since it was listed
        if not voices and not errors:
            return self.async_abort(reason="no_account_voices")
        return self.async_show_form(
            step_id="account_voice",
            # A name given for a new voice (before its name was found taken) stays.
            data_schema=account_voice_schema(self._options(voices), self._new_name),
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_unused_voices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose which of the account's voices that no profile uses to delete."""
        errors: dict[str, str] = {}
        unused: list[CustomVoice] = []
        try:
            used = _profiles_by_voice(self.hass)
            unused = [
                voice for voice in await self._realtime_voices() if voice.voice_id not in used
            ]
        except RealtimeError as err:
            errors = voice_errors(err)
        if user_input is not None and not errors:
            chosen = set(user_input.get(CONF_VOICES, []))
            self._to_delete = [voice for voice in unused if voice.voice_id in chosen]
            if self._to_delete:
                return await self.async_step_delete_unused()
            errors = {CONF_VOICES: "no_voice_chosen"}
        if not unused and not errors:
            return self.async_abort(reason="no_unused_voices")
        return self.async_show_form(
            step_id="unused_voices",
            data_schema=unused_voices_schema(self._options(unused)) if unused else NO_FIELDS,
            errors=errors,
            description_placeholders=self._placeholders(),
        )

    async def async_step_delete_unused(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Confirm, then delete the chosen voices (deleting is not billed)."""
        errors: dict[str, str] = {}
        if user_input is not None:
            deleted: list[CustomVoice] = []
            try:
                library = self._library()
                for voice in self._to_delete:
                    with suppress(VoiceNotFoundError):  # already gone
                        await library.delete(voice.voice_id)
                    deleted.append(voice)
            except RealtimeError as err:
                errors = voice_errors(err)
            self._to_delete = [voice for voice in self._to_delete if voice not in deleted]
            if not errors:
                return self.async_abort(
                    reason="voices_deleted",
                    description_placeholders={"voices": _names(deleted)},
                )
        return self.async_show_form(
            step_id="delete_unused",
            data_schema=NO_FIELDS,
            errors=errors,
            description_placeholders=self._placeholders(voices=_names(self._to_delete)),
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
            description_placeholders={"voice": _voice_name(self._defaults[CONF_VOICE])},
        )

    async def async_step_delete_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Confirm, then delete the profile's voice from the account and remove its profiles.

        Every profile that speaks with the voice goes with it, whichever entry it belongs to: a
        profile left with a deleted voice could never speak again.
        """
        voice_id = self._get_reconfigure_subentry().data[CONF_VOICE]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._library().delete(voice_id)
            except VoiceNotFoundError:
                pass  # already gone
            except RealtimeError as err:
                errors = voice_errors(err)
            if not errors:
                for entry, subentry in _profiles_with_voice(self.hass, voice_id):
                    self.hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
                return self.async_abort(reason="voice_deleted")
        profiles = ", ".join(
            subentry.title for _, subentry in _profiles_with_voice(self.hass, voice_id)
        )
        return self.async_show_form(
            step_id="delete_voice",
            data_schema=NO_FIELDS,
            errors=errors,
            description_placeholders=self._placeholders(
                voice=_voice_name(voice_id), profiles=profiles
            ),
        )

    # --- helpers ------------------------------------------------------------------------------

    def _library(self) -> VoiceLibrary:
        return voice_library(self.hass, self._get_entry())

    def _shown(self, vendor: str) -> str:
        """Name a voice being created as the user did; the vendor's name too where it differs."""
        if not self._new_name or vendor_name(self._new_name) != vendor or self._new_name == vendor:
            return vendor
        return f"{self._new_name} ({vendor})"

    def _placeholders(self, **more: str) -> dict[str, str]:
        """Return a form's placeholders: `more`, and what its connection errors name."""
        return form_placeholders(self._get_entry().data[CONF_ENDPOINT]) | more

    async def _realtime_voices(self) -> list[CustomVoice]:
        """Return the account's designed and cloned voices that a realtime model speaks."""
        library = self._library()
        return [
            voice
            for kind in ("design", "clone")
            for voice in await library.voices(kind)
            if "realtime" in voice.target_model  # the others cannot speak on a socket
        ]

    def _options(self, voices: Sequence[CustomVoice]) -> list[SelectOptionDict]:
        """Return `voices` as options that tell them apart (see `_voice_label`).

        A voice is named as `_shown` names it: by the name typed in this flow where the vendor's
        name was made from it.
        """
        used = _profiles_by_voice(self.hass)
        return [
            SelectOptionDict(
                value=voice.voice_id,
                label=_voice_label(voice, self._shown(voice.name), used.get(voice.voice_id, [])),
            )
            for voice in voices
        ]

    async def _voice_options(self, model: str) -> tuple[list[SelectOptionDict], dict[str, str]]:
        """Return the account's voices a cloning or design model speaks; none for other models.

        The list is fetched once a flow. When it cannot be, the errors say why (the list is then
        empty for a reason) and the next showing tries again; an id can still be typed in. When
        the account has no voice of the model, the errors say so: nothing can be chosen. The
        voice this flow created or picked is listed first, even before the list shows it.
        """
        kind = kind_of_model(model)
        if not model_info(model).custom_voices_only or kind is None:
            return [], {}
        errors: dict[str, str] = {}
        if model not in self._listed:
            try:
                listed = await self._library().voices(kind)
            except RealtimeError as err:
                listed, errors = [], voice_errors(err)
            else:
                self._listed[model] = [voice for voice in listed if voice.target_model == model]
        voices = self._listed.get(model, [])
        if self._voice is not None and self._voice.target_model == model:
            others = [voice for voice in voices if voice.voice_id != self._voice.voice_id]
            voices = [self._voice, *others]
        if not voices and not errors:
            errors = {CONF_VOICE: "no_model_voices"}
        return self._options(voices), errors

    def _gone(self, model: str, voice_id: str, proven: str | None) -> bool:
        """Return whether the account's voices, listed in full this flow, lack `voice_id`."""
        listed = self._listed.get(model)
        return (
            listed is not None
            and voice_id != proven
            and voice_id not in {voice.voice_id for voice in listed}
        )

    def _use_voice(self, voice: CustomVoice, name: str = "", *, created: bool = False) -> None:
        """Continue with the voice step, on the model the voice was made for.

        The profile is called `name`, else after the voice; `created` says this flow made it.
        """
        self._profile = {CONF_NAME: name or voice.name, CONF_MODEL: voice.target_model}
        self._defaults = {CONF_MODEL: voice.target_model, CONF_VOICE: voice.voice_id}
        self._voice, self._created = voice, created
        if voice.language:
            self._defaults[CONF_LANGUAGE] = voice.language

    def _unused_name(self, base: str = DEFAULT_PROFILE_NAME) -> str:
        """Return `base`, numbered if another profile of the entry has it (names become ids)."""
        taken = {subentry.title for subentry in self._get_entry().subentries.values()}
        return next(
            name
            for number in range(1, len(taken) + 2)
            if (name := base if number == 1 else f"{base} {number}") not in taken
        )

    def _named_after(self, voice: CustomVoice) -> str:
        """Name a profile of `voice` after a profile that speaks with it, else after the voice.

        A profile's name is the one the user gave (老船长), where the vendor's may be derived
        (voice_0e7edbb589).
        """
        return next(iter(_profiles_by_voice(self.hass).get(voice.voice_id, [])), voice.name)

    def _save_profile(self, data: dict[str, Any]) -> SubentryFlowResult:
        """Add the profile, or change the one being reconfigured."""
        title = profile_title(self._profile[CONF_NAME])
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
        *,
        confirmed: bool,
    ) -> T | CustomVoice | _NameTaken | dict[str, str]:
        """Create a voice (billed) unless an earlier attempt's turns up; or return the errors.

        The account's voices of that name are listed (not billed) first. When it has some and
        the user has not `confirmed` another voice of that name, nothing is created: the
        `_NameTaken` returned lists them.

        A create that fails without a clear answer (none in time, a dropped connection, an
        unreadable answer, a server error) may have made the voice all the same, and billed it.
        So the account's voices of that name are listed again after such a failure: one that
        appeared in between is this flow's, and is used. When none has appeared, the form says
        so, and submitting the same voice again (`kind`, `name` and what else was `asked`) looks
        once more before it creates anything.
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
        elif listed and not confirmed:
            return _NameTaken(name, tuple(listed.values()))
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


@dataclass(frozen=True, slots=True)
class _NameTaken:
    """The account's voices of the name a create asks for, newest first."""

    name: str
    voices: tuple[CustomVoice, ...]


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


def _profiles(hass: HomeAssistant) -> Iterator[tuple[ConfigEntry, ConfigSubentry]]:
    """Yield every voice profile of every entry, with its entry."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_TTS:
                yield entry, subentry


def _profiles_by_voice(hass: HomeAssistant) -> dict[str, list[str]]:
    """Return the names of the profiles (of every entry) that speak with each voice id."""
    used: dict[str, list[str]] = {}
    for _, subentry in _profiles(hass):
        if voice := subentry.data.get(CONF_VOICE):
            used.setdefault(voice, []).append(subentry.title)
    return used


def _profiles_with_voice(
    hass: HomeAssistant, voice_id: str
) -> list[tuple[ConfigEntry, ConfigSubentry]]:
    """Return the profiles (of every entry) that speak with `voice_id`, with their entries."""
    return [
        (e, subentry)
        for e, subentry in _profiles(hass)
        if subentry.data.get(CONF_VOICE) == voice_id
    ]


def _voice_name(voice_id: str) -> str:
    """Return the name a custom voice's id carries (a system voice's id is its name)."""
    kind = kind_of_voice(voice_id)
    return CustomVoice(voice_id, kind, "").name if kind else voice_id


def _created(voice: CustomVoice) -> str:
    """Return when a voice was created, to the second (what tells same-named voices apart)."""
    return f"{voice.created:%Y-%m-%d %H:%M:%S}" if voice.created else "?"


def _voice_label(voice: CustomVoice, name: str, profiles: Sequence[str]) -> str:
    """Tell an account's voice apart: kind, `name`, creation time, model, and → its profiles."""
    label = f"{KIND_MARKS[voice.kind]} {name} · {_created(voice)} · {voice.target_model}"
    return f"{label} → {', '.join(profiles)}" if profiles else label


def _names(voices: Sequence[CustomVoice]) -> str:
    """Return voices as a confirmation lists them: name and creation time."""
    return ", ".join(f"{voice.name} ({_created(voice)})" for voice in voices)


def _name_errors(user_input: Mapping[str, Any]) -> dict[str, str]:
    """Return the form error of a new profile's name: any text but an empty one."""
    return {} if profile_title(user_input[CONF_NAME]) else {CONF_NAME: "name_required"}


def profile_title(name: str) -> str:
    """Return a typed profile name as its title: one line, no control characters.

    The title names the device and the entity; a line break or a NUL there helps nobody.
    """
    printable = "".join(" " if unicodedata.category(char) == "Cc" else char for char in name)
    return " ".join(printable.split())


def vendor_name(profile_name: str) -> str:
    """Return the name the vendor keeps a new voice of the profile `profile_name` under.

    The vendor takes ASCII letters, digits and _ only (`NAME_PATTERN`), and no transliteration
    is at hand offline: the name's letters and digits are kept, each run of other characters
    becomes one _, and the result is cut to the vendor's length. A name with none of them
    (Chinese, say) becomes `voice_` and a digest of it: the same name, the same voice name.
    """
    kept = re.sub(r"[^A-Za-z0-9_]+", "_", profile_name).strip("_")
    kept = kept[:MAX_VENDOR_NAME_CHARS].rstrip("_")
    if NAME_PATTERN.fullmatch(kept):
        return kept
    digest = hashlib.sha256(profile_name.encode()).hexdigest()
    return f"voice_{digest}"[:MAX_VENDOR_NAME_CHARS]


def text_language(text: str, fallback: str) -> str:
    """Return the language of `text` told by its script, else `fallback`'s or English.

    Chinese, Japanese, Korean and Russian text shows its language by its characters; text in
    Latin script is taken to be in `fallback` (Home Assistant's language) when the service
    speaks that, else English.
    """
    for language, script in _SCRIPTS:
        if script.search(text):
            return language
    base = fallback.split("-", maxsplit=1)[0].lower()
    by_script = {language for language, _ in _SCRIPTS}
    return base if base in ALL_LANGUAGES and base not in by_script else "en"


# --- the voice step, shared with the entry flow's first profile -------------------------------


def voice_form[R: FlowResult[Any, Any]](
    flow: FlowHandler[Any, R, Any],
    model: str,
    user_input: Mapping[str, Any] | None,
    defaults: Mapping[str, Any],
    errors: dict[str, str],
    *,
    step_id: str = "voice",
    voices: Sequence[SelectOptionDict] = (),
    account_listed: bool = False,
    placeholders: Mapping[str, str] | None = None,
) -> R:
    """Show the voice step `step_id`: the voice and the settings `model` takes.

    The voice is picked from the model's catalogue or `voices` (the account's, all of them that
    the model speaks when `account_listed`), or typed in. The form starts from what was entered,
    else from what of `defaults` (an existing profile's settings) the model takes.
    """
    shown = user_input or carried_over(defaults, model_info(model))
    return flow.async_show_form(
        step_id=step_id,
        data_schema=voice_schema(
            model,
            shown,
            flow.hass.config.language,
            voices,
            own_engines(flow.hass),
            account_listed=account_listed,
        ),
        errors=errors,
        description_placeholders={"model": model, **(placeholders or {})},
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
    if defaults.get(CONF_FALLBACK):
        kept[CONF_FALLBACK] = defaults[CONF_FALLBACK]
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
