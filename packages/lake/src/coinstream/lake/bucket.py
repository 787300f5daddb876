"""The bucket check a sink makes before Spark touches S3: boto3 with the [s3] endpoint, region and addressing.

Spark's S3A retries a wrong endpoint for minutes and reports a missing bucket deep inside a stack trace;
this check answers in seconds with what to fix. Called by the Delta and CSV sinks when their query
starts (and by anyone through :func:`ensure_bucket`); returns nothing or raises :class:`S3SetupError`.
"""

from __future__ import annotations

from typing import Any

import structlog

from coinstream.core import redact_text
from coinstream.lake.credentials import NO_CREDENTIALS_HINT, AwsCredentials, resolve_credentials
from coinstream.lake.errors import S3SetupError, S3UnreachableError
from coinstream.lake.settings import S3Settings

log = structlog.get_logger(__name__)

_DENIED = frozenset({"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden"})


def s3_client(s3: S3Settings, credentials: AwsCredentials | None = None) -> Any:
    """Return a boto3 S3 client (botocore) for the [s3] endpoint (short timeouts: a wrong endpoint fails fast)."""
    import boto3
    from botocore.config import Config

    config = Config(
        region_name=s3.region,
        s3={"addressing_style": "path" if s3.path_style else "auto"},
        connect_timeout=5, read_timeout=30, retries={"max_attempts": 2, "mode": "standard"},
        # S3-compatible servers (S3Proxy) refuse the newer default checksums with NotImplemented.
        request_checksum_calculation="when_required", response_checksum_validation="when_required",
    )
    keys: dict[str, Any] = {}
    if credentials is not None:
        keys = {"aws_access_key_id": credentials.access_key, "aws_secret_access_key": credentials.secret_key,
                "aws_session_token": credentials.session_token}
    return boto3.client("s3", endpoint_url=s3.endpoint_url, config=config, **keys)


def ensure_bucket(s3: S3Settings, credentials: AwsCredentials | None = None, *, create: bool | None = None) -> None:
    """Check that the [s3] bucket answers; create it when ``create`` (default: ``s3.create_bucket``)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    credentials = credentials or resolve_credentials()
    if credentials is None:
        raise S3SetupError(f"cannot check bucket {s3.bucket!r}: {NO_CREDENTIALS_HINT}")
    create = s3.create_bucket if create is None else create
    client = s3_client(s3, credentials)
    where = _endpoint_text(s3)
    try:
        client.head_bucket(Bucket=s3.bucket)
        log.debug("s3_bucket_checked", bucket=s3.bucket, endpoint=where)
        return
    except EndpointConnectionError as error:
        raise S3UnreachableError(where, f"checking bucket {s3.bucket!r}: {_first_line(error)}") from None
    except NoCredentialsError:
        raise S3SetupError(f"cannot check bucket {s3.bucket!r}: {NO_CREDENTIALS_HINT}") from None
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = str(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if code in _DENIED or status == "403":
            raise S3SetupError(_denied_message(s3, where, credentials, code or status)) from None
        if code in ("404", "NoSuchBucket") or status == "404":
            if not create:
                raise S3SetupError(
                    f"bucket {s3.bucket!r} does not exist at {where}: create it (`aws s3 mb s3://{s3.bucket}`), "
                    "fix [s3] bucket, or set [s3] create_bucket = true to let coinstream create it") from None
        elif code in ("301", "PermanentRedirect", "AuthorizationHeaderMalformed") or status == "301":
            region = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
            raise S3SetupError(
                f"bucket {s3.bucket!r} is in region {region or 'another region'}, not [s3] region = "
                f"{s3.region!r}: set region = \"{region or 'THE_BUCKET_REGION'}\"") from None
        else:
            raise S3SetupError(f"S3 at {where} refused HEAD on bucket {s3.bucket!r}: {code} "
                               f"{redact_text(_first_line(error))}") from None
    except BotoCoreError as error:
        raise S3SetupError(f"S3 at {where} failed on bucket {s3.bucket!r}: {redact_text(_first_line(error))}; "
                           "check [s3] endpoint_url, region and path_style") from None
    _create_bucket(client, s3, where, credentials)


def _create_bucket(client: Any, s3: S3Settings, where: str, credentials: AwsCredentials) -> None:
    from botocore.exceptions import ClientError

    arguments: dict[str, Any] = {"Bucket": s3.bucket}
    if s3.region != "us-east-1":
        arguments["CreateBucketConfiguration"] = {"LocationConstraint": s3.region}
    try:
        client.create_bucket(**arguments)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("BucketAlreadyOwnedByYou",):
            return
        if code in _DENIED:
            raise S3SetupError(_denied_message(s3, where, credentials, code, creating=True)) from None
        raise S3SetupError(f"cannot create bucket {s3.bucket!r} at {where}: {code} "
                           f"{redact_text(_first_line(error))}; create it yourself or fix [s3] bucket") from None
    log.info("s3_bucket_created", bucket=s3.bucket, endpoint=where, region=s3.region)


def _denied_message(s3: S3Settings, where: str, credentials: AwsCredentials, code: str, creating: bool = False) -> str:
    action = "create bucket" if creating else "use bucket"
    return (f"S3 at {where} denied access ({code}) to {action} {s3.bucket!r} for the credentials from "
            f"{credentials.method}: check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or the profile), and that they "
            "may s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it"
            + (" and s3:CreateBucket" if creating else ""))


def _endpoint_text(s3: S3Settings) -> str:
    return s3.endpoint_url or f"AWS S3 ({s3.region})"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
