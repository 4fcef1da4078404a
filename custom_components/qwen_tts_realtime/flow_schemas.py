"""The forms of the config and voice-profile flows: what each step asks, with its defaults."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from homeassistant.const import CONF_API_KEY, CONF_LANGUAGE, CONF_NAME
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    FileSelector,
    FileSelectorConfig,
    LanguageSelector,
    LanguageSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

if TYPE_CHECKING:  # Home Assistant 2026.x installs probatio as voluptuous: type against it.
    import probatio as vol
else:
    import voluptuous as vol

from .const import (
    CONF_CLEAN_FORMATTING,
    CONF_ENDPOINT,
    CONF_FALLBACK,
    CONF_INSTRUCTIONS,
    CONF_KEEP_WARM,
    CONF_MODEL,
    CONF_PITCH_RATE,
    CONF_PRICE,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEECH_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    CONF_WORKSPACE,
    DEFAULT_CLEAN_FORMATTING,
    DEFAULT_KEEP_WARM,
    DEFAULT_PROFILE_NAME,
    KeepWarm,
)
from .realtime import (
    ALL_LANGUAGES,
    DEFAULT_MODEL,
    DEFAULT_PITCH_RATE,
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SPEECH_RATE,
    DEFAULT_VOICE,
    DEFAULT_VOLUME,
    SELECTABLE_MODELS,
    ModelInfo,
    Region,
    model_info,
    voices_for,
)
from .recording_check import ACCEPT

CONF_DESCRIPTION: Final = "description"
CONF_PREVIEW_TEXT: Final = "preview_text"
CONF_AUDIO: Final = "audio"
CONF_TRANSCRIPT: Final = "transcript"
CONF_VOICES: Final = "voices"

# A step that only tells or confirms.
NO_FIELDS: Final = vol.Schema({})


def _password() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def connection_schema(defaults: Mapping[str, Any], *, with_key: bool = True) -> vol.Schema:
    """Ask for the region, a workspace ID, a custom endpoint and (unless `with_key`) the key."""
    fields: dict[Any, Any] = {}
    if with_key:
        fields[vol.Required(CONF_API_KEY)] = _password()
    fields[vol.Required(CONF_REGION, default=defaults.get(CONF_REGION, Region.INTERNATIONAL))] = (
        SelectSelector(
            SelectSelectorConfig(
                options=[region.value for region in Region],
                translation_key=CONF_REGION,
                mode=SelectSelectorMode.LIST,
            )
        )
    )
    # Empty by default: the shared host serves every model the account may use.
    fields[
        vol.Optional(CONF_WORKSPACE, description={"suggested_value": defaults.get(CONF_WORKSPACE)})
    ] = TextSelector()
    endpoint_default = (
        defaults.get(CONF_ENDPOINT) if defaults.get(CONF_REGION) == Region.CUSTOM else None
    )
    fields[vol.Optional(CONF_ENDPOINT, description={"suggested_value": endpoint_default})] = (
        TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
    )
    return vol.Schema(fields)


def reconfigure_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    """Ask for the region, workspace and endpoint; a new key only if it changes."""
    return connection_schema(defaults, with_key=False).extend(
        {vol.Optional(CONF_API_KEY): _password()}
    )


def region_choice_schema(options: list[SelectOptionDict]) -> vol.Schema:
    """Ask which of `options` to connect to; the first is preselected."""
    return vol.Schema(
        {
            vol.Required(CONF_REGION, default=options[0]["value"]): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            )
        }
    )


def api_key_schema() -> vol.Schema:
    """Ask for a new key alone."""
    return vol.Schema({vol.Required(CONF_API_KEY): _password()})


# The models a system voice can speak with: a new profile starts on one of these (the cloning
# and design models have no voice until one is created, which their own steps do).
SYSTEM_VOICE_MODELS: Final = tuple(model for model in SELECTABLE_MODELS if model.voices)


def model_schema(
    defaults: Mapping[str, Any], models: Sequence[ModelInfo] = SYSTEM_VOICE_MODELS
) -> vol.Schema:
    """Ask for a profile's name and one of `models`."""
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, DEFAULT_PROFILE_NAME)): str,
            vol.Required(CONF_MODEL, default=defaults.get(CONF_MODEL, DEFAULT_MODEL)): (
                SelectSelector(
                    SelectSelectorConfig(
                        options=[model.name for model in models],
                        translation_key=CONF_MODEL,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            ),
        }
    )


