"""The Kafka offsets a Spark streaming query has committed, read from its checkpoint folder.

Spark's Kafka source keeps its offsets in the checkpoint, not in a consumer group, so the
processor's lag is measured from there: ``commits/<n>`` marks batch n done and ``offsets/<n>``
holds, after a version line and a metadata line, one JSON line per source such as
``{"crypto.trades.v1": {"0": 1234, "1": 987}}`` (the next offset to read per partition).
"""

from __future__ import annotations

import json
from typing import Any

from pyarrow import fs


class CheckpointError(FileNotFoundError):
    """The checkpoint has no committed batch to read offsets from (the message says where)."""


def filesystem_and_path(checkpoint: str, s3: Any | None = None) -> tuple[fs.FileSystem, str]:
    """A pyarrow filesystem and the path inside it, for a local folder or an s3a:// / s3:// URL."""
    for scheme in ("s3a://", "s3://"):
        if checkpoint.startswith(scheme):
            if s3 is None:
                raise ValueError(f"{checkpoint} is on S3: pass the S3 access (aws_conn_id) to read it")
            return s3.arrow_filesystem(), checkpoint.removeprefix(scheme).rstrip("/")
    return fs.LocalFileSystem(), checkpoint.removeprefix("file://").rstrip("/")


def _batch_ids(filesystem: fs.FileSystem, folder: str) -> list[int]:
    infos = filesystem.get_file_info(fs.FileSelector(folder, allow_not_found=True))
    return sorted(int(info.base_name) for info in infos if info.base_name.isdigit())


def committed_offsets(checkpoint: str, s3: Any | None = None) -> tuple[int, dict[str, dict[int, int]]]:
    """Return (batch id, {topic: {partition: next offset}}) of the newest committed batch."""
    filesystem, path = filesystem_and_path(checkpoint, s3)
    committed = _batch_ids(filesystem, f"{path}/commits")
    if not committed:
        raise CheckpointError(f"no committed batch under {checkpoint}/commits: the query has not finished a "
                              "micro-batch yet, or the path is not a streaming query's checkpoint folder")
    batch = committed[-1]
    with filesystem.open_input_stream(f"{path}/offsets/{batch}") as stream:
        lines = stream.read().decode("utf-8").splitlines()
    offsets: dict[str, dict[int, int]] = {}
    for line in lines[2:]:
        try:
            source = json.loads(line)
        except ValueError:
            continue
        if not isinstance(source, dict):
            continue
        for topic, partitions in source.items():
            if isinstance(partitions, dict):
                offsets.setdefault(topic, {}).update({int(p): int(o) for p, o in partitions.items()})
    return batch, offsets
