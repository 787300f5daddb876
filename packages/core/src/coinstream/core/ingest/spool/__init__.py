"""The ingestor's durable spool: records on local disk from the source until Kafka acknowledged them."""

from coinstream.core.ingest.spool.delivery import SpooledDelivery
from coinstream.core.ingest.spool.format import ReadResult, frame, read_records
from coinstream.core.ingest.spool.read_mark import ReadMark
from coinstream.core.ingest.spool.segments import (
    Segment,
    Spool,
    SpoolLockedError,
    SpoolWriteError,
    default_spool_dir,
)

__all__ = [
    "ReadMark",
    "ReadResult",
    "Segment",
    "Spool",
    "SpoolLockedError",
    "SpoolWriteError",
    "SpooledDelivery",
    "default_spool_dir",
    "frame",
    "read_records",
]
