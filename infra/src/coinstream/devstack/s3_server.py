"""S3Proxy 2.6.0 with the jclouds ``filesystem`` backend: objects are files under ``<state>/s3/data``.

It checks request signatures (a wrong key fails as on AWS) and keeps data across restarts.
Clients need: path-style addressing; boto3 >= 1.36 also
``Config(request_checksum_calculation="when_required", response_checksum_validation="when_required")``
(else PutObject answers NotImplemented); Spark's S3A checkpoints need
``spark.sql.streaming.checkpointFileManagerClass=...FileSystemBasedCheckpointFileManager``
(see infra/README.md).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import structlog

from coinstream.devstack import jars
from coinstream.devstack.endpoints import StackEndpoints
from coinstream.devstack.errors import StackError
from coinstream.devstack.paths import StackPaths
from coinstream.devstack.private_files import write_private
from coinstream.devstack.process import ProcessRecord, start_jvm
from coinstream.devstack.readiness import wait_until
from coinstream.devstack.s3_signing import signed_request

log = structlog.get_logger(__name__)

PART = "s3"

_LOGBACK = """<configuration>
  <!-- S3Proxy and jclouds log every request at INFO/DEBUG: keep the part's log to warnings. -->
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>[%d{ISO8601}] %-5level %msg \\(%logger{36}\\)%n</pattern></encoder>
  </appender>
  <logger name="org.gaul.s3proxy.Main" level="INFO"/>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
"""


def data_dir(paths: StackPaths) -> Path:
    return paths.part_dir(PART) / "data"


def write_config(paths: StackPaths, endpoints: StackEndpoints) -> Path:
    """Write s3proxy.properties (mode 0600: it holds the secret key) and logback.xml."""
    folder = paths.part_dir(PART)
    data_dir(paths).mkdir(parents=True, exist_ok=True)
    (folder / "logback.xml").write_text(_LOGBACK)
    properties = "\n".join([
        f"s3proxy.endpoint=http://{endpoints.host}:{endpoints.s3_port}",
        "s3proxy.authorization=aws-v2-or-v4",
        f"s3proxy.identity={endpoints.s3_access_key}",
        f"s3proxy.credential={endpoints.s3_secret_key}",
        "jclouds.provider=filesystem",
        f"jclouds.filesystem.basedir={data_dir(paths)}",
        "",
    ])
    return write_private(folder / "s3proxy.properties", properties)


def start(paths: StackPaths, endpoints: StackEndpoints) -> ProcessRecord:
    config = write_config(paths, endpoints)
    folder = paths.part_dir(PART)
    jvm_args = [
        "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
        f"-Dlogback.configurationFile={folder / 'logback.xml'}",
        "-cp", jars.classpath(paths, PART), "org.gaul.s3proxy.Main", "--properties", str(config),
    ]
    return start_jvm(paths, PART, jvm_args, cwd=folder, ports=(endpoints.s3_port,))


def bucket_status(endpoints: StackEndpoints) -> int | None:
    """HTTP status of a signed HEAD on the bucket (200 exists, 404 missing, 403 bad key), None if down."""
    return _call(endpoints, "HEAD")


def ensure_bucket(endpoints: StackEndpoints) -> bool:
    """Create the bucket unless it exists; return True when it was created now."""
    status = bucket_status(endpoints)
    if status == 200:
        return False
    if status == 404:
        created = _call(endpoints, "PUT")
        if created != 200:
            raise StackError(
                f"creating bucket {endpoints.bucket!r} at {endpoints.s3_endpoint_url} answered HTTP {created}"
            )
        log.info("s3_bucket_created", bucket=endpoints.bucket, endpoint_url=endpoints.s3_endpoint_url)
        return True
    raise StackError(
        f"checking bucket {endpoints.bucket!r} at {endpoints.s3_endpoint_url} answered HTTP {status}; "
        f"403 means the server there does not accept access key {endpoints.s3_access_key!r} "
        "(is another S3 server on that port?)"
    )


def wait_ready(
    endpoints: StackEndpoints,
    *,
    timeout: float = 90.0,
    alive: Callable[[], bool] | None = None,
    log_file: str | Path | None = None,
) -> float:
    """Wait until the server answers signed requests, then make sure the bucket exists."""
    waited = wait_until(lambda: bucket_status(endpoints) is not None, what="s3 server",
                        timeout=timeout, alive=alive, log_file=log_file)
    ensure_bucket(endpoints)
    log.info("s3_ready", endpoint_url=endpoints.s3_endpoint_url, bucket=endpoints.bucket, seconds=round(waited, 1))
    return waited


def _call(endpoints: StackEndpoints, method: str) -> int | None:
    request = signed_request(
        method, f"{endpoints.s3_endpoint_url}/{endpoints.bucket}", access_key=endpoints.s3_access_key,
        secret_key=endpoints.s3_secret_key, region=endpoints.region,
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310 (loopback URL we built)
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None
