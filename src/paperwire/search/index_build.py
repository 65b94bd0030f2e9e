"""Build the search index generation that every web worker on this machine maps.

A build reads every listed paper's terms and embedding once, writes them as a new
generation (index_files.py) and names it current; workers switch to it at their next
query. One build runs at a time per index folder (an exclusive lock on a file in it,
released by the kernel if the builder dies). `paperwire serve` builds before it starts
listening when the index is missing or far behind, then checks every few minutes and
rebuilds in a low-priority child process; `paperwire index build` builds on demand.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paperwire.config import Settings
from paperwire.search.index_files import INDEX_FOLDER, IndexFolder
from paperwire.search.memory import release_freed_memory
from paperwire.search.term_index import TermIndex, save_term_base
from paperwire.search.vector_base import BUILD_THREADS, MIN_GRAPH_ROWS, save_vector_base
from paperwire.search.vector_index import VectorIndex
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage import paper_terms as term_store
from paperwire.storage.job_locks import file_lock

log = logging.getLogger(__name__)

LOCK_FILE = "build.lock"
# A generation is rebuilt once PAPERWIRE_INDEX_REBUILD_PAPERS papers were written after it
# and at least this share of its size: until then the workers scan the newer ones exactly.
REBUILD_SHARE = 0.05
CHECK_MINUTES = 5
BUILD_NICENESS = 10


@dataclass(frozen=True, slots=True)
class BuildReport:
    generation: str
    vectors: int  # papers with an embedding in it
    terms: int  # papers with terms in it
    graph: bool  # whether it has an HNSW graph (else similar papers are an exact scan)
    seconds: float


@dataclass(frozen=True, slots=True)
class Lag:
    """How far the current generation is behind the database."""

    generation: str | None
    vectors_behind: int  # embeddings written after it
    terms_behind: int
    size: int  # papers it holds (the larger part)

    def is_stale(self, rebuild_papers: int) -> bool:
        """Whether enough papers were written after it to build a new one."""
        behind = max(self.vectors_behind, self.terms_behind)
        return behind >= max(rebuild_papers, int(self.size * REBUILD_SHARE))


def index_folder(settings: Settings) -> IndexFolder:
    return IndexFolder(settings.data_dir / INDEX_FOLDER)


def prepare_index(
    db: Database,
    settings: Settings,
    model: str,
    dims: int,
    *,
    announce: Callable[[str], object] = log.info,
) -> str | None:
    """Build the index generation before serving when it is missing or far behind (the
    first start on a large database, or after a bulk load); what was done, or None.
    announce is told first, since the build takes minutes at a million papers."""
    folder = index_folder(settings)
    lag = index_lag(db, folder, model)
    if not lag.is_stale(settings.index_rebuild_papers):
        return None
    behind = max(lag.vectors_behind, lag.terms_behind)
    announce(
        f"building the search index ({behind:,} papers to add; "
        "about 9 minutes a million papers on 2 cores)"
    )
    report = build_index(db, folder, model, dims)
    if report is None:
        return f"another process is building the search index in {folder.path}"
    return (
        f"built the search index of {report.terms:,} papers in {folder.path} "
        f"in {report.seconds:.1f} s (shared by every worker; rebuilt as papers arrive)"
    )


def index_lag(db: Database, folder: IndexFolder, model: str) -> Lag:
    generation = folder.current()
    meta = generation.meta if generation is not None else {}
    vectors_seq = int(meta["vectors_seq"]) if meta.get("vectors_model") == model else 0
    terms_seq = int(meta.get("terms_seq", 0))
    return Lag(
        generation=None if generation is None else generation.name,
        vectors_behind=embedding_store.count_embeddings_since(db, vectors_seq),
        terms_behind=term_store.count_terms_since(db, terms_seq),
        size=max(int(meta.get("vectors_rows", 0)), int(meta.get("terms_rows", 0))),
    )


def build_index(
    db: Database,
    folder: IndexFolder,
    model: str,
    dims: int,
    *,
    threads: int = BUILD_THREADS,
    graph_rows: int = MIN_GRAPH_ROWS,
) -> BuildReport | None:
    """Write a new generation of every listed paper and make it current (with an HNSW graph
    from graph_rows papers on); None when another process is building one here now."""
    with _build_lock(folder) as held:
        if not held:
            return None
        started = time.perf_counter()
        building = folder.start()
        try:
            meta = _write_terms(db, building)
            meta |= _write_vectors(db, building, model, dims, threads, graph_rows)
            meta["built_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            generation = folder.publish(building, meta)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return BuildReport(
        generation=generation.name,
        vectors=int(meta["vectors_rows"]),
        terms=int(meta["terms_rows"]),
        graph=bool(meta["vectors_graph"]),
        seconds=time.perf_counter() - started,
    )


def _write_terms(db: Database, building: Path) -> dict[str, Any]:
    terms = TermIndex()
    terms.refresh(db)
    meta = save_term_base(building, terms)
    del terms
    release_freed_memory()
    return meta


def _write_vectors(
    db: Database, building: Path, model: str, dims: int, threads: int, graph_rows: int
) -> dict[str, Any]:
    vectors = VectorIndex(model, dims)
    vectors.refresh(db)
    held = vectors.in_memory()
    meta = save_vector_base(
        building,
        model,
        held.seq,
        held.paper_ids,
        held.vectors,
        held.listing_days,
        held.categories,
        threads=threads,
        graph_rows=graph_rows,
    )
    del vectors, held
    release_freed_memory()
    return meta


@contextmanager
def _build_lock(folder: IndexFolder) -> Iterator[bool]:
    folder.path.mkdir(parents=True, exist_ok=True)
    with file_lock(folder.path / LOCK_FILE) as held:
        yield held


def start_scheduled_index_builds(
    settings: Settings, stop: threading.Event, model: str
) -> threading.Thread:
    """A thread of `serve` that rebuilds the generation when it falls behind: the build runs
    in a child process at low priority, so the web workers keep the cores first."""

    def check_until_stopped() -> None:
        folder = index_folder(settings)
        while not stop.wait(CHECK_MINUTES * 60):
            db = Database.open(settings.effective_database_url())
            try:
                if not index_lag(db, folder, model).is_stale(settings.index_rebuild_papers):
                    continue
            except Exception:  # a database outage: try again at the next check
                log.exception("index check failed")
                continue
            finally:
                db.close()
            _build_in_child()

    thread = threading.Thread(target=check_until_stopped, name="index-builds", daemon=True)
    thread.start()
    return thread


def _build_in_child() -> None:
    command = [sys.executable, "-m", "paperwire", "index", "build", "--if-stale"]
    log.info("search index behind: rebuilding it (%s)", " ".join(command[1:]))
    nice = shutil.which("nice")
    if nice is not None:  # (not preexec_fn: this process has threads)
        command = [nice, "-n", str(BUILD_NICENESS), *command]
    finished = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        log.error("index build failed (exit %d): %s", finished.returncode, finished.stderr[-2000:])
    else:
        log.info("%s", finished.stdout.strip())
