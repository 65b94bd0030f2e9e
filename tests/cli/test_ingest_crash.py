"""An ingest killed with SIGKILL loses nothing that was committed and a rerun completes it."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from factories import shared_file

from paperwire.papers import parse_arxiv_id
from paperwire.storage import Database

KILL_DEADLINE_SECONDS = 120


def _unique_ids(path: Path) -> set[str]:
    with gzip.open(path, "rt") as lines:
        return {parse_arxiv_id(json.loads(line)["id"])[0] for line in lines}


def _count(database: Path) -> int:
    try:
        with sqlite3.connect(database, timeout=10) as connection:
            return int(connection.execute("SELECT count(*) FROM papers").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_killed_ingest_keeps_whole_batches_and_rerun_finishes(tmp_path: Path) -> None:
    source = shared_file("arxiv/cs-ai-2024-2026.jsonl.gz")
    data_dir = tmp_path / "data"
    database = data_dir / "paperwire.sqlite3"
    Database.open(f"sqlite:///{database}").upgrade()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env |= {"PAPERWIRE_DATA_DIR": str(data_dir), "PAPERWIRE_LOG_LEVEL": "WARNING"}
    command = [
        sys.executable,
        "-m",
        "paperwire",
        "ingest",
        "file",
        "--quiet",
        "--json",
        str(source),
    ]

    victim = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + KILL_DEADLINE_SECONDS
    while _count(database) == 0 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    committed = _count(database)
    expected = _unique_ids(source)
    assert 0 < committed < len(expected), "the kill should land in the middle of the run"
    assert committed % 2_000 == 0  # whole batches only: a batch is one transaction

    rerun = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=True
    )
    summary = json.loads(rerun.stdout)
    assert summary["added"] == len(expected) - committed
    assert summary["rejected"] == 0
    assert _count(database) == len(expected)
