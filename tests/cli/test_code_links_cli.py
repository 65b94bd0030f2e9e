"""`paperwire code links`: the backfill of links, resumable and idempotent."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from factories import TEST_DATA

from paperwire.cli.main import cli
from paperwire.code.backfill import CHECKPOINT_SCOPE, CHECKPOINT_SOURCE, backfill_links
from paperwire.storage import Database
from paperwire.storage.counters import CODE_COUNTER, counter_value
from paperwire.storage.harvests import FAILED, load_checkpoint
from paperwire.storage.schema import paper_links

# tests/data/cs-ai-sample.jsonl: 21 real papers, 6 of which name their code.
PAPERS, WITH_CODE = 21, 6


@pytest.fixture
def db(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The real sample papers stored as before links were read at ingest: no links."""
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERWIRE_DATABASE_URL", database_url)
    assert _run("db", "upgrade").exit_code == 0
    ingested = _run(
        "ingest", "file", "--quiet", "--no-embed", str(TEST_DATA / "cs-ai-sample.jsonl")
    )
    assert ingested.exit_code == 0, ingested.output
    database = Database.open(database_url)
    with database.write() as connection:
        connection.execute(paper_links.delete())
    yield database
    database.close()


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _counts(*args: str) -> dict[str, object]:
    result = _run("code", "links", "--json", "--quiet", *args)
    assert result.exit_code == 0, result.output
    counts: dict[str, object] = json.loads(result.output)
    return counts


def _linked(db: Database) -> int:
    with db.engine.connect() as connection:
        return len(connection.execute(paper_links.select()).all())


class Interrupted(Exception):
    pass


def test_an_interrupted_backfill_resumes_after_its_last_batch(db: Database) -> None:
    def stop(_scanned: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        backfill_links(db, batch_size=5, progress=stop)
    checkpoint = load_checkpoint(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
    assert checkpoint is not None and checkpoint.status == FAILED and checkpoint.papers == 5
    counts = _counts("--batch-size", "5")
    assert counts["scanned"] == PAPERS - 5
    assert _linked(db) == WITH_CODE


def test_a_finished_backfill_is_not_repeated_and_a_restart_changes_nothing(
    db: Database,
) -> None:
    first = _counts()
    assert (first["scanned"], first["with_code"], first["changed"]) == (PAPERS, WITH_CODE, 6)
    before = counter_value(db, CODE_COUNTER)
    assert _counts()["already_complete"] is True
    again = _counts("--restart")
    assert (again["scanned"], again["changed"]) == (PAPERS, 0)
    assert counter_value(db, CODE_COUNTER) == before and _linked(db) == WITH_CODE


def test_the_summary_says_what_was_found(db: Database) -> None:
    result = _run("code", "links", "--quiet")
    assert result.exit_code == 0
    assert f"scanned {PAPERS} papers" in result.output and f"{WITH_CODE} with code" in result.output
    assert "scanned already" in _run("code", "links", "--quiet").output
