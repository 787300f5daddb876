"""The local stack's TLS material: a per-stack CA and the brokers' certificate, made at the first ``stack up``.

Kept in ``<state>/kafka/tls/``: ``ca.pem`` (what clients trust: ``[kafka] ssl_ca_location``), ``ca-key.pem``
(never leaves the folder) and ``broker.pem`` (the brokers' unencrypted PKCS#8 key followed by their certificate,
a PEM key store for the Java broker), valid for ``localhost`` and ``127.0.0.1`` so hostname verification
passes. Key files are written 0600. Files already there are kept: a stack's clients keep trusting its CA.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from coinstream.devstack.paths import StackPaths
from coinstream.devstack.private_files import write_private

log = structlog.get_logger(__name__)

VALID_DAYS = 3650


@dataclass(frozen=True)
class StackTls:
    """Where the stack's CA certificate and the brokers' key store are."""

    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def broker_keystore(self) -> Path:
        return self.folder / "broker.pem"


def stack_tls(paths: StackPaths) -> StackTls:
    return StackTls(paths.state / "kafka" / "tls")


def ensure_tls(paths: StackPaths, host: str) -> StackTls:
    """The stack's CA and broker certificate, generated now when the state folder has none."""
    tls = stack_tls(paths)
    if tls.ca_file.is_file() and tls.ca_key_file.is_file() and tls.broker_keystore.is_file():
        return tls
    tls.folder.mkdir(parents=True, exist_ok=True)
    os.chmod(tls.folder, 0o700)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"coinstream local stack CA ({paths.state})"[:64])])
    ca_cert = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, host=None)
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    broker_cert = _certificate(broker_name, ca_name, broker_key.public_key(), ca_key, ca=False, host=host)
    write_private(tls.ca_key_file, _pkcs8(ca_key))
    write_private(tls.broker_keystore, _pkcs8(broker_key) + broker_cert.public_bytes(serialization.Encoding.PEM))
    tls.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    log.info("stack_tls_created", ca_file=str(tls.ca_file), valid_days=VALID_DAYS)
    return tls


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey,
                 signer: ec.EllipticCurvePrivateKey, *, ca: bool, host: str | None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
            decipher_only=False), critical=True)
    else:
        names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        if host not in (None, "127.0.0.1", "localhost"):
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        builder = (builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return builder.sign(signer, hashes.SHA256())


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
