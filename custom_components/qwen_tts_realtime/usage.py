"""Billed characters per voice profile and per entry, and the estimated cost, kept on disk.

Counts are written to Home Assistant's storage after every utterance (`Store`, atomic writes), so
a restart, a reload or a crash loses at most the utterance in flight. Restored entity states
would not do: Home Assistant writes them every 15 minutes and at shutdown, so a crash loses up to
15 minutes, and the entry's total must outlive the entities of a removed profile.

Neither what the service reports nor what is on disk is taken as it comes: an utterance counts at
most `MAX_BILLED_PER_CHARACTER` times its text, every count and the cost stay within
`MAX_USAGE_COUNT`, and stored counts that cannot be read start again from zero (with a warning;
the next write replaces them).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from dataclasses import asdict, dataclass
import math
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER, PRICE_UNIT_CHARACTERS
from .realtime import (
    MAX_BILLED_PER_CHARACTER,
    MAX_USAGE_COUNT,
    billed_characters,
    clean_text,
    is_number,
)

STORAGE_VERSION: Final = 1
# Seconds between an utterance's end and the write: none. Utterances that end in the same loop
# iteration share one write; the file is a few hundred bytes.
SAVE_DELAY: Final = 0


class UtteranceUsage:
    """What one utterance is billed.

    The characters its completed responses reported, when every one of them reported some.
    When one did not (the service left `usage` out), the whole text sent is counted by the
    vendor's rule instead, never less than what was reported, and the utterance is marked
    estimated. A response that did not complete is not billed and counts nothing. Either way no
    more than `MAX_BILLED_PER_CHARACTER` times the text sent: a report beyond that is a
    misreport.
    """

    def __init__(self) -> None:
        """Start with nothing sent and nothing reported."""
        self._reported = 0
        self._unreported = 0
        self._text = 0  # the text sent so far, by the vendor's rule

    def on_usage(self, characters: int | None) -> None:
        """Take the report of one completed response (the client's `on_usage`)."""
        if characters is None:
            self._unreported += 1
        else:
            self._reported += characters

    def add_text(self, text: str) -> None:
        """Count text on its way to the service, as the client cleans it."""
        self._text += billed_characters(clean_text(text))

    async def follow(self, chunks: AsyncIterable[str]) -> AsyncIterator[str]:
        """Pass `chunks` on, counting each one."""
        async for chunk in chunks:
            self.add_text(chunk)
            yield chunk

    @property
    def estimated(self) -> bool:
        """Return whether some completed response did not report its characters."""
        return self._unreported > 0

    @property
    def misreported(self) -> bool:
        """Return whether the service reported more than the text sent can cost."""
        return self._reported > self._most

    @property
    def characters(self) -> int:
        """Return the characters billed for the utterance."""
        counted = max(self._reported, self._text) if self.estimated else self._reported
        return min(counted, self._most)

    @property
    def _most(self) -> int:
        return MAX_BILLED_PER_CHARACTER * self._text


@dataclass(slots=True)
class UsageTotals:
    """Billed characters, utterances, and how many utterances were estimated from their text."""

    characters: int = 0
    utterances: int = 0
    estimated_utterances: int = 0

    def add(self, usage: UtteranceUsage) -> None:
        """Count one utterance; each count stops at `MAX_USAGE_COUNT`."""
        self.characters = min(self.characters + usage.characters, MAX_USAGE_COUNT)
        self.utterances = min(self.utterances + 1, MAX_USAGE_COUNT)
        self.estimated_utterances = min(
            self.estimated_utterances + usage.estimated, MAX_USAGE_COUNT
        )

    @classmethod
    def from_stored(cls, stored: Any, reader: _StoredReader) -> UsageTotals:
        """Read a stored counter; a missing or unreadable field counts from zero."""
        values = reader.mapping(stored)
        return cls(
            reader.count(values.get("characters")),
            reader.count(values.get("utterances")),
            reader.count(values.get("estimated_utterances")),
        )


class _StoredReader:
    """Reads stored values; notes whether one that is there could not be read."""

    def __init__(self) -> None:
        self.unreadable = False

    def mapping(self, value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        self.unreadable |= value is not None
        return {}

    def count(self, value: Any) -> int:
        if is_number(value, int) and 0 <= value <= MAX_USAGE_COUNT:
            return value
        self.unreadable |= value is not None
        return 0

    def cost(self, value: Any) -> float:
        if is_number(value, float) and 0 <= value <= MAX_USAGE_COUNT:
            return float(value)
        self.unreadable |= value is not None
        return 0.0


class UsageTracker:
    """The usage of one config entry: a counter per voice profile, the entry's, and the cost.

    The entry's counter only grows: a removed profile's characters stay in it. The cost grows by
    each utterance's characters at the price in force when it was spoken (none while no price is
    set), so changing the price never rewrites the past. `misreported_utterances` counts, since
    setup, the utterances whose report exceeded their text (see `UtteranceUsage`).
    """

    def __init__(self, hass: HomeAssistant, entry_id: str, price: float | None) -> None:
        """Prepare the counters of `entry_id`; `async_load` reads what was stored."""
        self._store: Store[dict[str, Any]] = _store(hass, entry_id)
        self.price = price
        self.total = UsageTotals()
        self.cost = 0.0
        self._profiles: dict[str, UsageTotals] = {}
        self._listeners: set[CALLBACK_TYPE] = set()
        self._closed = False
        self.misreported_utterances = 0

    async def async_load(self, profile_ids: Iterable[str]) -> None:
        """Read the stored counts; forget profiles that no longer exist.

        What cannot be read counts from zero, with one warning: a file edited by hand or damaged
        on disk does not keep the entry from loading.
        """
        reader = _StoredReader()
        stored = reader.mapping(await self._store.async_load())
        self.total = UsageTotals.from_stored(stored.get("total"), reader)
        self.cost = reader.cost(stored.get("cost"))
        profiles = reader.mapping(stored.get("profiles"))
        self._profiles = {
            pid: UsageTotals.from_stored(profiles.get(pid), reader) for pid in profile_ids
        }
        if reader.unreadable:
            LOGGER.warning(
                "Some usage counts stored in %s cannot be read; they start again from zero",
                self._store.path,
            )

    def profile(self, profile_id: str) -> UsageTotals:
        """Return the counter of one voice profile."""
        return self._profiles.setdefault(profile_id, UsageTotals())

    @callback
    def async_record(self, profile_id: str, usage: UtteranceUsage) -> None:
        """Count a finished utterance (successful, failed or cancelled) and save at once."""
        if self._closed:
            LOGGER.debug("Utterance ended after its entry unloaded; not counted")
            return
        if usage.misreported:
            self.misreported_utterances += 1
            LOGGER.debug("Usage reported beyond the text; counted as %d", usage.characters)
        self.profile(profile_id).add(usage)
        self.total.add(usage)
        if self.price is not None:
            added = usage.characters * self.price / PRICE_UNIT_CHARACTERS
            if math.isfinite(added) and added > 0:
                self.cost = min(self.cost + added, MAX_USAGE_COUNT)
        self._store.async_delay_save(self._to_store, SAVE_DELAY)
        for listener in tuple(self._listeners):
            listener()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` after every counted utterance; return the function that stops it."""
        self._listeners.add(listener)
        return lambda: self._listeners.discard(listener)

    async def async_close(self) -> None:
        """Write the counts now and count nothing more (the entry is unloading)."""
        self._closed = True
        await self._store.async_save(self._to_store())

    def _to_store(self) -> dict[str, Any]:
        return {
            "total": asdict(self.total),
            "cost": self.cost,
            "profiles": {pid: asdict(counter) for pid, counter in self._profiles.items()},
        }

    def as_diagnostics(self) -> dict[str, Any]:
        """Return the counters and the price, for diagnostics."""
        return {
            **self._to_store(),
            "price_per_10k_characters": self.price,
            "misreported_utterances": self.misreported_utterances,
        }


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    return Store(hass, STORAGE_VERSION, f"{DOMAIN}.usage.{entry_id}", atomic_writes=True)


async def async_remove_usage(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored counts of a removed entry."""
    await _store(hass, entry_id).async_remove()
