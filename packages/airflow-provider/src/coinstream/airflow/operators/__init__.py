"""Operators: ingest, process, backfill from Tiingo REST, Delta maintenance, data-quality checks."""
