"""The pipeline TOML for the local stack, and the S3 keys and SCRAM user kept beside it (never in it).

Each section is checked by the model of the package that reads it: ``[s3]`` by coinstream-sink-s3's
``S3Settings``, so a key the sinks do not know can never be written here.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

import tomli_w

from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.kafka_cluster import MIN_INSYNC_REPLICAS, REPLICATION_FACTOR
from coinstream.devstack.paths import StackPaths
from coinstream.devstack.private_files import write_private
from coinstream.lake import S3Settings


def pipeline_toml(endpoints: StackEndpoints) -> str:
    """The pipeline file ``coinstream stack up`` writes: the stack's Kafka, registry and S3 endpoints."""
    return f"""\
# Written by `coinstream stack up` for the local stack; S3 credentials are in s3-credentials.env.
[pipeline]
name = "local"

[kafka]
bootstrap_servers = "{endpoints.bootstrap_servers}"
schema_registry_url = "{endpoints.schema_registry_url}"
replication_factor = {REPLICATION_FACTOR}
min_insync_replicas = {MIN_INSYNC_REPLICAS}

""" + tomli_w.dumps({"s3": s3_section(endpoints)})


def s3_section(endpoints: StackEndpoints) -> dict[str, object]:
    """``[s3]`` for the local stack's S3 endpoint, as coinstream-sink-s3's settings model accepts it."""
    settings = S3Settings(endpoint_url=endpoints.s3_endpoint_url, bucket=endpoints.bucket, region=endpoints.region,
                          path_style=True)
    return settings.model_dump(include={"endpoint_url", "bucket", "region", "path_style"})


def write_pipeline_file(paths: StackPaths, endpoints: StackEndpoints) -> Path:
    paths.state.mkdir(parents=True, exist_ok=True)
    paths.pipeline_file.write_text(pipeline_toml(endpoints))
    return paths.pipeline_file


def credentials_environ(endpoints: StackEndpoints) -> dict[str, str]:
    """The stack's S3 credentials as the standard AWS environment variables (what clients read)."""
    return {"AWS_ACCESS_KEY_ID": endpoints.s3_access_key, "AWS_SECRET_ACCESS_KEY": endpoints.s3_secret_key}


def scram_environ(endpoints: StackEndpoints) -> dict[str, str]:
    """The stack's SCRAM user as the variables ``[kafka] sasl_username``/``sasl_password`` are read from."""
    return {"COINSTREAM_KAFKA_SASL_USERNAME": endpoints.scram_username,
            "COINSTREAM_KAFKA_SASL_PASSWORD": endpoints.scram_password}


def write_credentials_file(paths: StackPaths, endpoints: StackEndpoints) -> Path:
    """``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` and the SCRAM user's ``COINSTREAM_KAFKA_SASL_USERNAME``/
    ``COINSTREAM_KAFKA_SASL_PASSWORD`` lines, readable by the owner only (0600)."""
    paths.state.mkdir(parents=True, exist_ok=True)
    lines = {**credentials_environ(endpoints), **scram_environ(endpoints)}
    return write_private(paths.credentials_file, "".join(f"{key}={value}\n" for key, value in lines.items()))


def _saved_values(paths: StackPaths) -> dict[str, str]:
    try:
        lines = paths.credentials_file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)


def read_credentials_file(paths: StackPaths) -> tuple[str, str] | None:
    """The (access key, secret key) of the stack's credentials file, or None when it has none yet."""
    values = _saved_values(paths)
    access, secret = values.get("AWS_ACCESS_KEY_ID"), values.get("AWS_SECRET_ACCESS_KEY")
    return (access, secret) if access and secret else None


def read_scram_credentials(paths: StackPaths) -> tuple[str, str] | None:
    """The SCRAM (username, password) of the stack's credentials file, or None (a file from before SCRAM)."""
    values = _saved_values(paths)
    user, password = values.get("COINSTREAM_KAFKA_SASL_USERNAME"), values.get("COINSTREAM_KAFKA_SASL_PASSWORD")
    return (user, password) if user and password else None


def with_saved_credentials(paths: StackPaths, endpoints: StackEndpoints) -> StackEndpoints:
    """``endpoints`` with the S3 keys and SCRAM user of the stack's credentials file, as far as it has them."""
    saved, scram = read_credentials_file(paths), read_scram_credentials(paths)
    if saved is not None:
        endpoints = replace(endpoints, s3_access_key=saved[0], s3_secret_key=saved[1])
    if scram is not None:
        endpoints = replace(endpoints, scram_username=scram[0], scram_password=scram[1])
    return endpoints


def ensure_credentials(paths: StackPaths, endpoints: StackEndpoints) -> StackEndpoints:
    """``endpoints`` with this stack's own S3 keys and SCRAM user: those of its credentials file, or, for a new
    state folder, generated now and written there (0600). Each stack gets secrets no other stack or user
    shares; a state folder made before they were generated keeps the ones its file holds, and one from before
    the SCRAM user gets a generated user next to its S3 keys."""
    saved = with_saved_credentials(paths, endpoints)
    generated = saved
    if read_credentials_file(paths) is None:
        generated = replace(generated, s3_access_key=f"coinstream-{secrets.token_hex(6)}",
                            s3_secret_key=secrets.token_urlsafe(30))
    if read_scram_credentials(paths) is None:
        generated = replace(generated, scram_username=f"coinstream-{secrets.token_hex(4)}",
                            scram_password=secrets.token_urlsafe(24))
    if generated is not saved:
        write_credentials_file(paths, generated)
    return with_saved_credentials(paths, endpoints)
