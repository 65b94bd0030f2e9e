"""End-to-end harvests: the real client and pipeline against recorded responses on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from arxiv_server import Reply, Script, params_include, path_is, serving
from factories import TEST_DATA

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import PoliteClient
from paperwire.ingest.arxiv.harvest import (
    HarvestError,
    HarvestReport,
    OaiRequest,
    harvest_api,
    harvest_oai,
    harvest_rss,
)
from paperwire.storage import Database
from paperwire.storage.harvests import COMPLETE, FAILED, load_checkpoint
from paperwire.storage.papers import count_papers, get_paper

RECORDED = TEST_DATA / "arxiv"
WINDOW = OaiRequest("physics:hep-th", date(2017, 12, 1), date(2017, 12, 31))
FIRST_PAGE = params_include(verb="ListRecords", metadataPrefix="arXiv")


def oai_page(name: str, token: str | None) -> bytes:
    """A recorded ListRecords page, with a resumption token leading to the next page."""
    xml = (RECORDED / "oai-pmh" / name).read_text()
    element = (
        f'<resumptionToken cursor="0" completeListSize="6">{token}</resumptionToken>'
        if token
        else '<resumptionToken cursor="3" completeListSize="6"/>'
    )
    return xml.replace("</ListRecords>", f"{element}</ListRecords>").encode()


PAGE_1 = oai_page("arxiv-physics-hep-th.xml", "token-2")
PAGE_2 = oai_page("arxiv-physics-hep-ex.xml", None)
ALL_IDS = ["1412.8323", "1507.07790", "1607.01710", "1706.05371", "1706.09418", "1707.00874"]


def oai_error(code: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2017-12-14T12:56:31Z</responseDate><request>http://x/oai</request>"
        f'<error code="{code}">The value of the resumptionToken argument is invalid or expired.'
        "</error></OAI-PMH>"
    ).encode()


def settings_for(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "arxiv_oai_url": f"{url}/oai",
        "arxiv_api_url": f"{url}/api/query",
        "arxiv_rss_url": f"{url}/rss",
        "arxiv_delay_seconds": 0.0,
        "arxiv_max_backoff_seconds": 0.05,
        "arxiv_timeout_seconds": 2.0,
        "arxiv_max_attempts": 3,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def two_page_script() -> Script:
    return (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1))
        .on(params_include(resumptionToken="token-2"), Reply(PAGE_2))
    )


def run_oai(db: Database, url: str, request: OaiRequest = WINDOW) -> HarvestReport:
    settings = settings_for(url)
    with PoliteClient(settings) as client:
        return harvest_oai(db, client, settings, request)


def harvest_command(database_url: str, url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    """`paperwire ingest arxiv --source oai` for the hep-th window, and its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")} | {
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_ARXIV_OAI_URL": f"{url}/oai",
        "PAPERWIRE_ARXIV_DELAY_SECONDS": "0",
        "PAPERWIRE_ARXIV_TIMEOUT_SECONDS": "120",
        "PAPERWIRE_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "paperwire", "ingest", "arxiv", "--source", "oai"]
    return [*command, "--set", "physics:hep-th", "--from", "2017-12-01", *args], env


def test_oai_harvest_follows_resumption_tokens_to_the_end(db: Database) -> None:
    script = two_page_script()
    with serving(script) as url:
        report = run_oai(db, url)
    assert report.pages == 2 and report.counts.added == 6
    assert all(get_paper(db, arxiv_id) is not None for arxiv_id in ALL_IDS)
    first, second = script.seen
    assert first.params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "physics:hep-th",
        "from": "2017-12-01",
        "until": "2017-12-31",
    }
    assert second.params == {"verb": "ListRecords", "resumptionToken": "token-2"}
    checkpoint = load_checkpoint(db, "oai", "set=physics:hep-th")
    assert checkpoint is not None
    assert (checkpoint.status, checkpoint.pages, checkpoint.papers) == (COMPLETE, 2, 6)


