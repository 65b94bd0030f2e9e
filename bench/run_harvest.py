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
import gc
import gzip
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape, quoteattr

from benchlib import REPO_ROOT, machine_info, write_json

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import PoliteClient
from paperwire.ingest.arxiv.harvest import HarvestReport, OaiRequest, harvest_oai
from paperwire.ingest.arxiv.oai import parse_oai_page
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.papers import UpsertCounts, count_papers, upsert_papers

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
ARXIV_CATEGORY_RE = re.compile(r"[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?")  # cs.CV, hep-th
ACM_CLASS_RE = re.compile(r"[A-K]\.\d")  # I.4.2; E.4
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
class Page:
    """One served ListRecords page and the resumption token that asks for it."""

    requested_by: str | None  # None: the first request of the window
    body: bytes


@dataclass(frozen=True, slots=True)
class Window:
    """A harvest window of listings, served as OAI-PMH pages: a day or a week."""

    label: str
    first: date
    last: date
    papers: int
    pages: list[Page]


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
    """One end-to-end harvest_oai of a window; times in seconds from its start."""

    delay_s: float
    seconds: float
    pages: int
    added: int
    requested_at: list[float]  # when the server received each request
    stored_at: list[float]  # when each page was committed


@dataclass
class Replay:
    """What the loopback OAI-PMH server answers, and when it was asked."""

    by_token: dict[str | None, bytes]
    started: float = 0.0  # time.perf_counter() at the start of the harvest
    requested_at: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--papers-file",
        type=Path,
        default=DEFAULT_PAPERS_FILE,
        help="shared arXiv listing file (JSON Lines, gzip)",
    )
    parser.add_argument("--records", type=int, default=20_000, help="records to parse and store")
    parser.add_argument("--page-size", type=int, default=1_000, help="records per OAI-PMH page")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure (median)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON")
    return parser.parse_args(argv)


def read_listings(path: Path) -> list[Listing]:
    """Every record of the listing file, first occurrence of each id, in file order."""
    seen: set[str] = set()
    listings: list[Listing] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            if raw["id"] in seen:
                continue
            seen.add(raw["id"])
            listings.append(
                Listing(
                    arxiv_id=raw["id"],
                    title=raw["title"],
                    authors=tuple(raw.get("authors") or ()),
                    abstract=raw.get("abstract") or "",
                    categories=tuple(raw.get("categories") or ()),
                    comment=raw.get("comment") or None,
                    first_listed=date.fromisoformat(raw["first_listed"]),
                )
            )
    return listings


def previous_weekday(day: date) -> date:
    """The Monday-to-Friday date before day: a paper submitted then is listed on day."""
    before = day - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    return before


def author_xml(name: str) -> str:
    """'First Middle Last' as arXiv writes it: keyname the last word, forenames the rest."""
    forenames, _, keyname = name.strip().rpartition(" ")
    parts = [f"<keyname>{escape(keyname)}</keyname>"]
    if forenames:
        parts.append(f"<forenames>{escape(forenames)}</forenames>")
    return f"<author>{''.join(parts)}</author>"


def record_xml(listing: Listing) -> str:
    """One <record> in the shape of arXiv's metadataPrefix=arXiv responses."""
    fields = [
        f"<id>{escape(listing.arxiv_id)}</id>",
        f"<created>{previous_weekday(listing.first_listed).isoformat()}</created>",
        f"<authors>{''.join(author_xml(a) for a in listing.authors)}</authors>",
        f"<title>{escape(listing.title)}</title>",
        f"<categories>{escape(' '.join(arxiv_categories(listing)))}</categories>",
    ]
    if listing.comment:
        fields.append(f"<comments>{escape(listing.comment)}</comments>")
    fields.extend(class_xml(listing))
    fields.append(f"<license>{LICENSE_URL}</license>")
    fields.append(f"<abstract>  {escape(listing.abstract)}\n</abstract>")
    return (
        "<record>\n<header>\n"
        f" <identifier>oai:arXiv.org:{escape(listing.arxiv_id)}</identifier>\n"
        f" <datestamp>{listing.first_listed.isoformat()}</datestamp>\n"
        f" <setSpec>{SET_SPEC}</setSpec>\n"
        "</header>\n<metadata>\n"
        f" {ARXIV_ROOT}\n {''.join(fields)}</arXiv>\n"
        "</metadata>\n</record>\n"
    )


