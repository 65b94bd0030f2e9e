"""Votes over HTTP while another process writes to the same SQLite file: they wait, or 503."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from personas import TOP, community_server, people
from sqlite_writers import ingesting_beside, write_lock_held

from paperwire.storage import Database
from paperwire.storage.votes import stats_for


def _open(folder: Path, **options: int) -> tuple[str, Database]:
    url = f"sqlite:///{folder / 'paperwire.sqlite3'}"
    db = Database.open(url, **options)
    db.upgrade()
    return url, db


def test_votes_during_an_ingest_all_succeed(tmp_path: Path) -> None:
    url, db = _open(tmp_path)
    statuses: Counter[int] = Counter()
    with community_server(db, tmp_path) as base, people(base, "alice", "bob") as voters:
        for persona in voters:
            persona.sign_up()
        tokens = [persona.csrf() for persona in voters]
        with ingesting_beside(url, tmp_path):
            for _ in range(50):  # each toggles: 100 votes, none of them may fail
                for persona, token in zip(voters, tokens, strict=True):
                    statuses[persona.vote(TOP, up=None, token=token).status_code] += 1
    assert statuses == {303: 100}
    db.close()


def test_a_write_lock_held_past_the_bound_answers_503_and_counts_nothing(tmp_path: Path) -> None:
    url, db = _open(tmp_path, busy_timeout_ms=200)
    with community_server(db, tmp_path) as base, people(base, "alice") as (alice,):
        alice.sign_up()
        token = alice.csrf()
        with write_lock_held(url):
            busy = alice.vote(TOP, token=token)
            assert alice.page(f"/papers/{TOP}")  # reading goes on meanwhile
        assert busy.status_code == 503 and busy.headers["retry-after"].isdigit()
        assert "database is busy" in busy.text and "Traceback" not in busy.text
        assert stats_for(db, [TOP])[TOP].votes == 0
        assert alice.vote(TOP, token=token).status_code == 303  # the same vote, again
        assert stats_for(db, [TOP])[TOP].votes == 1
    db.close()
