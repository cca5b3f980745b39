"""The task layer with a real Huey consumer process on the embedded SQLite storage."""

import os
import subprocess
import sys
import time

import pytest


def rapport(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "rapport", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


@pytest.fixture
def site(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "HUEY_IMMEDIATE", "REDIS_URL")
    }
    env["RAPPORT_VAR_DIR"] = str(tmp_path)
    assert rapport(["migrate", "-v", "0"], env).returncode == 0
    return env


def count_beats(env) -> int:
    out = rapport(
        [
            "shell",
            "-v",
            "0",
            "-c",
            "from rapport.ops.models import WorkerHeartbeat as W; print(W.objects.count())",
        ],
        env,
    )
    return int(out.stdout.strip())


def test_jobs_queued_while_no_worker_runs_are_done_when_a_worker_starts(site):
    enqueue = "from rapport.ops.tasks import heartbeat; heartbeat()"
    assert rapport(["shell", "-v", "0", "-c", enqueue], site).returncode == 0
    time.sleep(0.5)
    assert count_beats(site) == 0  # queued in var/huey.sqlite3, nobody ran it
    worker = subprocess.Popen(
        [sys.executable, "-m", "rapport", "run_huey", "--workers", "1", "--no-periodic"],
        env=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and count_beats(site) == 0:
            time.sleep(0.5)
        assert count_beats(site) == 1
    finally:
        worker.terminate()
        worker.wait(timeout=15)
