"""Hooks: the Tiingo REST API, Kafka (brokers + schema registry), S3 through the AWS connection, Delta tables."""
