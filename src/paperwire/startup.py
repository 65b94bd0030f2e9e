"""Bring a database to a servable state before the web server starts."""

from __future__ import annotations

from paperwire.config import Settings
from paperwire.demo import load_demo
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.embeddings import count_embeddings
from paperwire.storage.paper_terms import count_missing_pairs, count_terms
from paperwire.storage.papers import count_papers


def prepare_database(db: Database, settings: Settings) -> list[str]:
    """Create the schema of a brand-new database, refuse one that is behind, load the demo.

    Returns what was done, one line each, for the operator. A database that already has
    tables is never migrated implicitly: upgrades stay an explicit `paperwire db upgrade`.
    """
    done: list[str] = []
    if db.is_empty():
        db.upgrade()
        done.append("created a new database schema")
    db.require_current_schema()
    if settings.load_demo and count_papers(db) == 0:
        report = load_demo(db)
        done.append(
            f"loaded {report.counts.added} demo papers (PAPERWIRE_LOAD_DEMO=false turns this off)"
        )
        embedded = embed_pending(db, load_embedder(settings.embedding_model))
        done.append(f"embedded {embedded.embedded} demo papers for semantic search")
    missing = count_papers(db) - count_embeddings(db, load_embedder(settings.embedding_model).name)
    if missing > 0:
        done.append(
            f"{missing} papers have no embedding yet: run `paperwire embed` "
            "(until then they are found by keyword only)"
        )
    unanalyzed = count_papers(db) - count_terms(db)
    if unanalyzed > 0:
        done.append(
            f"{unanalyzed} papers have no stored terms yet: run `paperwire embed` "
            "(until then hybrid search ranks keywords in SQL, more slowly)"
        )
    unpaired = count_missing_pairs(db)
    if unpaired > 0:
        done.append(
            f"{unpaired} papers have no stored word pairs yet: run `paperwire embed` "
            '(until then "for you" feeds and digests analyse their text, more slowly)'
        )
    return done
