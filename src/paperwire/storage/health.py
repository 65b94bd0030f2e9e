"""Where the background work stands, for /metrics: harvests, digests, stored papers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from paperwire.storage.database import Database
from paperwire.storage.digests import deliveries_due_since, last_sent_at
from paperwire.storage.embeddings import embeddings_seq
from paperwire.storage.harvests import harvest_summary
from paperwire.storage.paper_terms import terms_seq
from paperwire.storage.papers import count_papers


@dataclass(frozen=True, slots=True)
class OperationalState:
    papers: int
    last_harvest_at: datetime | None  # the newest finished harvest, of any source
    failed_harvests: int  # checkpoints whose last run failed
    oldest_due_digest_at: datetime | None  # the longest-waiting digest due now
    last_digest_sent_at: datetime | None
    embeddings_seq: int  # what a current vector index has loaded…
    terms_seq: int  # …and a current keyword index


def operational_state(db: Database, now: datetime) -> OperationalState:
    """A few indexed reads and a count of papers."""
    last_harvest, failures = harvest_summary(db)
    return OperationalState(
        papers=count_papers(db),
        last_harvest_at=last_harvest,
        failed_harvests=failures,
        oldest_due_digest_at=deliveries_due_since(db, now),
        last_digest_sent_at=last_sent_at(db),
        embeddings_seq=embeddings_seq(db),
        terms_seq=terms_seq(db),
    )
