"""Fast checks of the stack manager's pure parts: no JVM, no network (not marked ``stack``)."""

from __future__ import annotations

import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.errors import StackError
from coinstream.devstack.kafka_cluster import new_cluster_id, server_properties
from coinstream.devstack.paths import StackPaths, find_infra_dir, resolve_paths
from coinstream.devstack.pipeline_file import (
    ensure_credentials,
    pipeline_toml,
    read_credentials_file,
    with_saved_credentials,
    write_credentials_file,
)
from coinstream.devstack.process import ProcessRecord, is_alive
from coinstream.devstack.s3_signing import signed_request


def test_port_overrides_move_every_endpoint() -> None:
    endpoints = StackEndpoints.from_env({
        "COINSTREAM_STACK_BROKER_PORTS": "29092,29093,29094", "COINSTREAM_STACK_REGISTRY_PORT": "28081",
        "COINSTREAM_STACK_S3_PORT": "29000",
    })
    assert endpoints.bootstrap_servers == "127.0.0.1:29092,127.0.0.1:29093,127.0.0.1:29094"
    assert endpoints.schema_registry_url == "http://127.0.0.1:28081/apis/ccompat/v7"
    assert endpoints.s3_endpoint_url == "http://127.0.0.1:29000"
    assert endpoints.controller_ports == (19192, 19193, 19194)


@pytest.mark.parametrize("value", ["19092,19093", "a,b,c", "80,81,82"])
def test_a_bad_broker_port_list_names_the_variable_and_the_default(value: str) -> None:
    with pytest.raises(StackError, match=r"COINSTREAM_STACK_BROKER_PORTS=.*unset it to use 19092,19093,19094"):
        StackEndpoints.from_env({"COINSTREAM_STACK_BROKER_PORTS": value})


def test_overlapping_ports_are_refused() -> None:
    with pytest.raises(StackError, match="overlap"):
        StackEndpoints.from_env({"COINSTREAM_STACK_S3_PORT": "19092"})


def test_the_secret_key_stays_out_of_repr() -> None:
    assert "coinstream-secret" not in repr(StackEndpoints())


def test_pipeline_toml_has_exactly_the_lead_schema_keys() -> None:
    assert tomllib.loads(pipeline_toml(StackEndpoints())) == {
        "pipeline": {"name": "local"},
        "kafka": {"bootstrap_servers": "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094",
                  "schema_registry_url": "http://127.0.0.1:18081/apis/ccompat/v7",
                  "replication_factor": 3, "min_insync_replicas": 2},
        "s3": {"endpoint_url": "http://127.0.0.1:19000", "bucket": "coinstream", "region": "us-east-1",
               "path_style": True},
    }


def test_credentials_file_is_owner_only(tmp_path: Path) -> None:
    paths = StackPaths(infra=tmp_path / "infra", cache=tmp_path / "cache", state=tmp_path / "state")
    written = write_credentials_file(paths, StackEndpoints())
    assert oct(os.stat(written).st_mode & 0o777) == "0o600"
    assert "AWS_SECRET_ACCESS_KEY=coinstream-secret" in written.read_text().splitlines()


def test_each_state_folder_gets_its_own_keys_once_and_keeps_them(tmp_path: Path) -> None:
    first = StackPaths(infra=tmp_path / "infra", cache=tmp_path / "cache", state=tmp_path / "one")
    other = StackPaths(infra=tmp_path / "infra", cache=tmp_path / "cache", state=tmp_path / "two")

    made = ensure_credentials(first, StackEndpoints())
    again = ensure_credentials(first, StackEndpoints())
    elsewhere = ensure_credentials(other, StackEndpoints())

    assert (made.s3_access_key, made.s3_secret_key) == (again.s3_access_key, again.s3_secret_key)
    assert made.s3_secret_key not in ("coinstream-secret", elsewhere.s3_secret_key)
    assert made.s3_access_key != elsewhere.s3_access_key
    assert oct(os.stat(first.credentials_file).st_mode & 0o777) == "0o600"
    assert read_credentials_file(first) == (made.s3_access_key, made.s3_secret_key)
    assert made.s3_secret_key not in repr(made)
    # a command run later against the same folder (status, a benchmark) sees the same keys
    assert with_saved_credentials(first, StackEndpoints()).s3_secret_key == made.s3_secret_key


