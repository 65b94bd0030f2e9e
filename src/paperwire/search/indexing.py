"""Keep embeddings in step with papers: embed what an ingest stored, and backfill the rest
(the backfill also stores the terms of papers written before terms were stored with them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperwire.search.embedder import Embedder
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage import paper_terms as term_store

BACKFILL_BATCH = 2_000


@dataclass(slots=True)
class EmbedReport:
    embedded: int = 0  # papers given a new or recomputed embedding
    analyzed: int = 0  # papers whose terms were missing or made by an older analyzer
    looked_at: int = 0  # papers checked
    last_paper_id: int = 0  # the last one, by id (where a follow-up walk may resume)


def embed_papers(db: Database, embedder: Embedder, arxiv_ids: Sequence[str]) -> int:
    """Embed those of the given papers whose embedding is missing or stale; how many."""
    sources = embedding_store.sources_for_papers(db, embedder.name, arxiv_ids)
    if sources:
        vectors = embedder.embed([source.text for source in sources])
        embedding_store.save_embeddings(db, embedder.name, sources, vectors)
    return len(sources)


def embed_pending(
    db: Database,
    embedder: Embedder,
    *,
    after_paper_id: int = 0,
    batch_size: int = BACKFILL_BATCH,
    progress: Callable[[int], object] | None = None,
) -> EmbedReport:
    """Walk every paper by id (after after_paper_id) and embed those missing or stale, one
    transaction per batch; store the terms of those that lack them on the same walk.

    Each batch commits on its own, so a run that is stopped keeps what it did and the next
    run continues with what is still missing: the backfill is resumable by construction.
    """
    report = EmbedReport(last_paper_id=after_paper_id)
    after = after_paper_id
    while True:
        sources, last, seen = embedding_store.sources_to_embed(
            db, embedder.name, after_paper_id=after, limit=batch_size
        )
        if last == 0:
            return report
        if sources:
            vectors = embedder.embed([source.text for source in sources])
            embedding_store.save_embeddings(db, embedder.name, sources, vectors)
        unanalyzed, _, _ = term_store.papers_needing_terms(
            db, after_paper_id=after, limit=batch_size
        )
        term_store.write_terms_for_keys(db, unanalyzed)
        report.embedded += len(sources)
        report.analyzed += len(unanalyzed)
        report.looked_at += seen
        report.last_paper_id = after = last
        if progress is not None:
            progress(seen)


def analyze_pending(db: Database, *, after_paper_id: int = 0) -> int:
    """Store the terms of papers (after after_paper_id) whose terms are missing or stale,
    without embedding them; how many. A bulk load whose follower failed runs this, so that
    its papers are found by keyword even while their embeddings wait."""
    analyzed, after = 0, after_paper_id
    while True:
        keys, last, _ = term_store.papers_needing_terms(
            db, after_paper_id=after, limit=BACKFILL_BATCH
        )
        if last == 0:
            return analyzed
        term_store.write_terms_for_keys(db, keys)
        analyzed, after = analyzed + len(keys), last
