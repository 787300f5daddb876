"""Example DAGs: the scheduled pipeline and a Tiingo REST backfill."""
