"""The Python file ``spark-submit`` runs for the processor: ``coinstream`` with the given arguments.

spark-submit takes a file, not a console script, so the process operator submits this one:
``spark-submit --master spark://... spark_driver.py process PIPELINE --available-now``.
"""

from __future__ import annotations

from coinstream.core import cli_main

if __name__ == "__main__":
    cli_main()
