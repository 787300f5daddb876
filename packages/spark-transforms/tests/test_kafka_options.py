"""The Kafka source options: a SASL username and password reach Kafka's JAAS parser intact, whatever they hold."""

from __future__ import annotations

import re

import pytest
from pydantic import SecretStr

from coinstream.core import KafkaSettings, redact_text
from coinstream.spark.decode import kafka_options
from coinstream.spark.settings import SparkSettings

_STREAM_TOKENIZER_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}
SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"


def jaas_option(jaas: str, name: str) -> str:
    """Read ``name="..."`` back as Kafka's JaasConfig does (java.io.StreamTokenizer: a backslash escapes the next
    character, \\n and \\r are line breaks, an unescaped quote or a line break ends the string)."""
    match = re.search(rf'\b{name}="((?:\\.|[^"\\\n\r])*)"', jaas)
    assert match is not None, jaas
    return re.sub(r"\\(.)", lambda m: _STREAM_TOKENIZER_ESCAPES.get(m.group(1), m.group(1)), match.group(1))


def jaas_config(username: str, password: str) -> str:
    kafka = KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username=username,
                          sasl_password=SecretStr(password))
    return kafka_options(kafka, SparkSettings(), "p")["kafka.sasl.jaas.config"]


def test_quotes_and_backslashes_are_escaped():
    assert jaas_config('ali"ce', 'p\\a"ss') == f'{SCRAM} required username="ali\\"ce" password="p\\\\a\\"ss";'


@pytest.mark.parametrize(("username", "password"), [
    ("coinstream", "plain-Password_1"),
    ('ali"ce', 'pa"ss" debug="true'),  # a quote used to end the string: the rest became another option
    ("domain\\user", "c:\\new\\table"),  # \n and \t used to become a line break and a tab
    ("bob", 'ends with a backslash\\'),  # used to escape the closing quote
    ("bob", "line\nbreak\r"),
])
def test_what_kafka_reads_back_is_the_username_and_password(username, password):
    jaas = jaas_config(username, password)
    assert (jaas_option(jaas, "username"), jaas_option(jaas, "password")) == (username, password)
    outside_the_strings = re.sub(r'"(?:\\.|[^"\\\n\r])*"', '""', jaas)
    assert outside_the_strings == f'{SCRAM} required username="" password="";'


def test_tls_settings_become_the_java_clients_pem_options(tmp_path):
    ca, cert, key = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client-key.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nCA\n")
    cert.write_text("-----BEGIN CERTIFICATE-----\nCLIENT\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nKEYBODY-0123456789\n-----END PRIVATE KEY-----\n")
    kafka = KafkaSettings(security_protocol="SSL", ssl_ca_location=str(ca), ssl_certificate_location=str(cert),
                          ssl_key_location=str(key), ssl_key_password=SecretStr("key-pass-42"))

    options = kafka_options(kafka, SparkSettings(), "p")

    assert options["kafka.security.protocol"] == "SSL"
    assert (options["kafka.ssl.truststore.type"], options["kafka.ssl.truststore.location"]) == ("PEM", str(ca))
    assert options["kafka.ssl.keystore.type"] == "PEM"
    assert options["kafka.ssl.keystore.certificate.chain"] == cert.read_text()
    assert options["kafka.ssl.keystore.key"] == key.read_text()
    assert options["kafka.ssl.key.password"] == "key-pass-42"
    assert options["kafka.ssl.endpoint.identification.algorithm"] == "https"
    assert "KEYBODY" not in redact_text(str(options))


def test_hostname_verification_off_is_an_empty_algorithm_and_plaintext_has_no_ssl_options(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    tls = kafka_options(KafkaSettings(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                                      sasl_username="u", sasl_password=SecretStr("pw-12345"),
                                      ssl_ca_location=str(ca), ssl_endpoint_identification=False),
                        SparkSettings(), "p")
    assert tls["kafka.ssl.endpoint.identification.algorithm"] == ""
    assert "kafka.ssl.keystore.type" not in tls
    assert not [key for key in kafka_options(KafkaSettings(), SparkSettings(), "p") if ".ssl." in key]
