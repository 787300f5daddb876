"""Run one example DAG with ``dag.test()`` in a child process: ``python dag_runner.py DAG_ID``.

Log masking is switched on first, as ``airflow tasks test`` and real task runs do. Prints one
``TASK <id> <state>`` line per task and ``DAG_RUN_STATE=<state>`` at the end.
"""

from __future__ import annotations

import sys

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk._shared.secrets_masker import SecretsMasker
from coinstream.airflow import example_dags

if __name__ == "__main__":
    SecretsMasker.enable_log_masking()
    dag = DagBag(dag_folder=example_dags.__path__[0]).get_dag(sys.argv[1])
    run = dag.test()
    for instance in run.get_task_instances():
        print(f"TASK {instance.task_id} {instance.state}")
    print(f"DAG_RUN_STATE={run.state}")
