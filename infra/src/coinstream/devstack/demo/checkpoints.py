"""What a streaming query has committed, read from its Spark checkpoint folder (local disk).

Spark writes ``offsets/<N>`` (the Kafka end offsets batch N reads up to) before it runs batch N and
``commits/<N>`` once the batch's sink committed. The offsets of the newest committed batch are what the
query has processed for good: a trade below them is in the sink's table (or was routed elsewhere by
the transforms), a trade at or above them is still only in Kafka. That, and not the "lag 0" of a
batch whose end offsets were planned earlier, is what "caught up" means.
"""

from __future__ import annotations

import json
from pathlib import Path

PartitionOffsets = dict[int, int]
"""Kafka offsets of one topic by partition: the next offset to read."""


def _batch_ids(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(entry.name) for entry in folder.iterdir() if entry.name.isdigit())


def committed_offsets(checkpoint: Path, topic: str) -> PartitionOffsets:
    """Return the end offsets of ``topic`` in the newest batch the query at ``checkpoint`` committed.

    Empty when the query has committed no batch yet (or the checkpoint does not exist): nothing of
    the topic is processed for good.
    """
    committed = _batch_ids(checkpoint / "commits")
    if not committed:
        return {}
    offsets_file = checkpoint / "offsets" / str(committed[-1])
    # Line 1 is the format version ("v1"), line 2 the batch's metadata, then one line per source.
    for line in offsets_file.read_text(encoding="utf-8").splitlines()[2:]:
        try:
            sources = json.loads(line)
        except ValueError:
            continue
        if isinstance(sources, dict) and isinstance(sources.get(topic), dict):
            return {int(partition): int(offset) for partition, offset in sources[topic].items()}
    return {}


def reached(committed: PartitionOffsets, ends: PartitionOffsets) -> bool:
    """True when the committed offsets reach ``ends`` on every partition that holds records."""
    return all(committed.get(partition, 0) >= end for partition, end in ends.items() if end > 0)


def behind(committed: PartitionOffsets, starts: PartitionOffsets, ends: PartitionOffsets) -> int:
    """Records in [starts, ends) that the committed offsets have not reached yet."""
    return sum(max(0, end - max(starts.get(partition, 0), committed.get(partition, 0)))
               for partition, end in ends.items())
