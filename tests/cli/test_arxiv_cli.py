"""`paperwire ingest arxiv` and `paperwire ingest status` from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from arxiv_server import Reply, Script, params_include, path_is, serving
from click.testing import CliRunner
from factories import TEST_DATA

from paperwire.cli.main import cli

RSS_FEED = TEST_DATA / "arxiv" / "rss" / "rss_arxiv_atom_cs.AI_2025-08-20.xml"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERWIRE_ARXIV_DELAY_SECONDS", "0")
    monkeypatch.chdir(tmp_path)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("env")
def test_rss_harvest_then_status(monkeypatch: pytest.MonkeyPatch) -> None:
    run("db", "upgrade")
    script = Script().on(path_is("/rss/cs.AI"), Reply(RSS_FEED.read_bytes()))
    with serving(script) as url:
        monkeypatch.setenv("PAPERWIRE_ARXIV_RSS_URL", f"{url}/rss")
        code, out, _ = run("ingest", "arxiv", "--source", "rss", "--category", "cs.AI", "--json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["scope"], summary["added"], summary["pages"]) == ("category=cs.AI", 7, 1)
    code, out, _ = run("ingest", "status")
    assert code == 0 and "rss  category=cs.AI: complete, 1 pages, 7 papers" in out
    rows = json.loads(run("ingest", "status", "--json")[1])
    assert rows[0]["status"] == "complete"


@pytest.mark.usefixtures("env")
def test_categories_default_to_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    run("db", "upgrade")
    script = Script().on(path_is("/rss/cs.AI"), Reply(RSS_FEED.read_bytes()))
    with serving(script) as url:
        monkeypatch.setenv("PAPERWIRE_ARXIV_RSS_URL", f"{url}/rss")
        monkeypatch.setenv("PAPERWIRE_HARVEST_CATEGORIES", "cs.AI")
        code, out, _ = run("ingest", "arxiv", "--source", "rss")
    assert code == 0 and "rss category=cs.AI: 1 pages, added 7" in out


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--source", "oai"), "needs --set"),
        (("--source", "api"), "needs --query or --id"),
        (("--source", "rss"), "needs --category"),
        (("--source", "api", "--id", "2401.00001", "--loop"), "--loop is for"),
        (
            ("--source", "oai", "--set", "cs", "--from", "2024-02-01", "--until", "2024-01-01"),
            "--from is after --until",
        ),
        (("--source", "oai", "--set", "cs", "--from", "yesterday"), "does not match the format"),
    ],
)
def test_meaningless_options_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(cli, ["ingest", "arxiv", *args])
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.usefixtures("env")
def test_failed_harvest_says_how_to_resume(monkeypatch: pytest.MonkeyPatch) -> None:
    run("db", "upgrade")
    script = Script().on(path_is("/rss/cs.AI"), Reply(b"<feed><entry>", status=200))
    with serving(script) as url:
        monkeypatch.setenv("PAPERWIRE_ARXIV_RSS_URL", f"{url}/rss")
        code, _, err = run("ingest", "arxiv", "--source", "rss", "--category", "cs.AI")
    assert code == 1
    assert "not well-formed" in err and "rerun the same command to resume" in err


@pytest.mark.usefixtures("env")
def test_status_before_any_harvest() -> None:
    run("db", "upgrade")
    assert "no harvest has run yet" in run("ingest", "status")[1]


def _api_entry_feed(*ids: str) -> bytes:
    entries = "".join(
        f"<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>Paper {arxiv_id}</title>"
        "<published>2024-01-02T03:04:05Z</published></entry>"
        for arxiv_id in ids
    )
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
        "<opensearch:totalResults>500</opensearch:totalResults>"
        "<opensearch:startIndex>0</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{len(ids)}</opensearch:itemsPerPage>{entries}</feed>"
    ).encode()


IDS = ("--id", "2401.00001", "--id", "2401.00002", "--id", "2401.00003")
FIRST_IDS = params_include(id_list="2401.00001,2401.00002")
LAST_ID = params_include(id_list="2401.00003")


@pytest.mark.usefixtures("env")
@pytest.mark.parametrize(
    ("hostile", "message"),
    [
        (Reply(b"<feed/>", headers=(("Content-Encoding", "gzip"),)), "but not gzip"),
        (Reply(b"<feed/>", headers=(("Content-Encoding", "zz"),)), "Content-Encoding 'zz'"),
        (Reply(status=307, headers=(("Location", "/loop"),)), "more than 5 redirects"),
    ],
    ids=["not-gzip", "unknown-encoding", "redirect-loop"],
)
def test_broken_answer_is_a_one_line_error_and_the_rerun_continues(
    monkeypatch: pytest.MonkeyPatch, hostile: Reply, message: str
) -> None:
    run("db", "upgrade")
    script = (
        Script()
        .on(FIRST_IDS, Reply(_api_entry_feed("2401.00001", "2401.00002")))
        .on(LAST_ID, hostile, Reply(_api_entry_feed("2401.00003")))
        .on(path_is("/loop"), Reply(status=307, headers=(("Location", "/loop"),)))
    )
    with serving(script) as url:
        monkeypatch.setenv("PAPERWIRE_ARXIV_API_URL", f"{url}/api/query")
        monkeypatch.setenv("PAPERWIRE_ARXIV_API_PAGE_SIZE", "2")
        code, _, err = run("ingest", "arxiv", "--source", "api", *IDS)
        assert code == 1
        last = err.strip().splitlines()[-1]
        assert last.startswith("Error: api id=") and message in last
        assert "rerun the same command to resume" in last and "Traceback" not in err
        code, out, _ = run("ingest", "arxiv", "--source", "api", *IDS)
    assert code == 0 and "(resumed): 1 pages, added 1" in out
    assert [seen.params["id_list"] for seen in script.seen if seen.path != "/loop"] == [
        "2401.00001,2401.00002",
        "2401.00003",
        "2401.00003",
    ]


@pytest.mark.usefixtures("env")
def test_id_harvest_names_the_ids_arxiv_did_not_return(monkeypatch: pytest.MonkeyPatch) -> None:
    run("db", "upgrade")
    script = Script().on(path_is("/api/query"), Reply(_api_entry_feed("2401.00002")))
    with serving(script) as url:
        monkeypatch.setenv("PAPERWIRE_ARXIV_API_URL", f"{url}/api/query")
        code, out, _ = run("ingest", "arxiv", "--source", "api", *IDS)
        assert code == 0 and "added 1" in out
        assert "not found: 2401.00001, 2401.00003" in out
        code, out, _ = run("ingest", "arxiv", "--source", "api", "--id", "2401.00009", "--json")
    assert code == 0 and json.loads(out)["missing"] == ["2401.00009"]
