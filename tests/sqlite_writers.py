"""Other processes writing to a SQLite file, as an ingest does beside a server: for busy tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

# Upserts batches of new papers through paperwire's storage, a moment apart, until the stop
# file appears; says "writing" once the first batch is committed.
_INGEST_LOOP = """
import sys, time
from datetime import date
from pathlib import Path
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers

url, stop = sys.argv[1], Path(sys.argv[2])
db = Database.open(url)
batch_number = 0
while not stop.exists():
    batch = [
        Paper(f"2501.{batch_number * 100 + n + 1:05d}", f"Ingested {batch_number} {n}",
              "Written beside the server.", listing_day=date(2025, 1, 2))
        for n in range(100)
    ]
    upsert_papers(db, batch)
    if batch_number == 0:
        print("writing", flush=True)
    batch_number = (batch_number + 1) % 900
    time.sleep(0.01)  # reading the next records of the file, as an ingest does
db.close()
"""

# Commits small writes to a table of its own with plain sqlite3, one every few
# milliseconds, until the stop file appears; says "writing" after the first. (A writer
# with no pause at all would starve any other: SQLite's busy handler polls, it keeps no
# queue, and no real paperwire writer commits back to back.)
_COMMIT_LOOP = """
import sqlite3, sys, time
from pathlib import Path
connection = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
connection.execute("PRAGMA journal_mode=WAL")
connection.execute("CREATE TABLE IF NOT EXISTS other_writes (n INTEGER)")
stop, n = Path(sys.argv[2]), 0
while not stop.exists():
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO other_writes VALUES (?)", (n,))
    connection.execute("COMMIT")
    time.sleep(0.001)
    if n == 0:
        print("writing", flush=True)
    n += 1
connection.close()
"""

# Takes the write lock with plain sqlite3, says "locked", and commits when told to (a line
# on stdin), or after the given seconds.
_LOCK_HOLDER = """
import sqlite3, sys, select
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
select.select([sys.stdin], [], [], float(sys.argv[2]))
connection.execute("COMMIT")
connection.close()
"""


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def ingesting_beside(url: str, folder: Path) -> AbstractContextManager[None]:
    """A process upserting papers into the database at url for the duration of the block;
    it must end without an error of its own."""
    return _writing_beside(_INGEST_LOOP, url, folder)


def committing_beside(url: str, folder: Path) -> AbstractContextManager[None]:
    """A process committing one small write after another to a table of its own in the
    SQLite file at url (which may hold no schema yet) for the duration of the block."""
    return _writing_beside(_COMMIT_LOOP, sqlite_path(url), folder)


@contextmanager
def _writing_beside(script: str, target: str, folder: Path) -> Iterator[None]:
    stop = folder / "stop-writing"
    stop.unlink(missing_ok=True)
    with subprocess.Popen(
        [sys.executable, "-c", script, target, str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
            yield
        finally:
            stop.touch()
            _, errors = writer.communicate(timeout=60)
    assert writer.returncode == 0, errors


@contextmanager
def write_lock_held(url: str, *, at_most_seconds: float = 60) -> Iterator[None]:
    """Another process holds the write lock of the SQLite file at url until the block ends
    (or at_most_seconds have passed, whichever is first)."""
    with subprocess.Popen(
        [sys.executable, "-c", _LOCK_HOLDER, sqlite_path(url), str(at_most_seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline() == "locked\n"
            yield
        finally:
            if holder.poll() is None:
                holder.stdin.write("release\n")
                holder.stdin.flush()
            holder.wait(timeout=60)
    assert holder.returncode == 0
