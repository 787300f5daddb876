"""The local stack's TLS material and SCRAM user: made once per state folder, kept, owner-only."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from cryptography import x509

from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.paths import StackPaths
from coinstream.devstack.pipeline_file import (
    ensure_credentials,
    read_credentials_file,
    read_scram_credentials,
)
from coinstream.devstack.tls import ensure_tls


def paths_in(tmp_path: Path, name: str = "state") -> StackPaths:
    return StackPaths(infra=tmp_path / "infra", cache=tmp_path / "cache", state=tmp_path / name)


def test_the_broker_certificate_is_signed_by_the_stacks_ca_for_localhost_and_127_0_0_1(tmp_path):
    tls = ensure_tls(paths_in(tmp_path), "127.0.0.1")

    ca = x509.load_pem_x509_certificate(tls.ca_file.read_bytes())
    keystore = tls.broker_keystore.read_bytes()
    assert keystore.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, what the Java broker's PEM store reads
    broker = x509.load_pem_x509_certificate(keystore[keystore.index(b"-----BEGIN CERTIFICATE-----"):])
    broker.verify_directly_issued_by(ca)
    names = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for private in (tls.broker_keystore, tls.ca_key_file):
        assert oct(os.stat(private).st_mode & 0o777) == "0o600"


def test_the_ca_is_made_once_per_state_folder(tmp_path):
    first = ensure_tls(paths_in(tmp_path), "127.0.0.1").ca_file.read_bytes()
    assert ensure_tls(paths_in(tmp_path), "127.0.0.1").ca_file.read_bytes() == first
    assert ensure_tls(paths_in(tmp_path, "other"), "127.0.0.1").ca_file.read_bytes() != first


def test_each_stack_gets_its_own_scram_user_kept_in_the_owner_only_credentials_file(tmp_path):
    made = ensure_credentials(paths_in(tmp_path), StackEndpoints())
    again = ensure_credentials(paths_in(tmp_path), StackEndpoints())
    elsewhere = ensure_credentials(paths_in(tmp_path, "other"), StackEndpoints())

    assert (again.scram_username, again.scram_password) == (made.scram_username, made.scram_password)
    assert made.scram_password not in ("coinstream-scram", elsewhere.scram_password)
    assert made.scram_password not in repr(made)
    lines = paths_in(tmp_path).credentials_file.read_text().splitlines()
    assert f"COINSTREAM_KAFKA_SASL_USERNAME={made.scram_username}" in lines
    assert f"COINSTREAM_KAFKA_SASL_PASSWORD={made.scram_password}" in lines
    assert oct(os.stat(paths_in(tmp_path).credentials_file).st_mode & 0o777) == "0o600"


def test_a_credentials_file_from_before_scram_keeps_its_s3_keys_and_gains_a_user(tmp_path):
    paths = paths_in(tmp_path)
    paths.state.mkdir()
    paths.credentials_file.write_text("AWS_ACCESS_KEY_ID=old-access\nAWS_SECRET_ACCESS_KEY=old-secret\n")

    endpoints = ensure_credentials(paths, StackEndpoints())

    assert read_credentials_file(paths) == ("old-access", "old-secret") == \
        (endpoints.s3_access_key, endpoints.s3_secret_key)
    assert read_scram_credentials(paths) == (endpoints.scram_username, endpoints.scram_password)
    assert endpoints.scram_username.startswith("coinstream-")


def test_the_sasl_ssl_ports_follow_the_broker_ports_unless_moved_themselves():
    assert StackEndpoints.from_env({}).sasl_ssl_bootstrap_servers == \
        "127.0.0.1:19292,127.0.0.1:19293,127.0.0.1:19294"
    moved = StackEndpoints.from_env({"COINSTREAM_STACK_BROKER_PORTS": "29092,29093,29094"})
    assert moved.sasl_ssl_ports == (29292, 29293, 29294)
    own = StackEndpoints.from_env({"COINSTREAM_STACK_SASL_SSL_PORTS": "39001,39002,39003"})
    assert own.sasl_ssl_bootstrap_servers == "127.0.0.1:39001,127.0.0.1:39002,127.0.0.1:39003"
