"""A real crash: the ingest process is killed mid-file; a rerun completes the load exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signalroom.store import Store
from support import interaction, write_jsonl

pytestmark = pytest.mark.slow


def test_killed_ingest_loses_nothing_committed_and_a_rerun_completes(tmp_path: Path) -> None:
    total = 6_000
    data = write_jsonl(tmp_path / "big.jsonl", [interaction(f"c-{i}") for i in range(total)])
    db = tmp_path / "w.duckdb"
    command = [
        sys.executable,
        "-m",
        "signalroom.cli",
        "ingest",
        str(data),
        "--db",
        str(db),
        "--batch-size",
        "200",
        "--json",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Kill it once some batches are committed (the WAL grows) but before the end.
    deadline = time.monotonic() + 60
    wal = Path(str(db) + ".wal")
    while time.monotonic() < deadline and process.poll() is None:
        if wal.exists() and wal.stat().st_size > 400_000:
            break
        time.sleep(0.01)
    killed = process.poll() is None
    if killed:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()

    with Store.open(db, read_only=True) as store:
        con = store.connection
        partial = con.execute("SELECT count(*) FROM interactions").fetchall()[0][0]
        # Whole batches only: every committed interaction has all its turns.
        orphans = con.execute(
            "SELECT count(*) FROM interactions i WHERE turn_count <> "
            "(SELECT count(*) FROM turns t WHERE t.source = i.source AND t.interaction_id = i.id)"
        ).fetchall()[0][0]
    assert orphans == 0
    if killed:
        assert partial < total

    rerun = subprocess.run(command, capture_output=True, text=True, check=True)
    assert '"status": "completed"' in rerun.stdout
    with Store.open(db, read_only=True) as store:
        con = store.connection
        assert con.execute("SELECT count(*), count(DISTINCT id) FROM interactions").fetchall() == [(total, total)]
        assert con.execute("SELECT count(*) FROM turns").fetchall() == [(total * 3,)]
        statuses = [r[0] for r in con.execute("SELECT status FROM loads ORDER BY load_id").fetchall()]
    assert statuses[-1] == "completed"
    if killed:
        assert statuses[0] == "interrupted"
