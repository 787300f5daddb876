"""Files only their owner may read: the stack's credentials, the S3 server's configuration, TLS keys."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path``, created 0600 (never readable by others, not even for a moment) and set back to
    0600 when it existed with wider bits; return ``path``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, 0o600)
    return path
