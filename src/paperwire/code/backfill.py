"""Find the links of papers stored before links were read at ingest: a resumable backfill.

It walks the papers in id order, a batch per transaction, and saves its place (the last
paper id done) in harvest_checkpoints in the same transaction, so an interrupted run
resumes after the last committed batch. Finding links is idempotent: a rerun changes
nothing that is already right, and readers' links are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from paperwire.code.links import find_links
from paperwire.storage import Database
from paperwire.storage.code_links import write_text_links
from paperwire.storage.harvests import (
    COMPLETE,
    fail_harvest,
    finish_harvest,
    load_checkpoint,
    record_page,
    resume_harvest,
    start_harvest,
)
from paperwire.storage.schema import papers

CHECKPOINT_SOURCE = "code-links"
CHECKPOINT_SCOPE = "all"
BATCH_SIZE = 2_000

Progress = Callable[[int], object]  # called with the papers scanned since the last call


@dataclass(frozen=True, slots=True)
class BackfillCounts:
    scanned: int = 0  # papers read in this run
    with_code: int = 0  # of those, papers whose text names a repository
    with_project_page: int = 0  # ... and a project page
    changed: int = 0  # papers whose stored links this run changed
    already_complete: bool = False  # nothing to do: a finished run, and no restart asked


def backfill_links(
    db: Database,
    *,
    restart: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> BackfillCounts:
    """Find and store the links of every stored paper, resuming an interrupted run;
    a finished run is not repeated unless restart."""
    cursor = _starting_cursor(db, restart)
    if cursor is None:
        return BackfillCounts(already_complete=True)
    totals = BackfillCounts()
    try:
        while (done := _one_batch(db, cursor, batch_size)) is not None:
            cursor, counts = done
            totals = _added(totals, counts)
            if progress is not None:
                progress(counts.scanned)
    except BaseException as error:
        fail_harvest(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE, repr(error))
        raise
    finish_harvest(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
    return totals


def papers_to_scan(db: Database, *, restart: bool = False) -> int:
    """How many papers a run would read (for a progress bar): those after its checkpoint."""
    checkpoint = load_checkpoint(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
    if checkpoint is not None and checkpoint.status == COMPLETE and not restart:
        return 0
    after = int(checkpoint.cursor) if checkpoint and checkpoint.cursor and not restart else 0
    with db.read() as connection:
        return int(connection.scalar(select(func.count()).where(papers.c.id > after)) or 0)


def _starting_cursor(db: Database, restart: bool) -> int | None:
    """The last paper id done (0: from the start); None when the backfill is complete."""
    checkpoint = load_checkpoint(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
    if checkpoint is None or restart:
        start_harvest(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
        return 0
    if checkpoint.status == COMPLETE:
        return None
    resume_harvest(db, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE)
    return int(checkpoint.cursor) if checkpoint.cursor else 0


def _one_batch(db: Database, after: int, size: int) -> tuple[int, BackfillCounts] | None:
    """Links of the batch of papers after id `after`, committed with the checkpoint; the
    batch's last id and counts, or None when no paper is left."""
    with db.write() as connection:
        rows = _batch(connection, after, size)
        if not rows:
            return None
        found = {row.arxiv_id: find_links(row.abstract, row.comment) for row in rows}
        changed = write_text_links(connection, found)
        last = int(rows[-1].id)
        record_page(connection, CHECKPOINT_SOURCE, CHECKPOINT_SCOPE, str(last), len(rows))
    return last, BackfillCounts(
        scanned=len(rows),
        with_code=sum(1 for links in found.values() if links.code_url),
        with_project_page=sum(1 for links in found.values() if links.project_url),
        changed=changed,
    )


def _batch(connection: Connection, after: int, size: int) -> Sequence[Any]:
    query = (
        select(papers.c.id, papers.c.arxiv_id, papers.c.abstract, papers.c.comment)
        .where(papers.c.id > after)
        .order_by(papers.c.id)
        .limit(size)
    )
    return connection.execute(query).all()


def _added(a: BackfillCounts, b: BackfillCounts) -> BackfillCounts:
    return BackfillCounts(
        scanned=a.scanned + b.scanned,
        with_code=a.with_code + b.with_code,
        with_project_page=a.with_project_page + b.with_project_page,
        changed=a.changed + b.changed,
    )
