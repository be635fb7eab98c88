"""`make down` stops a running `make run`; `claimflow stack status` shows what really runs.

The run here is the real ``run_all`` in a child process, with the stack and the processes it
would start replaced by markers: what is under test is how `make down` finds and stops the
foreground parent, and that the parent then stops what it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from services.runner import stop_run
from services.settings import REPO_ROOT, Settings
from services.stack import overview, process

RUN_SCRIPT = """
import pathlib, sys
from services import apps, runner, stack
from services.settings import Settings

state = pathlib.Path(sys.argv[1])
stack.up = lambda s, postgres=False: (state / "stack-up").touch()
stack.down = lambda s: (state / "stack-down").touch()
apps.start_all = lambda s: (state / "apps-up").touch()
apps.stop_all = lambda s: (state / "apps-down").touch()
runner.prepare_topics = lambda s: []
runner.feed = lambda s, e: []
runner.settle = runner.report = lambda s, ids: None
runner.run_all(Settings(state_dir=state), pathlib.Path("examples"))
"""


def test_down_stops_a_running_make_run_parent(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    child = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, str(tmp_path)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "apps-up").exists():
            assert child.poll() is None, child.communicate()[0]
            assert time.monotonic() < deadline, "make run never got going"
            time.sleep(0.05)
        [run] = [c for c in overview.components(settings) if c.name == "run"]
        assert (run.state, run.detail) == ("running", f"pid {child.pid}")

        assert stop_run(settings, timeout=20) is True
        output = child.communicate(timeout=20)[0].decode()
        assert child.returncode == 0, output
        assert "stopped; state kept" in output
        assert (tmp_path / "apps-down").exists() and (tmp_path / "stack-down").exists()
        assert process.read_pid(tmp_path, "run") is None
        assert stop_run(settings) is False  # nothing left to stop
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_status_shows_the_sqlite_database_in_use_not_a_stopped_postgres(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path)
    rows = {c.name: c for c in overview.components(settings)}
    assert "postgres" not in rows
    assert rows["database"].state == "not created"
    assert rows["database"].detail == f"SQLite {tmp_path / 'claimflow.db'}"
    (tmp_path / "claimflow.db").write_bytes(b"x" * 1000)
    assert overview.database(settings).state == "in use"
    # Servers and claimflow's own processes are all listed.
    assert {"temporal", "kafka", "run", "payer-sim", "worker", "consumer", "api"} <= set(rows)


def test_status_shows_postgres_when_it_is_the_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://claimflow:s3cret@127.0.0.1:1/claimflow"
    row = overview.database(Settings(state_dir=tmp_path, database_url=url))
    assert row.state == "unreachable"  # port 1: nothing listens, and no local cluster there
    assert row.detail.startswith("PostgreSQL postgresql+psycopg2://claimflow:***@127.0.0.1:1/")
    assert "s3cret" not in row.detail


def test_status_lists_every_node_of_a_kafka_cluster(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, kafka_nodes=3, kafka_port=39092)
    rows = [c for c in overview.components(settings) if c.name.startswith("kafka")]
    assert [(c.name, c.detail) for c in rows] == [
        ("kafka", "127.0.0.1:39092"),
        ("kafka-2", "127.0.0.1:39102"),
        ("kafka-3", "127.0.0.1:39112"),
    ]
    assert settings.kafka_bootstrap == "127.0.0.1:39092,127.0.0.1:39102,127.0.0.1:39112"
