"""Locks that let a background job (harvest, digest pass, stars refresh) run in one process
at a time across every server that shares a database.

PostgreSQL: a session-level advisory lock, held on a connection of its own for the whole
run. SQLite (one machine): an exclusive lock on a file beside the database. Either is
released by the operating system or the server when the process dies, so a killed job
never leaves the lock behind.
"""

from __future__ import annotations

import fcntl
import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from paperwire.storage.database import Database

log = logging.getLogger(__name__)
# The scheduled jobs: one harvest at a time is also what arXiv asks of a harvester.
HARVEST_JOB = "harvest"
DIGEST_JOB = "digests"
REFRESH_JOB = "stars-refresh"


@contextmanager
def job_lock(db: Database, name: str) -> Iterator[bool]:
    """Try to take the job's lock for the block without waiting: yields True when this
    process holds it (run the job), False when another process does (skip this run)."""
    if db.dialect == "postgresql":
        with _advisory_lock(db, name) as held:
            yield held
    else:
        with _file_lock(db, name) as held:
            yield held


def lock_key(name: str) -> int:
    """The advisory lock key of a job: stable across processes and releases."""
    return zlib.crc32(f"paperwire job {name}".encode())


@contextmanager
def _advisory_lock(db: Database, name: str) -> Iterator[bool]:
    with db.engine.connect() as connection:
        key = {"key": lock_key(name)}
        held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key))
        connection.commit()  # no transaction left open for the length of the job
        try:
            yield held
        finally:
            if held:
                connection.scalar(text("SELECT pg_advisory_unlock(:key)"), key)
                connection.commit()


@contextmanager
def _file_lock(db: Database, name: str) -> Iterator[bool]:
    database = db.engine.url.database
    if not database or database == ":memory:":
        yield True  # a database only this process can open
        return
    with file_lock(Path(f"{database}.{name}.lock")) as held:
        yield held


@contextmanager
def file_lock(path: Path) -> Iterator[bool]:
    """Try to take an exclusive lock on a file (made if missing) without waiting: yields
    whether this process holds it; the kernel releases it if the process dies."""
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def once_across_servers(db: Database, name: str, job: Callable[[], object]) -> Callable[[], None]:
    """job, run under its lock: a run is skipped (and logged) while another process, on
    this server or another, is running it. Wrap each scheduled run in it."""

    def run() -> None:
        with job_lock(db, name) as held:
            if held:
                job()
            else:
                log.info("%s skipped: another process is running it", name)

    return run
