"""Fixtures of coinstream-lake's unit tests: an AWS credential chain that finds nothing."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_aws_credentials(monkeypatch, tmp_path):
    """No keys in the environment, no profile files, no instance metadata: the chain comes back empty."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
