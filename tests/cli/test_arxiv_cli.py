"""`paperwire ingest arxiv` and `paperwire ingest status` from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from arxiv_server import Reply, Script, path_is, serving
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
