"""An endpoint that cannot be reached says why, in words that tell the user what to fix.

At speaking time (a service that went away), and at setup: after a restart, setting up is where a
host name that no longer resolves, a changed certificate or a proxy that changed protocols shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Generator
import contextlib
import datetime
from pathlib import Path
import socket
import ssl
from unittest.mock import patch

from aiohttp.abc import AbstractResolver, ResolveResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.realtime.endpoints import REALTIME_PATH
from qwen_tts_emulator import Emulator

from .helpers import NO_SPARES, make_entry, setup_entry, stream_audio


class NoSuchHost(AbstractResolver):
    """A DNS server that knows no name, as for every name under .invalid (RFC 6761)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Answer that the name does not exist."""
        raise OSError(socket.EAI_NONAME, f"{host}: Name or service not known")

    async def close(self) -> None:
        """Nothing to release."""

    async def real_close(self) -> None:
        """Home Assistant closes its resolver with this when it stops."""


@pytest.fixture
def offline_dns() -> Generator[None]:
    """Home Assistant's resolver answers as DNS does for an unknown name, without the network."""
    with patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=NoSuchHost()
    ):
        yield


def self_signed(folder: Path) -> ssl.SSLContext:
    """A TLS server context whose certificate nobody vouches for."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


@pytest.fixture
async def self_signed_server(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[str]:
    """A TLS server on loopback with a self-signed certificate; yields its wss:// endpoint."""

    context = self_signed(tmp_path)

    async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):  # the client refuses the certificate and hangs up
            await writer.start_tls(context)
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    server = await asyncio.start_server(handshake, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"wss://127.0.0.1:{port}{REALTIME_PATH}"
    server.close()
    await server.wait_closed()


async def setup_error(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    """Set the entry up, which must fail for now; return the key of what it told the user."""
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    return entry.error_reason_translation_key


async def test_a_service_gone_after_setup_refuses_the_connection(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await emulator.stop()  # nothing listens at the endpoint any more

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "Hello.")

    assert raised.value.translation_key == "connect_refused"


async def test_a_host_name_that_does_not_resolve(
    hass: HomeAssistant, emulator: Emulator, offline_dns: None
) -> None:
    entry = make_entry(
        emulator, options=NO_SPARES, endpoint=f"wss://nonexistent.invalid{REALTIME_PATH}"
    )

    assert await setup_error(hass, entry) == "connect_dns"


async def test_a_certificate_nobody_vouches_for(
    hass: HomeAssistant, emulator: Emulator, self_signed_server: str
) -> None:
    entry = make_entry(emulator, options=NO_SPARES, endpoint=self_signed_server)

    assert await setup_error(hass, entry) == "connect_tls"


async def test_wss_to_a_plain_server(hass: HomeAssistant, emulator: Emulator) -> None:
    endpoint = str(URL(emulator.url).with_scheme("wss"))
    entry = make_entry(emulator, options=NO_SPARES, endpoint=endpoint)

    assert await setup_error(hass, entry) == "connect_tls_mismatch"


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_a_key_checked_without_dns_names_the_host_and_what_to_check(
    hass: HomeAssistant, offline_dns: None, language: str
) -> None:
    """A wrong key, the default region and no network: the form names the host it tried."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "sk-typo", "region": "international"}
    )

    assert result["errors"] == {"base": "connect_dns"}
    assert (result["description_placeholders"] or {})["host"] == "dashscope-intl.aliyuncs.com"
    strings = await async_get_translations(hass, language, "config", [DOMAIN])
    assert "{host}" in strings[f"component.{DOMAIN}.config.error.connect_dns"]
