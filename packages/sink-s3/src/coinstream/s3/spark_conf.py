"""The Spark settings the Delta and CSV sinks need: Delta's session extension and S3A for the [s3] endpoint.

Called by the processor before it builds the session (through a sink's ``spark_conf()``) and by a sink
when its query starts (:func:`runtime_s3a_conf`, for a session someone else built). Returns plain
``{key: value}`` maps; the secret values in them are registered with core's redaction and Spark's own
``spark.redaction.regex`` hides ``*.secret.key``/``*.access.key`` in its UI and event logs.
"""

from __future__ import annotations

from coinstream.lake import AwsCredentials, S3Settings

DELTA_SESSION_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    # Delta rebuilds a table's snapshot with 50 tasks by default: minutes per micro-batch on 2 cores for
    # tables of a few files; one task was 10-25% faster than two per MERGE batch here. [spark] conf
    # overrides it for a cluster and large tables.
    "spark.databricks.delta.snapshotPartitions": "1",
}
# S3A's rename is copy + delete and S3Proxy's filesystem backend does not list S3A's folder markers:
# the streaming metadata logs (checkpoints, the CSV sink's _spark_metadata) must go through the plain
# FileSystem API (verified on the local stack, see shared/notes/jvm-matrix.md).
CHECKPOINT_MANAGER_CONF = {
    "spark.sql.streaming.checkpointFileManagerClass":
        "org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager",
}
_SIMPLE_PROVIDER = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
_TEMPORARY_PROVIDER = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"


def s3a_conf(s3: S3Settings, credentials: AwsCredentials | None) -> dict[str, str]:
    """Return the ``fs.s3a.*`` Hadoop settings (without the ``spark.hadoop.`` prefix) for [s3].

    Static keys from the AWS chain (environment, profile file) are handed to S3A explicitly, so the
    executors of a cluster get them too; rotating ones (instance or container roles) are left to S3A's
    own default chain, which resolves them itself.
    """
    conf = {
        "fs.s3a.endpoint.region": s3.region,
        "fs.s3a.path.style.access": str(s3.path_style).lower(),
    }
    if s3.endpoint_url:
        conf["fs.s3a.endpoint"] = s3.endpoint_url
        conf["fs.s3a.connection.ssl.enabled"] = str(s3.endpoint_url.startswith("https://")).lower()
        # S3-compatible servers (S3Proxy 2.6) answer 501 NotImplemented to the checksum header the AWS SDK
        # v2 puts on multi-object DeleteObjects, which S3A uses to drop folder markers: delete one by one.
        conf["fs.s3a.multiobjectdelete.enable"] = "false"
    if credentials is not None and not credentials.refreshing:
        conf["fs.s3a.access.key"] = credentials.access_key
        conf["fs.s3a.secret.key"] = credentials.secret_key
        if credentials.session_token:
            conf["fs.s3a.session.token"] = credentials.session_token
            conf["fs.s3a.aws.credentials.provider"] = _TEMPORARY_PROVIDER
        else:
            conf["fs.s3a.aws.credentials.provider"] = _SIMPLE_PROVIDER
    return conf


def session_conf(s3: S3Settings | None, credentials: AwsCredentials | None, on_s3: bool) -> dict[str, str]:
    """Return what a session needs at start-up: Delta always; S3A and the checkpoint manager for S3 tables."""
    conf = dict(DELTA_SESSION_CONF)
    if on_s3 and s3 is not None:
        conf.update({f"spark.hadoop.{key}": value for key, value in s3a_conf(s3, credentials).items()})
        conf.update(CHECKPOINT_MANAGER_CONF)
    return conf


def runtime_s3a_conf(s3: S3Settings, credentials: AwsCredentials | None) -> dict[str, str]:
    """Return what can be set on a running session: S3A keys are read from the session conf by every
    Hadoop configuration Spark derives for a query, so a session built without them still reaches [s3]."""
    return {**s3a_conf(s3, credentials), **CHECKPOINT_MANAGER_CONF}
