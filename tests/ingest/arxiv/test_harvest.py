"""End-to-end harvests: the real client and pipeline against recorded responses on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from arxiv_server import Reply, Script, gzip_bomb, params_include, path_is, serving
from factories import TEST_DATA

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import MAX_RESPONSE_BYTES, PoliteClient
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
        "arxiv_deadline_seconds": 5.0,
        "arxiv_max_attempts": 3,
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def api_feed(total: int, *ids: str) -> bytes:
    """An API page claiming `total` results and holding one entry per id, in order."""
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>Paper {arxiv_id}</title>"
        f"<summary>About {arxiv_id}.</summary><published>2024-01-02T03:04:05Z</published>"
        "<updated>2024-01-02T03:04:05Z</updated><author><name>Ada Lovelace</name></author>"
        '<arxiv:primary_category term="cs.AI"/></entry>'
        for arxiv_id in ids
    )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(ids)}</opensearch:itemsPerPage>{entries}</feed>"
    ).encode()


def run_api(db: Database, url: str, **kwargs: Any) -> HarvestReport:
    settings = settings_for(url, arxiv_api_page_size=kwargs.pop("page_size", 200))
    with PoliteClient(settings) as client:
        return harvest_api(db, client, settings, **kwargs)


def two_page_script() -> Script:
    return (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1))
        .on(params_include(resumptionToken="token-2"), Reply(PAGE_2))
    )


def run_oai(
    db: Database, url: str, request: OaiRequest = WINDOW, **overrides: object
) -> HarvestReport:
    settings = settings_for(url, **overrides)
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


GZIPPED = (("Content-Encoding", "gzip"),)
TRICKLE = Reply(PAGE_2, trickle="headers")  # each byte comes soon, the headers in ~4 s
# Each makes the replies to page 2's first request (and its retries), and names the error.
HOSTILE_PAGES: dict[str, tuple[Callable[[], list[Reply]], str]] = {
    "gzip-bomb": (lambda: [Reply(gzip_bomb(MAX_RESPONSE_BYTES + 2**20), headers=GZIPPED)], "MiB"),
    "not-gzip": (lambda: [Reply(PAGE_2, headers=GZIPPED)], "but not gzip"),
    "unknown-encoding": (lambda: [Reply(PAGE_2, headers=(("Content-Encoding", "br"),))], "'br'"),
    "redirect-loop": (lambda: [Reply(status=302, headers=(("Location", "/loop"),))], "redirects"),
    "trickle": (lambda: [TRICKLE, TRICKLE, TRICKLE], "no complete answer within 0.5 s"),
}


@pytest.mark.parametrize("hostile", HOSTILE_PAGES, ids=list(HOSTILE_PAGES))
def test_hostile_page_stops_cleanly_keeps_earlier_pages_and_rerun_resumes(
    db: Database, hostile: str
) -> None:
    make_replies, message = HOSTILE_PAGES[hostile]
    script = (
        Script()
        .on(FIRST_PAGE, Reply(PAGE_1))
        .on(params_include(resumptionToken="token-2"), *make_replies(), Reply(PAGE_2))
        .on(path_is("/loop"), Reply(status=302, headers=(("Location", "/loop"),)))
    )
    with serving(script) as url:
        with pytest.raises(HarvestError, match=r"page 2 \(.*resumptionToken=token-2\)") as raised:
            run_oai(db, url, arxiv_deadline_seconds=0.5 if hostile == "trickle" else 5)
        assert message in str(raised.value) and "\n" not in str(raised.value)
        assert count_papers(db) == 3
        failed = load_checkpoint(db, "oai", "set=physics:hep-th")
        assert failed is not None and (failed.status, failed.pages) == (FAILED, 1)
        assert failed.cursor == "token-2"
        report = run_oai(db, url, OaiRequest("physics:hep-th", None, None))
    assert report.resumed and count_papers(db) == 6


@pytest.mark.parametrize("claimed_total", [0, 2, 1000])
def test_id_harvest_stores_only_the_ids_asked_for_whatever_the_feed_claims(
    db: Database, claimed_total: int
) -> None:
    feed = api_feed(claimed_total, "2401.00001", "2401.00002", "2401.00001", "2401.09999")
    script = Script().on(path_is("/api/query"), Reply(feed))
    with serving(script) as url:
        report = run_api(db, url, ids=["2401.00001", "2401.00002v1", "2401.00003"])
    assert len(script.seen) == 1
    assert report.counts.added == 2 and count_papers(db) == 2
    assert get_paper(db, "2401.09999") is None
    assert script.seen[0].params == {
        "id_list": "2401.00001,2401.00002v1,2401.00003",
        "start": "0",
        "max_results": "3",
    }
    assert report.rejected == ["2401.09999: not asked for"]
    assert report.missing == ["2401.00003"]
    checkpoint = load_checkpoint(db, "api", "id=2401.00001,2401.00002v1,2401.00003")
    assert checkpoint is not None and checkpoint.status == COMPLETE


def test_id_harvest_asks_for_the_ids_a_page_at_a_time(db: Database) -> None:
    script = (
        Script()
        .on(params_include(id_list="2401.00001,2401.00002"), Reply(api_feed(9, "2401.00001")))
        .on(params_include(id_list="2401.00003"), Reply(api_feed(9, "2401.00003")))
    )
    with serving(script) as url:
        report = run_api(db, url, ids=["2401.00001", "2401.00002", "2401.00003"], page_size=2)
    assert [seen.params["max_results"] for seen in script.seen] == ["2", "1"]
    assert report.pages == 2 and report.counts.added == 2
    assert report.missing == ["2401.00002"]


def test_query_harvest_stops_when_the_server_repeats_its_page(db: Database) -> None:
    script = Script().on(path_is("/api/query"), Reply(api_feed(1000, "2401.00001", "2401.00002")))
    with serving(script) as url, pytest.raises(HarvestError, match="only repeats papers"):
        run_api(db, url, query="all:loops", page_size=2)
    assert len(script.seen) == 2 and count_papers(db) == 2
