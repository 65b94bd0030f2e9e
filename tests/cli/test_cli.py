"""The command line: each command's output, and one clear line for every user error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from factories import TEST_DATA

import paperwire
from paperwire.cli import ingest_cmd
from paperwire.cli.main import cli


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Settings pointing at a fresh data dir, for in-process and subprocess runs."""
    values = {"PAPERWIRE_DATA_DIR": str(tmp_path / "data"), "PAPERWIRE_LOG_LEVEL": "WARNING"}
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    return values


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _head_revision() -> str:
    # The newest migration file's number: the test needs no update when one is added.
    versions = Path(paperwire.__file__).parent / "storage" / "migrations" / "versions"
    return max(path.name[:4] for path in versions.glob("[0-9][0-9][0-9][0-9]_*.py"))


def test_db_upgrade_then_status(env: dict[str, str]) -> None:
    code, _, err = run("db", "status")
    assert code == 1 and "run `paperwire db upgrade`" in err
    head = _head_revision()
    code, out, _ = run("db", "upgrade")
    assert code == 0 and f"upgraded from empty to {head}" in out
    code, out, _ = run("db", "upgrade")
    assert f"already at {head}" in out
    assert "up to date" in run("db", "status")[1]


def test_ingest_file_prints_a_summary_and_rejections(env: dict[str, str], tmp_path: Path) -> None:
    run("db", "upgrade")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "2401.00001"}\n')
    code, out, err = run(
        "ingest", "file", "--quiet", str(TEST_DATA / "oai-dc-sample.jsonl"), str(bad)
    )
    assert code == 0
    assert "added 17, updated 0, unchanged 0, rejected 1" in out
    assert f"rejected {bad}:1: unrecognised record" in err


def test_ingest_file_json_summary(env: dict[str, str]) -> None:
    run("db", "upgrade")
    code, out, _ = run(
        "ingest", "file", "--quiet", "--json", str(TEST_DATA / "upvotes-sample.json")
    )
    summary = json.loads(out)
    assert (code, summary["added"], summary["rejected"]) == (0, 25, 0)


