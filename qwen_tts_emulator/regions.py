"""The vendor's regions on this machine: an emulator per region, behind the real host names.

For tests of the client's real addresses: every host the client builds for a vendor region (its
shared host, any workspace gateway ``{workspace}.{region}.maas.aliyuncs.com``) resolves to the
emulator playing that region, on loopback, over TLS with a certificate of a throwaway authority
that only a client given `client_ssl` trusts. A host no region plays does not resolve, as for a
region out of reach; nothing ever leaves the machine.

Each region has its own `Scenario`: which keys it takes, which models it lacks, how slow its
handshake is. The regions without a shared host of their own reach Singapore's, as the
vendor's SDK does, so their emulator only ever sees workspace gateways.
"""

from __future__ import annotations

from collections.abc import Mapping
import datetime
from functools import cache
from pathlib import Path
import socket
import ssl
import tempfile
from typing import Self

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from custom_components.qwen_tts_realtime.realtime.endpoints import (
    GATEWAY_DOMAIN,
    REALTIME_PATH,
    SITES,
    Region,
    vendor_region,
)

from .scenario import Scenario
from .server import Emulator

LOOPBACK = "127.0.0.1"


class VendorRegions:
    """One emulator per vendor region given a scenario; the others are out of reach."""

    def __init__(self, scenarios: Mapping[Region, Scenario]) -> None:
        self.emulators = {region: Emulator(scenario) for region, scenario in scenarios.items()}
        self.asked: list[str] = []  # every host name looked up, in order
        certificate, key, authority = _certificates()
        self.client_ssl = ssl.create_default_context(cadata=authority)
        self._server_ssl = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "cert.pem").write_text(certificate)
            (Path(folder) / "key.pem").write_text(key)
            self._server_ssl.load_cert_chain(Path(folder) / "cert.pem", Path(folder) / "key.pem")

    async def start(self) -> None:
        """Start every region's emulator on a free loopback port."""
        for emulator in self.emulators.values():
            await emulator.start(LOOPBACK, 0, ssl_context=self._server_ssl)

    async def stop(self) -> None:
        """Stop every emulator."""
        for emulator in self.emulators.values():
            await emulator.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def region_of(self, host: str) -> Region | None:
        """Return the region whose emulator answers for `host`, None when none does."""
        region = vendor_region(f"wss://{host}{REALTIME_PATH}")
        return region if region in self.emulators else None

    def resolver(self) -> Resolver:
        """Return a resolver of the region hosts (and only them) to their emulators."""
        return Resolver(self)

    def connector(self) -> aiohttp.TCPConnector:
        """Return a connector that reaches the regions (for a client session of a test)."""
        return aiohttp.TCPConnector(resolver=self.resolver(), ssl=self.client_ssl)


class Resolver(AbstractResolver):
    """Answers the regions' host names with their emulators' loopback addresses and ports."""

    def __init__(self, regions: VendorRegions) -> None:
        self._regions = regions

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the emulator of the host's region; fail as DNS does for any other name."""
        self._regions.asked.append(host)
        region = self._regions.region_of(host)
        if region is None:
            raise OSError(socket.EAI_NONAME, f"{host}: Name or service not known")
        emulator = self._regions.emulators[region]
        return [
            ResolveResult(
                hostname=host,
                host=LOOPBACK,
                port=emulator.port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        """Nothing to release."""

    async def real_close(self) -> None:
        """Home Assistant closes its resolver with this when it stops."""


@cache
def _certificates() -> tuple[str, str, str]:
    """Return a certificate of every region host and its key, and the authority that signed it."""
    # Imported here: only tests need it, and it comes with Home Assistant.
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415

    now = datetime.datetime.now(datetime.UTC)
    authority_key = ec.generate_private_key(ec.SECP256R1())
    authority_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Emulated regions")])
    authority = (
        x509.CertificateBuilder()
        .subject_name(authority_name)
        .issuer_name(authority_name)
        .public_key(authority_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(authority_key.public_key()), critical=False
        )
        .sign(authority_key, hashes.SHA256())
    )
    hosts = sorted(
        {site.shared_host for site in SITES.values()}
        | {f"*.{site.gateway_region}.{GATEWAY_DOMAIN}" for site in SITES.values()}
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(authority_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return (
        certificate.public_bytes(pem).decode(),
        key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        authority.public_bytes(pem).decode(),
    )