def voice_schema(
    model_name: str,
    defaults: Mapping[str, Any],
    language: str,
    account_voices: Sequence[SelectOptionDict] = (),
    own_engines: Sequence[str] = (),
    *,
    account_listed: bool = False,
) -> vol.Schema:
    """Ask for a profile's voice, the settings its model takes, and a fallback voice.

    The voice is one of the model's catalogue or one of `account_voices`. An id may be typed in
    where a voice can be missing from the list: a catalogue (the vendor adds voices), or an
    account whose voices could not be listed (`account_listed` false). Otherwise the field is a
    plain select, which shows the chosen voice by its label where a field that takes typed values
    shows its raw id. The fallback is any TTS entity but this integration's own (`own_engines`).
    """
    model = model_info(model_name)
    voice_options = [
        SelectOptionDict(value=voice.voice_id, label=voice.label(language))
        for voice in voices_for(model, model.languages[0])
    ] + list(account_voices)
    default_voice = defaults.get(CONF_VOICE) or ("" if model.custom_voices_only else DEFAULT_VOICE)
    typed = not model.custom_voices_only or not account_listed or not voice_options
    if default_voice and not typed and default_voice not in {o["value"] for o in voice_options}:
        # A voice gone from the account stays visible; saving it then says that it is gone.
        voice_options.append(SelectOptionDict(value=default_voice, label=default_voice))
    base_language = language.split("-", maxsplit=1)[0]
    fields: dict[Any, Any] = {
        vol.Required(CONF_VOICE, default=default_voice): SelectSelector(
            SelectSelectorConfig(
                options=voice_options, custom_value=typed, mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Required(
            CONF_LANGUAGE,
            default=defaults.get(
                CONF_LANGUAGE,
                base_language
                if base_language in model.languages
                else model.languages[1 % len(model.languages)],
            ),
        ): LanguageSelector(LanguageSelectorConfig(languages=list(model.languages))),
        vol.Required(
            CONF_SAMPLE_RATE, default=str(defaults.get(CONF_SAMPLE_RATE, DEFAULT_SAMPLE_RATE))
        ): SelectSelector(
            SelectSelectorConfig(
                options=[str(rate) for rate in model.sample_rates],
                translation_key=CONF_SAMPLE_RATE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
    if model.prosody:
        for key, default, low, high, step in (
            (CONF_SPEECH_RATE, DEFAULT_SPEECH_RATE, 0.5, 2.0, 0.05),
            (CONF_VOLUME, DEFAULT_VOLUME, 0, 100, 1),
            (CONF_PITCH_RATE, DEFAULT_PITCH_RATE, 0.5, 2.0, 0.05),
        ):
            fields[vol.Required(key, default=defaults.get(key, default))] = NumberSelector(
                NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.SLIDER)
            )
    if model.instructions:
        fields[
            vol.Optional(
                CONF_INSTRUCTIONS, description={"suggested_value": defaults.get(CONF_INSTRUCTIONS)}
            )
        ] = TextSelector(TextSelectorConfig(multiline=True))
    clean = defaults.get(CONF_CLEAN_FORMATTING, DEFAULT_CLEAN_FORMATTING)
    fields[vol.Required(CONF_CLEAN_FORMATTING, default=clean)] = BooleanSelector()
    fields[
        vol.Optional(CONF_FALLBACK, description={"suggested_value": defaults.get(CONF_FALLBACK)})
    ] = EntitySelector(EntitySelectorConfig(domain="tts", exclude_entities=list(own_engines)))
    return vol.Schema(fields)


def _languages() -> LanguageSelector:
    return LanguageSelector(LanguageSelectorConfig(languages=list(ALL_LANGUAGES)))


def design_schema() -> vol.Schema:
    """Ask for a new profile's name, what its designed voice sounds like, and a sentence to hear.

    The sentence's language may be left out: the flow takes it from the sentence's script.
    """
    return vol.Schema(
        {
            vol.Required(CONF_NAME): str,
            vol.Required(CONF_DESCRIPTION): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Required(CONF_PREVIEW_TEXT): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Optional(CONF_LANGUAGE): _languages(),
        }
    )


def clone_schema() -> vol.Schema:
    """Ask for a new profile's name, a recording of the voice to clone and what it says.

    The recording's language has no default: the creation is billed, and Home Assistant's
    language is often not the one a family's recording speaks (the reader's is not known here).
    """
    return vol.Schema(
        {
            vol.Required(CONF_NAME): str,
            vol.Required(CONF_AUDIO): FileSelector(FileSelectorConfig(accept=ACCEPT)),
            vol.Optional(CONF_TRANSCRIPT): TextSelector(TextSelectorConfig(multiline=True)),
            vol.Required(CONF_LANGUAGE): _languages(),
        }
    )


def account_voice_schema(options: list[SelectOptionDict], name: str) -> vol.Schema:
    """Ask which of the account's voices to use, and the profile's name (suggested: `name`).

    Nothing is asked when the account has no voice.
    """
    if not options:
        return NO_FIELDS
    return vol.Schema(
        {
            vol.Optional(CONF_NAME, description={"suggested_value": name or None}): str,
            vol.Required(CONF_VOICE): SelectSelector(
                SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
            ),
        }
    )


def unused_voices_schema(options: list[SelectOptionDict]) -> vol.Schema:
    """Ask which of the account's voices that no profile uses to delete (none ticked)."""
    return vol.Schema(
        {
            vol.Required(CONF_VOICES, default=[]): SelectSelector(
                SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.LIST)
            )
        }
    )


def options_schema(currency: str) -> vol.Schema:
    """Ask for the entry's options (all its profiles')."""
    return vol.Schema(
        {
            vol.Required(CONF_KEEP_WARM, default=DEFAULT_KEEP_WARM): SelectSelector(
                SelectSelectorConfig(
                    options=list(KeepWarm),
                    mode=SelectSelectorMode.LIST,
                    translation_key=CONF_KEEP_WARM,
                )
            ),
            # Opt-in: no price, no cost sensor. Prices change, so none is suggested. A negative
            # price is refused by the flow, with a translated error.
            vol.Optional(CONF_PRICE): NumberSelector(
                NumberSelectorConfig(
                    step="any", mode=NumberSelectorMode.BOX, unit_of_measurement=currency
                )
            ),
        }
    )