def test_config_show_hides_passwords(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERWIRE_DATABASE_URL", "postgresql+psycopg://me:s3cret@db.example/pw")
    code, out, _ = run("config", "show")
    assert code == 0
    assert "s3cret" not in out
    assert "postgresql+psycopg://me:***@db.example/pw" in out
    shown = json.loads(run("config", "show", "--json")[1])
    assert shown["page_size"] == 50 and "s3cret" not in json.dumps(shown)


def _paperwire(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperwire", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("extra_env", "args", "message"),
    [
        ({"PAPERWIRE_PORT": "seventy"}, ("config", "show"), "PAPERWIRE_PORT"),
        ({"PAPERWIRE_DATABASE_URL": "mysql://x@y/z"}, ("db", "upgrade"), "unsupported database"),
        (
            {"PAPERWIRE_DATABASE_URL": "postgresql+psycopg://u:pw@127.0.0.1:1/x"},
            ("db", "status"),
            "127.0.0.1",
        ),
        ({}, ("ingest", "file", "/no/such/file.jsonl"), "does not exist"),
        ({}, ("search", "fraud"), "no database at"),
    ],
)
def test_user_errors_are_one_clear_line_without_traceback(
    env: dict[str, str], extra_env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = _paperwire(env | extra_env, *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert "pw@" not in result.stderr  # a password in the URL is never echoed
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1


def test_ingest_file_creates_a_new_database_and_says_where(
    env: dict[str, str], tmp_path: Path
) -> None:
    sample = str(TEST_DATA / "oai-dc-sample.jsonl")
    code, out, err = run("ingest", "file", "--quiet", "--no-embed", sample)
    database = tmp_path / "data" / "paperwire.sqlite3"
    assert code == 0 and f"created a new database at sqlite:///{database}" in err
    assert "added 17" in out
    assert "up to date" in run("db", "status")[1]
    code, out, err = run("ingest", "file", "--quiet", "--no-embed", sample)
    assert (code, err) == (0, "") and "unchanged 17" in out


def test_a_read_command_run_outside_the_instance_refuses_and_creates_nothing(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAPERWIRE_DATA_DIR")  # the default: ./paperwire-data
    (tmp_path / "instance").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "instance")
    run("ingest", "file", "--quiet", "--no-embed", str(TEST_DATA / "cs-ai-sample.jsonl"))
    assert run("search", "fraud")[0] == 0
    monkeypatch.chdir(tmp_path / "elsewhere")
    code, out, err = run("search", "fraud")
    missing = tmp_path / "elsewhere" / "paperwire-data" / "paperwire.sqlite3"
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: no database at {missing}: cd to ")
    assert "PAPERWIRE_DATA_DIR" in err and "`paperwire db upgrade`" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "elsewhere" / "paperwire-data").exists()


READ_COMMANDS = [
    ("search", "fraud"),
    ("embed",),
    ("digest", "send"),
    ("digest", "preview", "alice@example.org"),
    ("subscribers", "list"),
    ("subscribers", "import", __file__),
    ("users", "create", "alice", "--email", "alice@example.org", "--password", "x" * 12),
    ("ingest", "status"),
    ("db", "status"),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_commands_that_need_an_instance_refuse_a_missing_database(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("PAPERWIRE_BASE_URL", "https://papers.example.org")
    code, _, err = run(*args)
    assert code == 1
    assert err.startswith(f"Error: no database at {tmp_path / 'data' / 'paperwire.sqlite3'}: ")
    assert not (tmp_path / "data").exists()


def test_wrong_format_file_fails_the_command(env: dict[str, str], tmp_path: Path) -> None:
    run("db", "upgrade")
    wrong = tmp_path / "feed.xml"
    wrong.write_text("<feed/>")
    result = _paperwire(env, "ingest", "file", "--quiet", str(wrong))
    assert result.returncode == 1
    assert "not a supported format" in result.stderr
    assert "1 file(s) could not be read" in result.stderr


def test_search_prints_ranked_matches_and_json(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("ingest", "file", "--quiet", str(TEST_DATA / "cs-ai-sample.jsonl"))
    code, out, _ = run("search", "generative model selections fraud", "--limit", "3")
    assert code == 0
    assert out.splitlines()[0].startswith("  1. 2401.00974")
    items = json.loads(run("search", "fraud detection", "--json")[1])
    assert items[0]["paper"]["id"] == "2401.00974" and "<mark>" in items[0]["highlightedTitle"]
    assert "no paper matches" in run("search", "zzyzx", "--mode", "keyword")[1]


def test_search_json_names_the_code_found_at_ingest(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("ingest", "file", "--quiet", str(TEST_DATA / "cs-ai-sample.jsonl"))
    items = json.loads(run("search", "LogicAsker logical reasoning", "--json")[1])
    found = {item["paper"]["id"]: item["paper"] for item in items}
    assert found["2401.00757"]["githubRepo"] == "https://github.com/yxwan123/LogicAsker"


def test_search_without_words_is_a_usage_error(env: dict[str, str]) -> None:
    run("db", "upgrade")
    result = CliRunner().invoke(cli, ["search", "!!!"])
    assert result.exit_code == 2 and "no words" in result.stderr


def test_ingest_embeds_and_embed_reruns_do_only_what_is_left(env: dict[str, str]) -> None:
    run("db", "upgrade")
    code, out, _ = run("ingest", "file", "--quiet", "--json", str(TEST_DATA / "cs-ai-sample.jsonl"))
    summary = json.loads(out)
    assert code == 0 and summary["embedded"] == summary["added"] > 0
    code, out, _ = run("embed", "--quiet", "--json")
    again = json.loads(out)
    assert (code, again["embedded"], again["papers"]) == (0, 0, summary["added"])


def test_a_bulk_ingest_embeds_beside_storing_and_reports_the_same(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_cmd, "PIPELINE_MIN_BYTES", 0)  # every load counts as bulk
    run("db", "upgrade")
    code, out, _ = run("ingest", "file", "--quiet", "--json", str(TEST_DATA / "cs-ai-sample.jsonl"))
    summary = json.loads(out)
    assert code == 0 and summary["embedded"] == summary["added"] > 0
    assert json.loads(run("embed", "--quiet", "--json")[1])["embedded"] == 0


def test_ingest_can_leave_embedding_for_later(env: dict[str, str]) -> None:
    run("db", "upgrade")
    _, out, _ = run(
        "ingest", "file", "--quiet", "--json", "--no-embed", str(TEST_DATA / "cs-ai-sample.jsonl")
    )
    added = json.loads(out)["added"]
    assert json.loads(out)["embedded"] is None
    assert json.loads(run("embed", "--quiet", "--json")[1])["embedded"] == added


def test_search_by_meaning_with_filters(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("ingest", "file", "--quiet", str(TEST_DATA / "cs-ai-sample.jsonl"))
    code, out, _ = run("search", "scam detection using generative models", "--mode", "semantic")
    assert code == 0 and "2401.00974" in out.splitlines()[0]
    code, out, _ = run("search", "fraud", "--from", "2030-01-01")
    assert code == 0 and "no paper matches" in out


def test_serve_with_an_unloadable_embedding_model_says_so_in_one_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    extra = {"PAPERWIRE_EMBEDDING_MODEL": str(tmp_path / "no-model-here")}
    result = _paperwire(env | extra, "serve", "--port", "1")
    assert result.returncode == 1
    assert "PAPERWIRE_EMBEDDING_MODEL" in result.stderr and "Traceback" not in result.stderr


def test_index_build_and_status(env: dict[str, str]) -> None:
    run("db", "upgrade")
    run("ingest", "file", "--quiet", str(TEST_DATA / "cs-ai-sample.jsonl"))
    code, out, _ = run("index", "status")
    assert code == 0 and "no index built yet" in out
    code, out, _ = run("index", "build", "--if-stale")
    assert code == 0 and "nothing to build" in out  # a handful of papers needs no files
    code, out, _ = run("index", "build")
    assert code == 0 and out.startswith("built gen-") and "exact search" in out
    status = json.loads(run("index", "status", "--json")[1])
    assert status["generation"] is not None and status["papers"] > 0
    assert (status["embeddings_behind"], status["terms_behind"], status["stale"]) == (0, 0, False)
    code, out, _ = run("search", "scam detection using generative models", "--mode", "semantic")
    assert code == 0 and "2401.00974" in out.splitlines()[0]
