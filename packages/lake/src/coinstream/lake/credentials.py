"""AWS credentials from the standard chain (environment, profile, SSO, instance role), never from the TOML.

Called wherever coinstream talks to S3 outside Spark's own S3A chain: the bucket check (boto3), the
Spark session settings (when the chain yields static keys) and the JVM-free reader (delta-rs). Every
secret it finds is registered with core's redaction, so no log line or error message can show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coinstream.core import register_secret

# Credential sources that hand out keys which expire and refresh: S3A must resolve them itself (its
# default chain includes the instance/container role), a copy taken now would stop working.
_REFRESHING_METHODS = frozenset({"iam-role", "container-role", "assume-role", "assume-role-with-web-identity",
                                 "sso", "custom-process"})


@dataclass(frozen=True, slots=True, repr=False)
class AwsCredentials:
    """Keys as the AWS chain resolved them; ``method`` says where from (``env``, ``shared-credentials-file``...)."""

    access_key: str
    secret_key: str
    session_token: str | None
    method: str

    @property
    def refreshing(self) -> bool:
        """True when the keys come from a source that rotates them (a role): do not copy them into a JVM."""
        return self.method in _REFRESHING_METHODS

    def __repr__(self) -> str:
        return f"AwsCredentials(method={self.method!r}, access_key=***)"


def resolve_credentials(profile: str | None = None) -> AwsCredentials | None:
    """Return the credentials the standard AWS chain finds now (registered as secrets), or None."""
    import boto3

    found = boto3.Session(profile_name=profile).get_credentials()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    # The access key id is an identifier, not a secret (and the local stack's is "coinstream": redacting
    # it would blank every module path in the logs); the secret key and session token are secrets.
    for secret in (frozen.secret_key, frozen.token):
        register_secret(secret)
    return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token, getattr(found, "method", "unknown"))


def credentials_from_environment(environ: Mapping[str, str]) -> AwsCredentials | None:
    """Return the keys in ``environ``'s AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN),
    registered as secrets, or None when either key is missing. For a process told its environment
    explicitly (the dashboard); everything else asks the whole chain with :func:`resolve_credentials`."""
    access_key, secret_key = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        return None
    session_token = environ.get("AWS_SESSION_TOKEN") or None
    for secret in (secret_key, session_token):
        register_secret(secret)
    return AwsCredentials(access_key, secret_key, session_token, "env")


NO_CREDENTIALS_HINT = (
    "no AWS credentials in the standard chain: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (for the local "
    "stack: `set -a; . .stack/s3-credentials.env; set +a`), or set AWS_PROFILE; credentials never go in the "
    "pipeline file"
)
