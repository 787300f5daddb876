"""A Spark standalone cluster on loopback for the tests: one master and one worker, started from pyspark's
own ``bin/spark-class`` (the pip package ships no ``sbin/start-master.sh``; these are the classes it would
start), stopped by PID.

``spark-class`` ends in ``exec java ...``: the Popen's PID is the JVM's, so stopping it stops the daemon.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyspark

from ..ports import unused_port


@dataclass(frozen=True)
class StandaloneCluster:
    """The master's URL (``spark://127.0.0.1:<port>``) and its web UI (JSON status at ``/json``)."""

    master_url: str
    ui_url: str

    def status(self) -> dict:
        with urllib.request.urlopen(f"{self.ui_url}/json", timeout=5) as response:
            return json.load(response)


def cluster_env(work_dir: Path) -> dict[str, str]:
    """What the daemons (and a driver talking to them) need: loopback only, this Python on the workers."""
    return {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_LOCAL_DIRS": str(work_dir / "local"), "SPARK_LOG_DIR": str(work_dir / "logs"),
            "PYSPARK_PYTHON": sys.executable}


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def standalone_cluster(work_dir: Path, cores: int = 2, memory: str = "2g",
                       timeout_s: float = 90.0) -> Iterator[StandaloneCluster]:
    """Start a master and one worker on 127.0.0.1 with free ports; yield once the worker has registered."""
    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    env = cluster_env(work_dir)
    for folder in ("local", "logs", "worker"):
        (work_dir / folder).mkdir(parents=True, exist_ok=True)
    port, ui_port, worker_ui_port = unused_port(), unused_port(), unused_port()
    cluster = StandaloneCluster(f"spark://127.0.0.1:{port}", f"http://127.0.0.1:{ui_port}")
    started: list[subprocess.Popen] = []
    try:
        with (work_dir / "logs" / "master.log").open("ab") as log:
            started.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(ui_port)], env=env, stdout=log, stderr=subprocess.STDOUT))
        with (work_dir / "logs" / "worker.log").open("ab") as log:
            started.append(subprocess.Popen(
                [str(spark_class), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                 "--cores", str(cores), "--memory", memory, "--webui-port", str(worker_ui_port),
                 "--work-dir", str(work_dir / "worker"), cluster.master_url],
                env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout_s
        while True:
            for process in started:
                if process.poll() is not None:
                    raise RuntimeError(f"a Spark daemon exited with {process.returncode}; see {work_dir / 'logs'}")
            with contextlib.suppress(OSError, ValueError):
                if cluster.status().get("aliveworkers", 0) >= 1:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no worker registered with {cluster.master_url} in {timeout_s:.0f} s; "
                                   f"see {work_dir / 'logs'}")
            time.sleep(1)
        yield cluster
    finally:
        for process in reversed(started):
            _stop(process)
