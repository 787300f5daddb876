"""A failed query's message: coinstream's own words, not the query plan that quotes them."""

from __future__ import annotations

from coinstream.spark.processor import query_failure

PLAN_QUOTE = ("Project [CASE WHEN isnull(trade#14) THEN cast(raise_error(USER_RAISED_EXCEPTION, map(errorMessage, "
              "concat(coinstream: cannot decode the , _where#15, : its Avro body is not readable)) ...]")


def test_a_raised_coinstream_error_is_reported_without_the_plan_around_it():
    error = Exception("[USER_RAISED_EXCEPTION] coinstream: cannot decode the record at t partition 0 offset 7: "
                      "it is not in the Confluent wire format SQLSTATE: P0001\n" + PLAN_QUOTE)
    assert query_failure("q", error) == (
        "query q stopped: cannot decode the record at t partition 0 offset 7: it is not in the Confluent wire format")


def test_a_plan_quoting_coinstream_literals_is_not_taken_for_the_error():
    error = Exception("[STATE_STORE_COMMIT_VALIDATION_FAILED] State store commit validation failed for batch 1.\n"
                      + PLAN_QUOTE)
    assert query_failure("q", error) == (
        "query q stopped: [STATE_STORE_COMMIT_VALIDATION_FAILED] State store commit validation failed for batch 1.")


def test_a_coinstream_exception_from_a_sinks_foreach_batch_is_reported_by_its_message():
    error = Exception(
        "[FOREACH_BATCH_USER_FUNCTION_ERROR] An error occurred in the user provided function in foreach batch sink.\n"
        "Traceback (most recent call last):\n  File \"tagged_append.py\", line 90, in __call__\n"
        "coinstream.s3.sinks.tagged_append.CheckpointResetError: the Delta table s3a://b/t already holds batch 5\n")
    assert query_failure("q", error) == (
        "query q stopped: the Delta table s3a://b/t already holds batch 5 (CheckpointResetError)")