def test_a_state_folder_from_before_generated_keys_keeps_the_keys_its_file_holds(tmp_path: Path) -> None:
    paths = StackPaths(infra=tmp_path / "infra", cache=tmp_path / "cache", state=tmp_path / "state")
    write_credentials_file(paths, StackEndpoints())

    assert ensure_credentials(paths, StackEndpoints()).s3_secret_key == "coinstream-secret"


def test_state_and_infra_folders_follow_the_environment(tmp_path: Path) -> None:
    (tmp_path / "checkout" / "infra" / "maven").mkdir(parents=True)
    paths = resolve_paths({"COINSTREAM_STACK_DIR": str(tmp_path / "state")}, cwd=tmp_path / "checkout")
    assert paths.infra == tmp_path / "checkout" / "infra"
    assert paths.cache == tmp_path / "checkout" / ".cache"
    assert paths.state == tmp_path / "state"


def test_an_infra_dir_without_maven_says_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="COINSTREAM_INFRA_DIR=.* has no maven/ folder"):
        find_infra_dir({"COINSTREAM_INFRA_DIR": str(tmp_path)})


def test_node_config_is_a_combined_node_with_the_durability_defaults(tmp_path: Path) -> None:
    paths = StackPaths(infra=tmp_path, cache=tmp_path, state=tmp_path / "state")
    config = dict(line.split("=", 1) for line in server_properties(paths, StackEndpoints(), 2).splitlines()
                  if "=" in line and not line.startswith("#"))
    assert config["process.roles"] == "broker,controller"
    assert config["node.id"] == "2"
    assert config["controller.quorum.voters"] == "1@127.0.0.1:19192,2@127.0.0.1:19193,3@127.0.0.1:19194"
    assert config["listeners"] == \
        "PLAINTEXT://127.0.0.1:19093,SASL_SSL://127.0.0.1:19293,CONTROLLER://127.0.0.1:19193"
    assert config["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19093,SASL_SSL://127.0.0.1:19293"
    assert config["listener.name.sasl_ssl.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert config["listener.name.sasl_ssl.ssl.keystore.location"] == str(paths.state / "kafka" / "tls" / "broker.pem")
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == ("3", "2")
    assert config["unclean.leader.election.enable"] == "false"
    assert config["transaction.state.log.min.isr"] == "2"


def test_kafka_cluster_ids_are_22_url_safe_characters() -> None:
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 22 and not i.startswith("-") and "=" not in i for i in ids)


def test_a_pid_that_is_not_our_jvm_is_not_alive() -> None:
    # This Python process is alive, but carries no -Dcoinstream.stack.part marker.
    assert not is_alive(ProcessRecord(part="kafka-1", pid=os.getpid(), start_ticks=0, ports=(1,), log_file="x"))


def test_signed_request_carries_a_sigv4_authorization_for_the_access_key() -> None:
    request = signed_request("HEAD", "http://127.0.0.1:19000/coinstream", access_key="coinstream",
                             secret_key="coinstream-secret", region="us-east-1")
    authorization = request.get_header("Authorization")
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=coinstream/")
    assert "/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" in authorization
    assert "coinstream-secret" not in authorization


@pytest.mark.parametrize("method", ["HEAD", "PUT"])
def test_signature_matches_botocore_for_the_same_request(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    botocore_auth = pytest.importorskip("botocore.auth")
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    moment = datetime(2026, 11, 25, 21, 0, 7, tzinfo=UTC)
    monkeypatch.setattr(botocore_auth, "get_current_datetime", lambda: moment.replace(tzinfo=None))
    reference = AWSRequest(method=method, url="http://127.0.0.1:19000/coinstream", data=b"")
    botocore_auth.S3SigV4Auth(Credentials("coinstream", "coinstream-secret"), "s3", "us-east-1").add_auth(reference)

    ours = signed_request(method, "http://127.0.0.1:19000/coinstream", access_key="coinstream",
                          secret_key="coinstream-secret", region="us-east-1", now=moment)
    assert ours.get_header("Authorization") == reference.headers["Authorization"]
