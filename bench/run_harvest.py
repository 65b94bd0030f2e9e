"""Benchmark the arXiv OAI-PMH harvest: parse and store pages, then catch up on a busy day.

Run from the repository root:

    .venv/bin/python bench/run_harvest.py [--records 20000] [--page-size 1000] [--repeats 3]
        [--papers-file ../shared/data/arxiv/cs-cv-cl-ai-2025-2026.jsonl.gz]
        [--out bench/results/harvest.json]

The pages are real arXiv metadata from the shared listing file, re-serialised into the
shape of arXiv's OAI-PMH ListRecords responses (metadataPrefix=arXiv), as recorded in
tests/data/arxiv/oai-pmh/. It times `parse_oai_page` alone, then parse plus
`upsert_papers` into a fresh SQLite database (first pass, then the same pages again, all
unchanged). It then serves the busiest listing day (and the busiest Monday-to-Friday week)
from a loopback HTTP server with resumption-token paging and runs the real `harvest_oai`
with the real `PoliteClient`, with no delay and with arXiv's 3 s politeness delay.
Figures are printed as a table and written as JSON. Without the shared data it prints why
and exits 0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import PoliteClient
from paperwire.ingest.arxiv.harvest import HarvestReport, OaiRequest, harvest_oai
from paperwire.ingest.arxiv.oai import parse_oai_page
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.papers import UpsertCounts, count_papers, upsert_papers

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAPERS_FILE = (
    REPO_ROOT.parent / "shared" / "data" / "arxiv" / "cs-cv-cl-ai-2025-2026.jsonl.gz"
)
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "harvest.json"
SET_SPEC = "cs"
ARXIV_DELAY_S = 3.0  # paperwire's default arxiv_delay_seconds, as arXiv asks
MAX_REAL_DELAY_PAGES = 3  # run the 3 s-delay harvest for real only up to this many pages
# Not in the listing file: every record gets arXiv's most common licence, so that the
# records carry the same elements as the recorded ones.
LICENSE_URL = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
OAI_ROOT = (
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
    'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
)
ARXIV_ROOT = (
    '<arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">'
)


@dataclass(frozen=True, slots=True)
class Listing:
    """One line of the shared listing file: real arXiv metadata."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    abstract: str
    categories: tuple[str, ...]
    comment: str | None
    first_listed: date


@dataclass(frozen=True, slots=True)
class Window:
    """A harvest window served as OAI-PMH pages: a day or a week of listings."""

    label: str
    first: date
    last: date
    listings: list[Listing]
    pages: list[bytes]


@dataclass(frozen=True, slots=True)
class ParseRun:
    seconds: float
    papers: int
    rejected: int

    @property
    def papers_per_s(self) -> float:
        return self.papers / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class StoreRun:
    parse_seconds: float
    store_seconds: float
    papers: int
    counts: UpsertCounts

    @property
    def seconds(self) -> float:
        return self.parse_seconds + self.store_seconds

    @property
    def papers_per_s(self) -> float:
        return self.papers / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CatchupRun:
    delay_s: float
    seconds: float
    pages: int
    requests: int
    added: int
    page_done_at: list[float]  # seconds from the start when each page was committed


@dataclass(frozen=True, slots=True)
class Catchup:
    """What catching up on one window costs, measured and projected."""

    label: str
    window: str
    papers: int
    pages: int
    no_delay: list[CatchupRun]
    with_delay: CatchupRun | None
    projected_simple_s: float  # pages x 3 s + processing: the upper bound
    projected_model_s: float  # PoliteClient's rule applied to the measured page times

    @property
    def no_delay_median_s(self) -> float:
        return statistics.median(run.seconds for run in self.no_delay)


