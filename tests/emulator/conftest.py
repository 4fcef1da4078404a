"""The emulator's tests use raw sockets on loopback and no Home Assistant instance."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets; pytest-socket (via Home Assistant's plugin) still limits them to 127.0.0.1."""