def arxiv_categories(listing: Listing) -> list[str]:
    """The arXiv categories alone: the listing file mixes MSC and ACM classes in."""
    return [c for c in listing.categories if ARXIV_CATEGORY_RE.fullmatch(c)]


def class_xml(listing: Listing) -> list[str]:
    """The MSC and ACM classes, in the elements arXiv gives them."""
    others = [c for c in listing.categories if not ARXIV_CATEGORY_RE.fullmatch(c)]
    acm = [c for c in others if ACM_CLASS_RE.match(c)]
    msc = [c for c in others if not ACM_CLASS_RE.match(c)]
    elements = [f"<msc-class>{escape(', '.join(msc))}</msc-class>"] if msc else []
    return elements + ([f"<acm-class>{escape('; '.join(acm))}</acm-class>"] if acm else [])


def resumption_token_xml(cursor: int, total: int, token: str | None) -> str:
    """The <resumptionToken> closing a page; empty on the last page, as arXiv sends it."""
    attributes = f'cursor="{cursor}" completeListSize="{total}"'
    if token is None:
        return f"<resumptionToken {attributes}/>\n"
    return f"<resumptionToken {attributes}>{escape(token)}</resumptionToken>\n"


def page_xml(records: list[str], request_line: str, token_xml: str) -> bytes:
    """One ListRecords response around already serialised records."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{OAI_ROOT}\n'
        f"<responseDate>{stamp}</responseDate>\n{request_line}\n"
        f"<ListRecords>\n{''.join(records)}{token_xml}</ListRecords>\n</OAI-PMH>\n"
    ).encode()


def request_xml(first: date, last: date) -> str:
    return (
        f'<request verb="ListRecords" from="{first}" until="{last}" metadataPrefix="arXiv" '
        f"set={quoteattr(SET_SPEC)}>http://export.arxiv.org/oai2</request>"
    )


def build_window(
    label: str, first: date, last: date, listings: list[Listing], page_size: int
) -> Window:
    """The listings as ListRecords pages chained by arXiv-style tokens ('6960524|1001')."""
    pages: list[Page] = []
    total = len(listings)
    requested_by: str | None = None
    for cursor in range(0, max(total, 1), page_size):
        chunk = [record_xml(listing) for listing in listings[cursor : cursor + page_size]]
        following = cursor + page_size
        token = f"{label}|{following + 1}" if following < total else None
        body = page_xml(chunk, request_xml(first, last), resumption_token_xml(cursor, total, token))
        pages.append(Page(requested_by, body))
        requested_by = token
    return Window(label, first, last, total, pages)


def sample_window(listings: list[Listing], records: int, page_size: int) -> Window:
    """The first `records` papers of the file, for the throughput passes."""
    chosen = listings[:records]
    days = [listing.first_listed for listing in chosen]
    return build_window("sample", min(days), max(days), chosen, page_size)


def busiest_day_window(listings: list[Listing], page_size: int) -> Window:
    """The listing day with the most papers: one day of a large category."""
    day, _ = Counter(listing.first_listed for listing in listings).most_common(1)[0]
    chosen = [listing for listing in listings if listing.first_listed == day]
    return build_window(f"day-{day:%Y%m%d}", day, day, chosen, page_size)


def busiest_week_window(listings: list[Listing], page_size: int) -> Window:
    """The Monday-to-Friday listing week with the most papers: a catch-up after days away."""
    weeks = Counter(monday_of(listing.first_listed) for listing in listings)
    monday, _ = weeks.most_common(1)[0]
    chosen = [listing for listing in listings if monday_of(listing.first_listed) == monday]
    friday = monday + timedelta(days=4)
    return build_window(f"week-{monday:%Y%m%d}", monday, friday, chosen, page_size)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def time_parse(pages: list[Page]) -> ParseRun:
    """parse_oai_page over every page, nothing else."""
    papers = rejected = 0
    started = time.perf_counter()
    for page in pages:
        parsed = parse_oai_page(page.body)
        papers += len(parsed.papers)
        rejected += len(parsed.rejected)
    return ParseRun(time.perf_counter() - started, papers, rejected)


def time_parse_and_store(db: Database, pages: list[Page]) -> StoreRun:
    """Parse each page and upsert its papers in one transaction, as a harvest does."""
    parse_s = store_s = 0.0
    papers = 0
    counts = UpsertCounts()
    for page in pages:
        started = time.perf_counter()
        batch: list[Paper] = parse_oai_page(page.body).papers
        parsed = time.perf_counter()
        counts += upsert_papers(db, batch)
        parse_s += parsed - started
        store_s += time.perf_counter() - parsed
        papers += len(batch)
    return StoreRun(parse_s, store_s, papers, counts)


@contextmanager
def fresh_database(parent: Path) -> Iterator[Database]:
    """An upgraded, empty SQLite database in a new folder under parent."""
    folder = Path(tempfile.mkdtemp(prefix="db-", dir=parent))
    db = Database.open(Settings(data_dir=folder, load_demo=False).effective_database_url())
    try:
        db.upgrade()
        yield db
    finally:
        db.close()


def store_passes(
    pages: list[Page], repeats: int, tmp: Path
) -> tuple[list[StoreRun], list[StoreRun]]:
    """Per repeat, a fresh database: a first pass over the pages, then the same pages again."""
    first: list[StoreRun] = []
    again: list[StoreRun] = []
    for _ in range(repeats):
        with fresh_database(tmp) as db:
            first.append(time_parse_and_store(db, pages))
            again.append(time_parse_and_store(db, pages))
            stored = count_papers(db)
        if stored != first[-1].papers:
            raise RuntimeError(f"stored {stored:,} papers, parsed {first[-1].papers:,}")
    return first, again


class _ReplayHandler(BaseHTTPRequestHandler):
    """Answers ListRecords from a Replay: the first page, or the page a token asks for."""

    protocol_version = "HTTP/1.1"  # keep-alive, as httpx would get from arXiv
    replay: Replay

    def do_GET(self) -> None:
        with self.replay.lock:
            self.replay.requested_at.append(time.perf_counter() - self.replay.started)
        body = self.answer(dict(parse_qsl(urlsplit(self.path).query)))
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def answer(self, params: dict[str, str]) -> bytes:
        if params.get("verb") != "ListRecords":
            return oai_error("badVerb", "only ListRecords is served here")
        token = params.get("resumptionToken")
        if token is None and params.get("metadataPrefix") != "arXiv":
            return oai_error("cannotDisseminateFormat", "only metadataPrefix=arXiv")
        page = self.replay.by_token.get(token)
        return page if page is not None else oai_error("badResumptionToken", str(token))

    def log_message(self, *_args: object) -> None:
        pass


def oai_error(code: str, message: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{OAI_ROOT}\n'
        f'<error code="{code}">{escape(message)}</error>\n</OAI-PMH>\n'
    ).encode()


@contextmanager
def serving(replay: Replay) -> Iterator[str]:
    """Serve the replay on a free loopback port; yield the OAI-PMH endpoint URL."""
    handler = type("Handler", (_ReplayHandler,), {"replay": replay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/oai"
    finally:
        server.shutdown()
        server.server_close()


def run_catchup(window: Window, delay_s: float, tmp: Path) -> CatchupRun:
    """The real harvest_oai and PoliteClient over the window, from a loopback server."""
    replay = Replay({page.requested_by: page.body for page in window.pages})
    stored_at: list[float] = []
    with serving(replay) as url, fresh_database(tmp) as db:
        settings = Settings(
            data_dir=tmp, load_demo=False, arxiv_oai_url=url, arxiv_delay_seconds=delay_s
        )
        request = OaiRequest(SET_SPEC, window.first, window.last)

        def on_page(_report: HarvestReport) -> None:
            stored_at.append(time.perf_counter() - replay.started)

        replay.started = time.perf_counter()
        with PoliteClient(settings) as client:
            report = harvest_oai(db, client, settings, request, on_page=on_page)
        seconds = time.perf_counter() - replay.started
    if report.counts.added != window.papers or report.pages != len(window.pages):
        raise RuntimeError(f"{window.label}: harvested {report}, expected {window.papers} papers")
    return CatchupRun(
        delay_s, seconds, report.pages, report.counts.added, replay.requested_at, stored_at
    )


def projected_seconds(run: CatchupRun, delay_s: float) -> float:
    """A no-delay run replayed under PoliteClient's rule: each request starts at least
    delay_s after the one before started (the first at once), and not before the page
    before it is stored."""
    request = run.requested_at[0]  # setup before the first request does not wait
    done = 0.0
    for index, asked in enumerate(run.requested_at):
        if index:
            follow_up = run.requested_at[index] - run.stored_at[index - 1]
            request = max(done + follow_up, request + delay_s)
        done = request + (run.stored_at[index] - asked)
    return done + (run.seconds - run.stored_at[-1])


def median_run(runs: list[CatchupRun]) -> CatchupRun:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def catchup(window: Window, repeats: int, tmp: Path) -> dict[str, Any]:
    """Delay 0 and, when the window is short, the real 3 s delay (medians), and projections."""
    no_delay = [run_catchup(window, 0.0, tmp) for _ in range(repeats)]
    typical = median_run(no_delay)
    short = len(window.pages) <= MAX_REAL_DELAY_PAGES
    delayed = [run_catchup(window, ARXIV_DELAY_S, tmp) for _ in range(repeats if short else 0)]
    real = median_run(delayed) if delayed else None
    return {
        "label": window.label.split("-")[0],
        "window": f"{window.first}..{window.last}",
        "papers": window.papers,
        "pages": len(window.pages),
        "delay0_median_s": round(typical.seconds, 3),
        "delay0_runs_s": [round(run.seconds, 3) for run in no_delay],
        "delay0_papers_per_s": round(window.papers / typical.seconds, 1),
        "delay3_projected_upper_s": round(len(window.pages) * ARXIV_DELAY_S + typical.seconds, 3),
        "delay3_projected_model_s": round(projected_seconds(typical, ARXIV_DELAY_S), 3),
        "delay3_measured_median_s": round(real.seconds, 3) if real else None,
        "delay3_runs_s": [round(run.seconds, 3) for run in delayed],
        "delay3_requested_at_s": [round(t, 3) for t in real.requested_at] if real else None,
    }


def throughput_rows(
    parse: list[ParseRun], first: list[StoreRun], again: list[StoreRun]
) -> list[dict[str, Any]]:
    """Median figures of the three passes over the same pages."""
    rows = [_parse_row(parse), _store_row("parse + store, first pass", first)]
    rows.append(_store_row("parse + store, unchanged pass", again))
    return rows


def _parse_row(runs: list[ParseRun]) -> dict[str, Any]:
    seconds = statistics.median(run.seconds for run in runs)
    return {
        "pass": "parse only (parse_oai_page)",
        "papers": runs[0].papers,
        "rejected": runs[0].rejected,
        "median_s": round(seconds, 3),
        "papers_per_s": round(runs[0].papers / seconds, 1),
        "runs_s": [round(run.seconds, 3) for run in runs],
    }


def _store_row(label: str, runs: list[StoreRun]) -> dict[str, Any]:
    seconds = statistics.median(run.seconds for run in runs)
    counts = runs[0].counts
    return {
        "pass": label,
        "papers": runs[0].papers,
        "median_s": round(seconds, 3),
        "papers_per_s": round(runs[0].papers / seconds, 1),
        "median_parse_s": round(statistics.median(run.parse_seconds for run in runs), 3),
        "median_store_s": round(statistics.median(run.store_seconds for run in runs), 3),
        "added_updated_unchanged": [counts.added, counts.updated, counts.unchanged],
        "runs_s": [round(run.seconds, 3) for run in runs],
    }


def print_throughput(rows: list[dict[str, Any]], pages: int, megabytes: float) -> None:
    print(
        f"\nThroughput: {rows[0]['papers']:,} records in {pages} pages ({megabytes:.1f} MB of "
        "XML); real arXiv metadata re-serialised into the OAI-PMH arXiv shape"
    )
    header = (
        f"{'pass':<31} {'papers':>7} {'median s':>9} {'papers/s':>9} {'parse s':>8} "
        f"{'store s':>8}  added/updated/unchanged"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        counts = "/".join(f"{n:,}" for n in row.get("added_updated_unchanged", []))
        print(
            f"{row['pass']:<31} {row['papers']:>7,} {row['median_s']:>9.2f} "
            f"{row['papers_per_s']:>9,.0f} {row.get('median_parse_s', row['median_s']):>8.2f} "
            f"{row.get('median_store_s', 0.0):>8.2f}  {counts or '-'}"
        )


def print_catchups(rows: list[dict[str, Any]]) -> None:
    print("\nCatch-up: harvest_oai + PoliteClient from a loopback OAI-PMH server, fresh SQLite")
    header = (
        f"{'window':<8} {'dates':<22} {'papers':>6} {'pages':>5} {'delay 0 s':>9} "
        f"{'3 s: pages*3+t':>14} {'3 s: model':>10} {'3 s: measured':>13}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        measured = row["delay3_measured_median_s"]
        print(
            f"{row['label']:<8} {row['window']:<22} {row['papers']:>6,} {row['pages']:>5} "
            f"{row['delay0_median_s']:>9.2f} {row['delay3_projected_upper_s']:>14.2f} "
            f"{row['delay3_projected_model_s']:>10.2f} "
            f"{'-' if measured is None else f'{measured:.2f}':>13}"
        )
    print(
        "delay 0 s: median wall time (HTTP + parse + store); 3 s model: PoliteClient spaces "
        "request starts >= 3 s apart, the first goes at once"
    )


def write_results(
    args: argparse.Namespace,
    sample: Window,
    throughput: list[dict[str, Any]],
    catchups: list[dict[str, Any]],
) -> None:
    results = {
        "benchmark": "harvest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "database": "sqlite",
        "input_file": str(args.papers_file),
        "pages_note": "real arXiv metadata from the listing file, re-serialised into the "
        "OAI-PMH ListRecords shape with metadataPrefix=arXiv",
        "records": sample.papers,
        "page_size": args.page_size,
        "pages": len(sample.pages),
        "repeats": args.repeats,
        "throughput": throughput,
        "catchup_delay_s": ARXIV_DELAY_S,
        "catchup": catchups,
    }
    write_json(args.out, results)


def build_windows(args: argparse.Namespace) -> tuple[Window, list[Window]]:
    """The throughput sample and the catch-up windows, as served pages.

    The listings are dropped once serialised, so that the garbage collector does not walk
    the benchmark's own 70,000 records during the timed runs.
    """
    listings = read_listings(args.papers_file)
    print(f"{len(listings):,} listings read from {args.papers_file}", flush=True)
    sample = sample_window(listings, args.records, args.page_size)
    catchups = [
        busiest_day_window(listings, args.page_size),
        busiest_week_window(listings, args.page_size),
    ]
    return sample, catchups


def run(args: argparse.Namespace) -> None:
    sample, windows = build_windows(args)
    gc.collect()
    megabytes = sum(len(page.body) for page in sample.pages) / 1e6
    print(
        f"timing {sample.papers:,} records in {len(sample.pages)} pages; "
        f"median of {args.repeats} runs per figure ...",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-") as tmp:
        parse = [time_parse(sample.pages) for _ in range(args.repeats)]
        first, again = store_passes(sample.pages, args.repeats, Path(tmp))
        throughput = throughput_rows(parse, first, again)
        print_throughput(throughput, len(sample.pages), megabytes)
        print("\ncatching up on the busiest day and week ...", flush=True)
        catchups = [catchup(window, args.repeats, Path(tmp)) for window in windows]
    print_throughput(throughput, len(sample.pages), megabytes)
    print_catchups(catchups)
    write_results(args, sample, throughput, catchups)
    print(f"wrote {args.out}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.records < 1 or args.page_size < 1 or args.repeats < 1:
        print("--records, --page-size and --repeats must be at least 1", file=sys.stderr)
        return 2
    if not args.papers_file.is_file():
        print(f"skipped: shared data file {args.papers_file} is missing")
        return 0
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
