"""Leases let concurrent test sessions share one local stack: the last one out stops it."""

from __future__ import annotations

import subprocess
import sys

from coinstream.devstack.leases import StackLeases


def test_a_single_session_stops_what_it_started(tmp_path):
    leases = StackLeases(tmp_path, pid=None)
    leases.acquire(["kafka-1", "s3"])
    assert leases.release() == ["kafka-1", "s3"]


def test_the_starter_leaves_the_stack_to_a_session_still_using_it(tmp_path):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        starter = StackLeases(tmp_path)
        user = StackLeases(tmp_path, pid=other.pid)
        starter.acquire(["kafka-1", "registry"])
        user.acquire([])

        assert starter.release() == []  # the other session still holds a lease
        assert user.release() == ["kafka-1", "registry"]  # the last one out stops what any started
    finally:
        other.kill()
        other.wait()


def test_leases_of_dead_sessions_do_not_keep_the_stack_alive(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    StackLeases(tmp_path, pid=dead.pid).acquire(["s3"])  # a session that crashed without releasing
    mine = StackLeases(tmp_path)
    mine.acquire([])
    assert mine.release() == ["s3"]
