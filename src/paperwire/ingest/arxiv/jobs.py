"""What one harvest command asks for, run through the harvesters: shared by CLI and serve."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import PoliteClient
from paperwire.ingest.arxiv.harvest import (
    HarvestError,
    HarvestReport,
    OaiRequest,
    PageCallback,
    harvest_api,
    harvest_oai,
    harvest_rss,
)
from paperwire.ingest.arxiv.schedule import after_announcements, run_on_schedule
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.job_locks import HARVEST_JOB, once_across_servers

log = logging.getLogger(__name__)
SOURCES = ("oai", "api", "rss")


@dataclass(frozen=True, slots=True)
class HarvestPlan:
    source: str
    set_spec: str | None = None
    categories: tuple[str, ...] = ()
    window_from: date | None = None
    window_until: date | None = None
    ids: tuple[str, ...] = ()
    query: str | None = None

    def check(self) -> None:
        """Refuse option combinations that cannot mean anything, naming what is missing."""
        if self.source == "oai" and not self.set_spec:
            raise HarvestError("--source oai needs --set (such as cs or physics:hep-th)")
        if self.source == "rss" and not self.categories:
            raise HarvestError(
                "--source rss needs --category (or PAPERWIRE_HARVEST_CATEGORIES), such as cs.AI"
            )
        if self.source == "api" and not (self.ids or self.query):
            raise HarvestError("--source api needs --query or --id")
        if self.window_from and self.window_until and self.window_from > self.window_until:
            raise HarvestError("--from is after --until")


def run_plan(
    db: Database, settings: Settings, plan: HarvestPlan, on_page: PageCallback | None = None
) -> list[HarvestReport]:
    """Run the plan with one polite client; stop at the first harvest that fails."""
    plan.check()
    with PoliteClient(settings) as client:
        if plan.source == "oai":
            request = OaiRequest(plan.set_spec or "", plan.window_from, plan.window_until)
            return [harvest_oai(db, client, settings, request, on_page)]
        if plan.source == "api":
            return [
                harvest_api(db, client, settings, query=plan.query, ids=plan.ids, on_page=on_page)
            ]
        return [harvest_rss(db, client, settings, c, on_page) for c in _unique(plan.categories)]


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def start_scheduled_harvest(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Harvest the configured categories' feeds in a background thread (`serve`'s schedule).

    Returns None when PAPERWIRE_HARVEST_IN_SERVE is off or no category is configured.
    """
    if not (settings.harvest_in_serve and settings.harvest_categories):
        return None
    plan = HarvestPlan(source="rss", categories=tuple(settings.harvest_categories))

    def harvest_until_stopped() -> None:
        db = Database.open(settings.effective_database_url())
        try:
            run_on_schedule(
                once_across_servers(
                    db, HARVEST_JOB, lambda: _harvest_and_embed(db, settings, plan)
                ),
                after_announcements(settings.harvest_delay_minutes),
                stop,
            )
        finally:
            db.close()

    thread = threading.Thread(target=harvest_until_stopped, name="harvest", daemon=True)
    thread.start()
    return thread


def _harvest_and_embed(db: Database, settings: Settings, plan: HarvestPlan) -> None:
    _log_reports(run_plan(db, settings, plan))
    embedded = embed_pending(db, load_embedder(settings.embedding_model))
    log.info("embedded %d new or changed papers", embedded.embedded)


def _log_reports(reports: list[HarvestReport]) -> None:
    for report in reports:
        log.info(
            "harvested %s %s: added %d, updated %d",
            report.source,
            report.scope,
            report.counts.added,
            report.counts.updated,
        )
