"""The Spark sinks of coinstream-sink-s3: ``delta`` (the lake) and ``csv`` (the reference's plain files)."""