def test_records_keep_categories_versions_dates_and_non_ascii(db: Database) -> None:
    with serving(two_page_script()) as url:
        run_oai(db, url)
    paper = get_paper(db, "1412.8323")
    assert paper is not None
    assert paper.primary_category == "quant-ph" and "hep-th" in paper.categories
    assert paper.published_at is not None and paper.published_at.date() == date(2014, 12, 29)
    assert paper.title.startswith("Toolbox for reconstructing quantum theory")
    assert "\n" not in paper.title


def test_next_run_catches_up_from_where_the_last_window_ended(db: Database) -> None:
    with serving(two_page_script()) as url:
        run_oai(db, url)
    script = Script().on(FIRST_PAGE, Reply(oai_error("noRecordsMatch")))
    with serving(script) as url:
        report = run_oai(db, url, OaiRequest("physics:hep-th", None, None))
    assert report.counts.added == 0
    assert script.seen[0].params["from"] == "2017-12-31"


def test_first_harvest_of_a_set_needs_a_start_date(db: Database) -> None:
    with serving(Script()) as url, pytest.raises(HarvestError, match="needs --from"):
        run_oai(db, url, OaiRequest("cs", None, None))


def test_503_then_success_loses_nothing(db: Database) -> None:
    script = (
        Script()
        .on(FIRST_PAGE, Reply(b"busy", status=503, headers=(("Retry-After", "0"),)), Reply(PAGE_1))
        .on(params_include(resumptionToken="token-2"), Reply(PAGE_2))
    )
    with serving(script) as url:
        report = run_oai(db, url)
    assert report.counts.added == 6
    assert len(script.seen) == 3


def test_timeout_then_success(db: Database) -> None:
    script = (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1, delay_seconds=3), Reply(PAGE_1))
        .on(params_include(resumptionToken="token-2"), Reply(PAGE_2))
    )
    with serving(script) as url:
        report = run_oai(db, url)
    assert report.counts.added == 6


def test_truncated_page_stops_clearly_keeps_earlier_pages_and_rerun_resumes(db: Database) -> None:
    script = (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1))
        .on(
            params_include(resumptionToken="token-2"),
            Reply(PAGE_2[: len(PAGE_2) // 2]),
            Reply(PAGE_2),
        )
    )
    with serving(script) as url:
        with pytest.raises(
            HarvestError, match=r"page 2 \(verb=ListRecords&resumptionToken=token-2\)"
        ):
            run_oai(db, url)
        assert count_papers(db) == 3
        failed = load_checkpoint(db, "oai", "set=physics:hep-th")
        assert failed is not None and failed.status == FAILED and failed.cursor == "token-2"
        assert failed.last_error is not None and "not well-formed" in failed.last_error
        report = run_oai(db, url, OaiRequest("physics:hep-th", None, None))
    assert report.resumed and report.pages == 1
    assert count_papers(db) == 6
    assert script.seen[-1].params == {"verb": "ListRecords", "resumptionToken": "token-2"}


def test_expired_resumption_token_restarts_the_window_once(db: Database) -> None:
    page_1_again = PAGE_1.replace(b">token-2<", b">token-3<")
    script = (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1), Reply(page_1_again))
        .on(params_include(resumptionToken="token-2"), Reply(oai_error("badResumptionToken")))
        .on(params_include(resumptionToken="token-3"), Reply(PAGE_2))
    )
    with serving(script) as url:
        report = run_oai(db, url)
    assert count_papers(db) == 6
    assert report.counts.added == 6 and report.counts.unchanged == 3


def test_other_oai_errors_stop_with_their_code(db: Database) -> None:
    script = Script().on(FIRST_PAGE, Reply(oai_error("badArgument")))
    with serving(script) as url, pytest.raises(HarvestError, match="OAI-PMH error badArgument"):
        run_oai(db, url)


