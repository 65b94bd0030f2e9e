"""The stars refresh end to end: a local server answering like GitHub, both databases."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import make_paper
from github_server import FakeGitHub, Reply, primary_limit_spent, retry_after, serving
from sqlalchemy import insert, select

from paperwire.code.github import GitHubClient
from paperwire.code.refresh import (
    ERROR_RECHECK_HOURS,
    LEASE_SECONDS,
    MISSING_RECHECK_DAYS,
    RefreshReport,
    refresh_stars,
    seconds_to_next_pass,
    start_scheduled_refresh,
)
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage import repositories as store
from paperwire.storage.code import ensure_repository
from paperwire.storage.papers import upsert_papers
from paperwire.storage.schema import paper_links, papers, repositories

TOKEN = "ghp_refresh_test_token"


class Clock:
    """Real time moved forward by hand (ensure_repository dates rows with the real time)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub()


@pytest.fixture
def base_url(github: FakeGitHub) -> Iterator[str]:
    with serving(github) as url:
        yield url


def settings_for(url: str, **values: object) -> Settings:
    values = {"github_requests_per_hour": 100_000} | values
    return Settings(_env_file=None, github_api_url=url, **values)  # type: ignore[arg-type, call-arg]


def refresh(db: Database, url: str, clock: Clock | None = None, **options: object) -> RefreshReport:
    settings = settings_for(url)
    with GitHubClient(settings, sleep=lambda _s: None) as client:
        return refresh_stars(db, settings, client, clock=clock or Clock(), **options)  # type: ignore[arg-type]


def add(db: Database, *paths: str, host: str = "github.com") -> list[int]:
    with db.write() as connection:
        return [ensure_repository(connection, host, p, f"https://{host}/{p}") for p in paths]


def row(db: Database, repository_id: int) -> dict[str, object]:
    query = select(repositories).where(repositories.c.id == repository_id)
    with db.engine.connect() as connection:
        found = connection.execute(query).first()
    return dict(found._mapping) if found else {}


def link(db: Database, arxiv_id: str, repository_id: int, url: str) -> None:
    upsert_papers(db, [make_paper(arxiv_id=arxiv_id)])
    with db.write() as connection:
        paper_id = connection.scalar(select(papers.c.id).where(papers.c.arxiv_id == arxiv_id))
        connection.execute(
            insert(paper_links).values(
                paper_id=paper_id,
                code_url=url,
                repository_id=repository_id,
                updated_at=datetime.now(UTC),
            )
        )


def asked_paths(github: FakeGitHub) -> Counter[str]:
    return Counter(seen.path for seen in github.seen)


