"""The ingestor: one source -> Avro -> Kafka, with metrics and a clean shutdown."""

from coinstream.core.ingest.report import IngestReport
from coinstream.core.ingest.runner import IngestOptions, Ingestor

__all__ = ["IngestOptions", "IngestReport", "Ingestor"]