def test_api_query_is_paged_and_stored(db: Database) -> None:
    feed = (RECORDED / "atom" / "arxiv_api_query_all_science_2019-08-10.xml").read_bytes()
    feed = re.sub(rb"(totalResults[^>]*>)120839<", rb"\g<1>10<", feed)
    script = Script().on(path_is("/api/query"), Reply(feed))
    with serving(script) as url:
        settings = settings_for(url, arxiv_api_page_size=10)
        with PoliteClient(settings) as client:
            report = harvest_api(db, client, settings, query="all:science")
    assert report.counts.added == 10
    assert script.seen[0].params == {
        "search_query": "all:science",
        "start": "0",
        "max_results": "10",
    }
    assert get_paper(db, "quant-ph/0210005") is not None


def test_api_error_feed_stops_with_arxivs_message(db: Database) -> None:
    error_feed = (RECORDED / "atom" / "arxiv_docs_user_manual_error_incorrect_id.xml").read_bytes()
    script = Script().on(path_is("/api/query"), Reply(error_feed))
    with serving(script) as url:
        settings = settings_for(url)
        with PoliteClient(settings) as client, pytest.raises(HarvestError, match="arXiv API error"):
            harvest_api(db, client, settings, ids=["1234.12345"])


def test_rss_sets_the_announced_listing_day(db: Database) -> None:
    feed = (RECORDED / "rss" / "rss_arxiv_atom_cs.AI_2025-08-20.xml").read_bytes()
    script = Script().on(path_is("/rss/cs.AI"), Reply(feed))
    with serving(script) as url:
        settings = settings_for(url)
        with PoliteClient(settings) as client:
            report = harvest_rss(db, client, settings, "cs.AI")
    assert report.counts.added == 7
    paper = get_paper(db, "2508.13426")
    assert paper is not None
    assert (paper.listing_day, paper.listing_day_exact) == (date(2025, 8, 20), True)


def test_killed_harvest_resumes_without_loss_or_duplicates(database_url: str) -> None:
    db = Database.open(database_url)
    db.upgrade()
    script = (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1))
        .on(
            params_include(resumptionToken="token-2"),
            Reply(PAGE_2, delay_seconds=60),
            Reply(PAGE_2),
        )
    )
    with serving(script) as url:
        command, env = harvest_command(database_url, url, "--until", "2017-12-31")
        victim = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while len(script.seen) < 2 and time.monotonic() < deadline:  # waiting on page 2
            time.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        assert count_papers(db) == 3  # page 1 was committed with its checkpoint
        rerun = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, check=True
        )
    assert "(resumed)" in rerun.stdout
    assert count_papers(db) == 6
    assert script.seen[-1].params == {"verb": "ListRecords", "resumptionToken": "token-2"}
    db.close()


def test_withdrawn_version_updates_the_paper_and_is_marked(db: Database) -> None:
    with serving(two_page_script()) as url:
        run_oai(db, url)
    withdrawn = PAGE_1.replace(
        b"<updated>2017-12-13</updated>", b"<updated>2018-02-01</updated>"
    ).replace(b"<comments>78 pages", b"<comments>This paper has been withdrawn. 78 pages")
    script = Script().on(FIRST_PAGE, Reply(withdrawn.replace(b">token-2<", b"><")))
    with serving(script) as url:
        run_oai(db, url, OaiRequest("physics:hep-th", date(2018, 1, 1), date(2018, 2, 1)))
    paper = get_paper(db, "1412.8323")
    assert paper is not None and paper.withdrawn
    assert paper.published_at is not None and paper.published_at.date() == date(2014, 12, 29)


def test_loop_harvests_then_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'paperwire.sqlite3'}"
    db = Database.open(database_url)
    db.upgrade()
    script = two_page_script()
    with serving(script) as url:
        command, env = harvest_command(database_url, url, "--loop")
        daemon = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while count_papers(db) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=20)
    assert daemon.returncode == 0, err
    assert "added 6" in out
    assert "stopping" in err and "Traceback" not in err
    db.close()
