"""The [s3] section of a pipeline file: the endpoint and bucket (credentials come from the AWS chain)."""

from __future__ import annotations

from pydantic import Field

from coinstream.core import StrictModel, env_override


class S3Settings(StrictModel):
    """[s3]: where the lake lives. Credentials are never in the file: the standard AWS chain
    (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role) provides them."""

    endpoint_url: str | None = Field(None, pattern=r"^https?://",
                                     json_schema_extra=env_override("COINSTREAM_S3_ENDPOINT_URL"),
                                     description="S3-compatible endpoint; leave unset for AWS S3.")
    bucket: str = Field("coinstream", pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                        json_schema_extra=env_override("COINSTREAM_S3_BUCKET"))
    region: str = Field("us-east-1", json_schema_extra=env_override("COINSTREAM_S3_REGION"))
    path_style: bool = Field(False, description="Path-style addressing (needed by most local S3 servers).")
    prefix: str = Field("", pattern=r"^([A-Za-z0-9._=-]+/)*$",
                        description="Key prefix of every table inside the bucket, e.g. 'lake/' (ends with '/').")
    create_bucket: bool = Field(False, description=(
        "Create the bucket when a sink starts and it is missing; default: stop with an error instead."))