def test_a_pass_counts_every_due_github_repository(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("alice/model", 120, repo_id=7)
    github.add("bob/data", 3)
    first, second = add(db, "alice/model", "bob/data")
    add(db, "carol/tool", host="gitlab.com")
    report = refresh(db, base_url)
    assert (report.asked, report.updated, report.failed) == (2, 2, 0)
    assert set(asked_paths(github)) == {"/repos/alice/model", "/repos/bob/data"}
    found = row(db, first)
    assert (found["stars"], found["status"], found["remote_id"], found["etag"]) == (
        120,
        "ok",
        7,
        '"7-78"',
    )
    assert row(db, second)["stars"] == 3
    assert refresh(db, base_url).asked == 0  # nothing due until tomorrow


def test_the_next_day_asks_conditionally_and_scores_the_gain(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("alice/model", 100)
    github.add("bob/data", 50)
    model, data = add(db, "alice/model", "bob/data")
    clock = Clock()
    refresh(db, base_url, clock)
    github.repos["alice/model"].stars = 130
    clock.advance(hours=24, minutes=1)
    report = refresh(db, base_url, clock)
    assert (report.updated, report.unchanged) == (1, 1)
    assert all(s.headers.get("if-none-match") for s in github.seen[2:])
    assert (row(db, model)["trend_score"], row(db, model)["stars_gained_week"]) == (30.0, 30)
    assert row(db, data)["trend_score"] == 0.0
    assert len(store.star_history(db, data)) == 2  # a 304 still writes the day's count


def test_a_renamed_repository_follows_with_its_papers_links(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("alice/model", 10, repo_id=7)
    github.rename("alice/model", "alice-lab/Model2")
    (repo,) = add(db, "alice/model")
    link(db, "2404.00001", repo, "https://github.com/alice/model")
    report = refresh(db, base_url)
    assert (report.updated, report.renamed) == (1, 1)
    assert (row(db, repo)["path"], row(db, repo)["url"]) == (
        "alice-lab/Model2",
        "https://github.com/alice-lab/Model2",
    )
    with db.engine.connect() as connection:
        assert connection.scalar(select(paper_links.c.code_url)) == (
            "https://github.com/alice-lab/Model2"
        )


def test_a_rename_onto_a_known_repository_merges_them(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("alice/old", 10, repo_id=7)
    old, new = add(db, "alice/old", "alice/new")
    link(db, "2404.00001", old, "https://github.com/alice/old")
    link(db, "2404.00002", new, "https://github.com/alice/new")
    clock = Clock()
    refresh(db, base_url, clock, limit=1)  # counts alice/old only: 10 stars yesterday
    github.rename("alice/old", "alice/new")
    github.repos["alice/new"].stars = 14
    clock.advance(hours=24, minutes=1)
    report = refresh(db, base_url, clock)
    assert report.renamed == 1 and row(db, new) == {}
    with db.engine.connect() as connection:
        assert set(connection.scalars(select(paper_links.c.repository_id))) == {old}
    assert [stars for _, stars in store.star_history(db, old)] == [10, 14]
    assert row(db, old)["stars_gained_week"] == 4


@pytest.mark.parametrize("status", [404, 410, 451])
def test_missing_repositories_are_kept_and_asked_again_weekly(
    db: Database, github: FakeGitHub, base_url: str, status: int
) -> None:
    github.add("alice/model", 10)
    (repo,) = add(db, "alice/model")
    clock = Clock()
    refresh(db, base_url, clock)
    github.gone["alice/model"] = status
    clock.advance(hours=25)
    assert refresh(db, base_url, clock).missing == 1
    found = row(db, repo)
    assert (found["status"], found["stars"], found["last_error"]) == (
        "missing",
        10,
        f"HTTP {status}",
    )
    clock.advance(days=MISSING_RECHECK_DAYS - 1)
    assert refresh(db, base_url, clock).asked == 0
    del github.gone["alice/model"]
    clock.advance(days=1, minutes=1)
    assert refresh(db, base_url, clock).updated == 1 and row(db, repo)["status"] == "ok"


def test_a_lasting_server_error_is_recorded_and_the_pass_goes_on(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("alice/model", 10)
    github.add("bob/data", 5)
    github.then("alice/model", *[Reply(500)] * 4, Reply(502))
    broken, fine = add(db, "alice/model", "bob/data")
    clock = Clock()
    report = refresh(db, base_url, clock)
    assert (report.asked, report.failed, report.updated) == (2, 1, 1)
    assert "HTTP 500" in str(row(db, broken)["last_error"]) and row(db, broken)["stars"] is None
    clock.advance(hours=ERROR_RECHECK_HOURS, minutes=1)
    again = refresh(db, base_url, clock)
    assert again.updated == 1 and row(db, broken)["last_error"] is None
    assert row(db, fine)["stars"] == 5


def test_a_spent_primary_limit_ends_the_pass_and_says_when_to_resume(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    for name in ("a/one", "a/two", "a/three"):
        github.add(name, 1)
    add(db, "a/one", "a/two", "a/three")
    reset = int(time.time()) + 3000
    github.then("a/two", primary_limit_spent(reset))
    report = refresh(db, base_url, max_wait_seconds=60)
    assert (report.updated, report.failed) == (1, 0)
    assert report.resume_at == datetime.fromtimestamp(reset, UTC)
    assert store.count_due(db, datetime.now(UTC) + timedelta(seconds=1)) == 2  # given back
    assert seconds_to_next_pass(db, report, datetime.now(UTC)) == pytest.approx(3000, abs=5)


@pytest.mark.parametrize("status", [403, 429])
def test_a_short_secondary_limit_is_waited_out(
    db: Database, github: FakeGitHub, base_url: str, status: int
) -> None:
    github.add("a/one", 1)
    github.add("a/two", 2)
    add(db, "a/one", "a/two")
    github.then("a/one", retry_after(status, 1))
    started = time.monotonic()
    report = refresh(db, base_url, max_wait_seconds=30)
    assert (report.updated, report.rate_limited_waits) == (2, 1)
    assert time.monotonic() - started >= 0.9
    times = [s.at for s in github.asked("/repos/a/one")]
    assert len(times) == 2 and times[1] - times[0] >= 0.9  # not asked again before


def test_the_advertised_limit_is_never_exceeded(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.rate_limit, github.window_seconds = 8, 1.0
    names = [f"lab/repo{n}" for n in range(9)]
    for name in names:
        github.add(name, 1)
    add(db, *names)
    report = refresh(db, base_url, max_wait_seconds=30)
    assert report.updated == 9 and report.rate_limited_waits >= 2
    # The reserve was kept: no answer ever said the limit was spent.
    assert len(github.seen) == 9


def test_a_refused_token_ends_the_pass_and_leaves_the_repository_due(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("a/one", 1)
    github.then("a/one", Reply(401))
    add(db, "a/one", "a/two")
    report = refresh(db, base_url)
    assert report.error is not None and "401" in report.error
    assert report.asked == 0 and store.count_due(db, datetime.now(UTC)) == 2


def test_a_stopped_pass_resumes_without_asking_twice(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    names = [f"lab/repo{n}" for n in range(6)]
    for name in names:
        github.add(name, 1)
    add(db, *names)
    stop = threading.Event()

    def stop_after_three(report: RefreshReport) -> None:
        if report.asked == 3:
            stop.set()  # as SIGTERM does

    first = refresh(db, base_url, stop=stop, on_repository=stop_after_three)
    assert (first.asked, first.stopped) == (3, True)
    assert refresh(db, base_url).asked == 3
    assert set(asked_paths(github).values()) == {1} and len(github.seen) == 6


def test_a_pass_whose_server_dies_resumes_with_what_failed(
    db: Database, github: FakeGitHub
) -> None:
    names = [f"lab/repo{n}" for n in range(4)]
    for name in names:
        github.add(name, 1)
    add(db, *names)
    clock = Clock()
    with serving(github) as url:
        assert refresh(db, url, clock, limit=2).updated == 2
    died = refresh(db, url, clock)  # nothing listens any more
    assert (died.failed, died.updated) == (2, 0)
    clock.advance(hours=ERROR_RECHECK_HOURS, minutes=1)
    with serving(github) as url:
        resumed = refresh(db, url, clock)
    assert (resumed.updated, resumed.failed) == (2, 0)
    assert set(asked_paths(github).values()) == {1}


def test_a_claim_left_by_a_dead_refresher_waits_for_its_lease(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.add("a/one", 1)
    add(db, "a/one")
    clock = Clock()
    assert store.claim_due(db, clock(), LEASE_SECONDS) is not None  # then it dies
    assert refresh(db, base_url, clock).asked == 0
    clock.advance(seconds=LEASE_SECONDS + 1)
    assert refresh(db, base_url, clock).updated == 1


def test_two_refreshers_at_once_never_ask_about_the_same_repository(
    db: Database, github: FakeGitHub, base_url: str
) -> None:
    github.delay_seconds = 0.005  # so the two interleave
    names = [f"lab/repo{n}" for n in range(30)]
    for name in names:
        github.add(name, 1)
    add(db, *names)
    reports: list[RefreshReport] = []
    threads = [
        threading.Thread(target=lambda: reports.append(refresh(db, base_url))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.updated for r in reports) == 30 and all(r.updated > 0 for r in reports)
    assert set(asked_paths(github).values()) == {1} and len(github.seen) == 30


def test_serves_schedule_refreshes_in_the_background_until_stopped(
    db: Database, database_url: str, github: FakeGitHub, base_url: str
) -> None:
    github.add("a/one", 5)
    (repo,) = add(db, "a/one")
    stop = threading.Event()
    off = settings_for(base_url, database_url=database_url)
    assert start_scheduled_refresh(off, stop) is None  # off by default, like harvesting
    on = settings_for(base_url, database_url=database_url, code_refresh_in_serve=True)
    thread = start_scheduled_refresh(on, stop)
    assert thread is not None
    deadline = time.monotonic() + 10
    while row(db, repo)["stars"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(timeout=5)
    assert row(db, repo)["stars"] == 5 and not thread.is_alive()
