"""[kafka] TLS settings: the checks a user sees at load time, and the librdkafka configs they become."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from coinstream.core import ConfigError, KafkaSettings, PluginHost, load_pipeline
from coinstream.core.kafka import admin_config, consumer_config, producer_config
from coinstream.core.logs import redact_text


@pytest.fixture
def registry():
    return PluginHost(autoload=False, plugins=[]).registry


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, str]:
    files = {}
    for name in ("ca", "client", "client-key"):
        path = tmp_path / f"{name}.pem"
        path.write_text(f"-----BEGIN {name.upper()}-----\n")
        files[name] = str(path)
    return files


def load_kafka(tmp_path: Path, registry, text: str, environ: dict[str, str] | None = None) -> KafkaSettings:
    path = tmp_path / "pipeline.toml"
    path.write_text("[kafka]\n" + text, encoding="utf-8")
    return load_pipeline(path, registry, environ=environ or {}).config.kafka


def problems(tmp_path: Path, registry, text: str, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        load_kafka(tmp_path, registry, text, environ)
    return str(raised.value)


def test_a_missing_ca_file_names_the_key_the_path_and_the_fix(tmp_path, registry):
    missing = tmp_path / "nowhere" / "ca.pem"
    message = problems(tmp_path, registry, f'security_protocol = "SSL"\nssl_ca_location = "{missing}"\n')
    assert f"kafka.ssl_ca_location: ssl_ca_location='{missing}': no such file" in message
    assert "point [kafka] ssl_ca_location (or COINSTREAM_KAFKA_SSL_CA_LOCATION) at an existing PEM file" in message


def test_a_folder_is_not_a_key_file(tmp_path, registry, pem_files):
    message = problems(tmp_path, registry, f'security_protocol = "SSL"\nssl_certificate_location = '
                                           f'"{pem_files["client"]}"\nssl_key_location = "{tmp_path}"\n')
    assert f"kafka.ssl_key_location: ssl_key_location='{tmp_path}' is not a file" in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_ca_file_says_to_give_read_permission(tmp_path, registry, pem_files):
    os.chmod(pem_files["ca"], 0)
    message = problems(tmp_path, registry, f'security_protocol = "SSL"\nssl_ca_location = "{pem_files["ca"]}"\n')
    assert "is not readable by this user; give it read permission (chmod u+r)" in message


def test_tls_files_without_a_tls_protocol_are_refused_not_ignored(tmp_path, registry, pem_files):
    message = problems(tmp_path, registry, f'ssl_ca_location = "{pem_files["ca"]}"\n')
    assert "ssl_ca_location set but security_protocol=PLAINTEXT does not use TLS" in message
    assert "set security_protocol to SSL or SASL_SSL" in message


def test_a_client_certificate_needs_its_key(tmp_path, registry, pem_files):
    message = problems(tmp_path, registry,
                       f'security_protocol = "SSL"\nssl_certificate_location = "{pem_files["client"]}"\n')
    assert "ssl_certificate_location is set but ssl_key_location is not" in message


def test_the_tls_settings_come_from_the_environment_too(tmp_path, registry, pem_files):
    kafka = load_kafka(tmp_path, registry, "", environ={
        "COINSTREAM_KAFKA_SECURITY_PROTOCOL": "SSL", "COINSTREAM_KAFKA_SSL_CA_LOCATION": pem_files["ca"],
        "COINSTREAM_KAFKA_SSL_ENDPOINT_IDENTIFICATION": "false"})
    assert (kafka.ssl_ca_location, kafka.ssl_endpoint_identification) == (pem_files["ca"], False)


def test_sasl_ssl_with_a_client_certificate_maps_to_librdkafka_for_every_client(tmp_path, registry, pem_files):
    kafka = load_kafka(tmp_path, registry, (
        'security_protocol = "SASL_SSL"\nsasl_mechanism = "SCRAM-SHA-512"\n'
        f'ssl_ca_location = "{pem_files["ca"]}"\nssl_certificate_location = "{pem_files["client"]}"\n'
        f'ssl_key_location = "{pem_files["client-key"]}"\n'), environ={
        "COINSTREAM_KAFKA_SASL_USERNAME": "alice", "COINSTREAM_KAFKA_SASL_PASSWORD": "scram-secret-1",
        "COINSTREAM_KAFKA_SSL_KEY_PASSWORD": "key-secret-22"})

    for config in (admin_config(kafka), producer_config(kafka), consumer_config(kafka, "g")):
        assert config["security.protocol"] == "SASL_SSL"
        assert config["sasl.mechanism"] == "SCRAM-SHA-512"
        assert config["ssl.ca.location"] == pem_files["ca"]
        assert config["ssl.certificate.location"] == pem_files["client"]
        assert config["ssl.key.location"] == pem_files["client-key"]
        assert config["ssl.key.password"] == "key-secret-22"
        assert config["ssl.endpoint.identification.algorithm"] == "https"
    assert redact_text("key password key-secret-22, scram scram-secret-1") == "key password ***, scram ***"
    assert "key-secret-22" not in repr(kafka)


def test_hostname_verification_off_and_no_ca_uses_the_system_store(tmp_path, registry):
    kafka = KafkaSettings(security_protocol="SSL", ssl_endpoint_identification=False)
    config = producer_config(kafka)
    assert config["ssl.endpoint.identification.algorithm"] == "none"
    assert not {"ssl.ca.location", "ssl.certificate.location", "ssl.key.location"} & set(config)


def test_plaintext_gets_no_ssl_settings():
    assert not [key for key in admin_config(KafkaSettings()) if key.startswith("ssl.")]


def test_a_refused_login_or_handshake_names_the_setting_to_fix_in_the_unreachable_error():
    from confluent_kafka import KafkaError

    from coinstream.core.kafka import kafka_unreachable
    from coinstream.core.kafka.refusals import SASL_FIX, TLS_FIX, fix_for, refusal_recorder

    login = KafkaError(KafkaError._AUTHENTICATION, "sasl_ssl://h:9/bootstrap: SASL authentication error: "
                                                   "Authentication failed due to invalid credentials")
    handshake = KafkaError(KafkaError._SSL, "ssl://h:9/bootstrap: SSL handshake failed: certificate verify failed")
    assert (fix_for(login), fix_for(handshake), fix_for(KafkaError(KafkaError._TRANSPORT, "down"))) == \
        (SASL_FIX, TLS_FIX, None)

    kafka = KafkaSettings(bootstrap_servers="h:9", security_protocol="SASL_SSL", sasl_username="u",
                          sasl_password=SecretStr("secret-pw"))
    refusal_recorder("h:9")(login)
    message = str(kafka_unreachable(kafka, RuntimeError("no broker answered a metadata request in 5 s")))
    assert message.startswith("cannot reach Kafka at h:9 (no broker answered a metadata request in 5 s; "
                              "the brokers refused: sasl_ssl://h:9/bootstrap: SASL authentication error")
    assert message.endswith(SASL_FIX)
    refusal_recorder("h:9")  # a new client starts with nothing recorded
    assert "refused" not in str(kafka_unreachable(kafka, RuntimeError("no broker answered")))


def test_an_https_registry_is_checked_against_its_own_ca_file(tmp_path, registry, pem_files):
    from coinstream.core.kafka.avro import schema_registry_config

    kafka = load_kafka(tmp_path, registry, f'schema_registry_url = "https://registry.example:8081"\n'
                                           f'schema_registry_ssl_ca_location = "{pem_files["ca"]}"\n')
    assert schema_registry_config(kafka) == {"url": "https://registry.example:8081", "ssl.ca.location": pem_files["ca"]}
    missing = tmp_path / "missing.pem"
    message = problems(tmp_path, registry, f'schema_registry_url = "https://registry.example:8081"\n'
                                           f'schema_registry_ssl_ca_location = "{missing}"\n')
    assert "(or COINSTREAM_SCHEMA_REGISTRY_SSL_CA_LOCATION) at an existing PEM file" in message
    message = problems(tmp_path, registry, f'schema_registry_ssl_ca_location = "{pem_files["ca"]}"\n')
    assert "schema_registry_ssl_ca_location is set but schema_registry_url='http://127.0.0.1:18081" in message


def test_a_file_under_home_is_checked_and_given_to_every_client_with_its_tilde_expanded(tmp_path, monkeypatch):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = KafkaSettings(security_protocol="SSL", ssl_ca_location="~/ca.pem")
    assert settings.ssl_ca_location == str(tmp_path / "ca.pem")
    assert admin_config(settings)["ssl.ca.location"] == str(tmp_path / "ca.pem")  # librdkafka does not expand ~
