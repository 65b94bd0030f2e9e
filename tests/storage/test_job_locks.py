"""A scheduled job runs in one process at a time across every server sharing a database,
and a killed process never leaves its lock behind; on both databases."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from paperwire.storage import Database
from paperwire.storage.job_locks import job_lock, once_across_servers


@pytest.fixture
def other(database_url: str, db: Database) -> Iterator[Database]:
    """A second handle on the same database: another server's."""
    database = Database.open(database_url)
    yield database
    database.close()


def test_a_job_held_by_one_server_is_skipped_by_another_until_released(
    db: Database, other: Database
) -> None:
    with (
        job_lock(db, "harvest") as first,
        job_lock(other, "harvest") as second,
        job_lock(other, "digests") as unrelated,
    ):
        assert (first, second, unrelated) == (True, False, True)
    with job_lock(other, "harvest") as after:
        assert after


def test_a_wrapped_job_runs_only_where_the_lock_is_free(db: Database, other: Database) -> None:
    runs: list[str] = []
    with job_lock(db, "digests"):
        once_across_servers(other, "digests", lambda: runs.append("skipped"))()
    once_across_servers(other, "digests", lambda: runs.append("ran"))()
    assert runs == ["ran"]


def test_a_killed_process_leaves_no_lock_behind(database_url: str, db: Database) -> None:
    holder = textwrap.dedent(
        f"""
        import time
        from paperwire.storage import Database
        from paperwire.storage.job_locks import job_lock
        with job_lock(Database.open({database_url!r}), "stars-refresh") as held:
            print("held" if held else "busy", flush=True)
            time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        with job_lock(db, "stars-refresh") as held:
            assert not held
    finally:
        child.kill()
        child.communicate()  # reaps it and closes its pipe
    assert _eventually_free(db, "stars-refresh")


def _eventually_free(db: Database, name: str) -> bool:
    """The server may take a moment to notice a dead connection."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with job_lock(db, name) as held:
            if held:
                return True
        time.sleep(0.1)
    return False
