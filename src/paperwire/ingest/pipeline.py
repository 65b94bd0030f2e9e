"""Embed papers while an ingest stores them, so that a bulk load uses two cores: this
process parses and stores, a second one follows the new papers by key, embeds them and
analyzes their terms (analysis was a third of the storing side's work, which was the
slower side; docs/performance.md, "Bulk load").

The follower walks papers whose key is above where it stopped (new papers get larger
keys), resting a second when it catches up, and after the ingest ends makes one last walk.
Papers the ingest changed rather than added keep smaller keys: the caller embeds those
afterwards with an ordinary backfill. Nothing is lost when the follower fails: this
process then analyzes the terms it left, and the caller embeds. An ingest that is killed
leaves what is missing to `paperwire embed`, terms as well as embeddings. Until the
follower has reached them, added papers are not yet found by keyword.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from queue import Empty

from paperwire.ingest.files import IngestReport, Problem, ProgressCallback, ingest_files
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import analyze_pending, embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import last_paper_key

# Below this much input the follower's start (a process and the model, about 2 s) costs
# more than embedding afterwards.
PIPELINE_MIN_BYTES = 16 * 1024 * 1024
FOLLOW_PAUSE_SECONDS = 1.0
RESULT_WAIT_SECONDS = 30.0


def ingest_and_embed(
    db: Database,
    database_url: str,
    model: str,
    paths: list[Path],
    *,
    progress: ProgressCallback | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> tuple[IngestReport, int | None]:
    """ingest_files, with the added papers embedded meanwhile by a second process; also
    how many it embedded (None when it failed: embed afterwards)."""
    context = multiprocessing.get_context("spawn")
    done, results = context.Event(), context.Queue()
    start_key = last_paper_key(db)
    follower = context.Process(
        target=follow_and_embed,
        args=(database_url, model, start_key, os.getpid(), done, results),
        name="embed-follower",
        daemon=True,
    )
    follower.start()
    try:
        report = ingest_files(
            db, paths, progress=progress, on_problem=on_problem, terms_of_new=False
        )
    finally:
        done.set()
    embedded = _count_from(follower, results)
    follower.join(timeout=RESULT_WAIT_SECONDS)
    if follower.is_alive():
        follower.terminate()
    if embedded is None:  # the added papers' terms were the follower's to write
        analyze_pending(db, after_paper_id=start_key)
    return report, embedded


def _count_from(follower: BaseProcess, results: Queue[int]) -> int | None:
    """The follower's count once its last walk ends; None if it died without one."""
    while True:
        try:
            return results.get(timeout=FOLLOW_PAUSE_SECONDS)
        except Empty:
            if not follower.is_alive():
                try:  # it may have put its count just before it ended
                    return results.get(timeout=FOLLOW_PAUSE_SECONDS)
                except Empty:
                    return None


def follow_and_embed(
    database_url: str, model: str, after: int, parent: int, done: Event, results: Queue[int]
) -> None:
    """The follower process: embed papers with keys above `after` as they are stored,
    until done is set and one more walk finds nothing new; put the count on results."""
    # Ctrl-C reaches the whole process group: the ingest stops, and the follower with it
    # once it sees its parent gone, without a second traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    db = Database.open(database_url)
    embedder = load_embedder(model)
    embedded = 0
    try:
        while os.getppid() == parent:  # an ingest that was killed leaves no follower
            finishing = done.is_set()  # papers stored before this are seen by this walk
            walk = embed_pending(db, embedder, after_paper_id=after)
            embedded, after = embedded + walk.embedded, walk.last_paper_id
            if finishing:
                break
            if not walk.looked_at:
                done.wait(FOLLOW_PAUSE_SECONDS)
    finally:
        db.close()
    results.put(embedded)
