"""Which regions take the key: each one's handshake time and the realtime models it serves.

Through the integration's own probe (what setup shows), once per model: a handshake and a
`session.update` without text, so nothing is billed. The key goes only to the vendor's hosts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from custom_components.qwen_tts_realtime.realtime.endpoints import (
    VENDOR_REGIONS,
    endpoint_for,
    probe_regions,
)


@dataclass(slots=True)
class RegionAnswer:
    """One region (shared host or workspace gateway) that took the key."""

    region: str
    endpoint: str
    handshake_ms: list[float] = field(default_factory=list)  # one per model probed
    serves: list[str] = field(default_factory=list)
    lacks: dict[str, str] = field(default_factory=dict)  # model: how the region refused it


async def survey(
    http: aiohttp.ClientSession,
    api_key: str,
    models: list[str],
    workspace: str | None,
    pace: Callable[[str], Awaitable[None]],
) -> list[RegionAnswer]:
    """Probe every region for each of `models`; return those that took the key, nearest first.

    With a workspace both the shared hosts and the workspace's gateways are probed. `pace` is
    awaited once per socket of a model, so that the survey keeps within its rate limit.
    """
    found: dict[str, RegionAnswer] = {}
    for space in (None, workspace) if workspace else (None,):
        sockets = len({endpoint_for(region, workspace=space) for region in VENDOR_REGIONS})
        for model in models:
            for _ in range(sockets):
                await pace(model)
            for probe in await probe_regions(http, api_key, model, workspace=space):
                if not probe.key_accepted:
                    continue
                answer = found.setdefault(
                    probe.endpoint, RegionAnswer(probe.region.value, probe.endpoint)
                )
                if probe.handshake_ms is not None:
                    answer.handshake_ms.append(probe.handshake_ms)
                if probe.works:
                    answer.serves.append(model)
                else:
                    answer.lacks[model] = probe.outcome.value
    return sorted(found.values(), key=lambda a: min(a.handshake_ms, default=float("inf")))
