"""`paperwire ingest file` on hostile input: each bad record is rejected as `file:line:
reason`, the records around it are stored, and memory stays bounded whatever a file holds."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from paperwire.cli.main import cli
from paperwire.ingest.files import MAX_LINE_BYTES
from paperwire.storage import Database
from paperwire.storage.papers import get_paper

BOMB_BYTES = 200 * 1024 * 1024  # decompressed; a few hundred KB as gzip
# The bombs are read a chunk at a time: peak memory stays far below the bomb's size
# (and below MAX_WHOLE_FILE_JSON_BYTES, which a whole read of the snapshot would reach).
PEAK_MEMORY_BYTES = 16 * 1024 * 1024
DEEP = 100_000


def _record(arxiv_id: str, **fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": arxiv_id,
        "title": f"Paper {arxiv_id}",
        "authors": ["Ada Lovelace"],
        "abstract": "An abstract.",
        "published": "2024-01-02T10:00:00Z",
    }
    return record | fields


def _line(arxiv_id: str, **fields: object) -> str:
    return json.dumps(_record(arxiv_id, **fields))


@pytest.fixture
def url(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database the CLI writes to, on each backend; it does not exist yet on SQLite."""
    _use(database_url, tmp_path, monkeypatch)
    return database_url


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "data" / "paperwire.sqlite3"
    _use(f"sqlite:///{path}", tmp_path, monkeypatch)
    return f"sqlite:///{path}"


def _use(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERWIRE_DATABASE_URL", database_url)
    monkeypatch.setenv("PAPERWIRE_LOG_LEVEL", "WARNING")
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def _ingest(*paths: Path) -> Result:
    args = ["ingest", "file", "--quiet", "--json", "--no-embed", *map(str, paths)]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def _stored(url: str, *arxiv_ids: str) -> list[bool]:
    db = Database.open(url)
    try:
        return [get_paper(db, arxiv_id) is not None for arxiv_id in arxiv_ids]
    finally:
        db.close()


HOSTILE_LINES = {
    "lone surrogate": (
        _line("2401.00002", title="x").replace('"x"', '"bad \\ud800 title"'),
        "'title' holds a lone surrogate",
    ),
    "huge version": (_line("2401.00002v99999999999999999999"), "version number too large"),
    "year 1": (_line("2401.00002", published="0001-01-01T00:00:00Z"), "before arXiv began"),
    "year 9999 west of UTC": (
        _line("2401.00002", published="9999-12-31T23:59:59-12:00"),
        "9999-12-31 is more than 7 days ahead",
    ),
    "listed in year 9999": (
        json.dumps(
            {"id": "2401.00002", "title": "t", "abstract": "a", "first_listed": "9999-12-31"}
        ),
        "'first_listed': 9999-12-31 is more than 7 days ahead",
    ),
    "nested 100k deep": ("[" * DEEP + "]" * DEEP, "not valid JSON: nested too deeply"),
    "number of 5000 digits": (
        _line("2401.00002", title="x").replace('"x"', "1" * 5000),
        "not valid JSON",
    ),
}


@pytest.mark.parametrize(("line", "reason"), HOSTILE_LINES.values(), ids=HOSTILE_LINES.keys())
def test_a_hostile_line_is_rejected_and_the_lines_around_it_stored(
    url: str, tmp_path: Path, line: str, reason: str
) -> None:
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join([_line("2401.00001"), line, _line("2401.00003")]) + "\n")
    result = _ingest(path)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["rejected"]) == (2, 1)
    assert f"rejected {path}:2: " in result.stderr and reason in result.stderr
    assert "Traceback" not in result.output
    assert _stored(url, "2401.00001", "2401.00002", "2401.00003") == [True, False, True]


def test_snapshot_entry_with_upvotes_past_64_bits_is_rejected_and_the_rest_stored(
    url: str, tmp_path: Path
) -> None:
    entry = {"title": "t", "abstract": "a", "upvotes": 3, "publication_date": "2024-01-02"}
    path = tmp_path / "upvotes.json"
    snapshot = {"2401.00001": entry, "2401.00002": entry | {"upvotes": 2**63}}
    path.write_text(json.dumps(snapshot | {"2401.00003": entry}, indent=2))
    result = _ingest(path)
    assert json.loads(result.stdout)["added"] == 2
    assert f"rejected {path}: entry '2401.00002': 'upvotes' is over" in result.stderr
    assert _stored(url, "2401.00001", "2401.00002", "2401.00003") == [True, False, True]


def test_control_characters_are_stored_cleaned_on_every_backend(url: str, tmp_path: Path) -> None:
    path = tmp_path / "controls.jsonl"
    path.write_text(_line("2401.00001", title="Nul\u0000 and \u202eoverride") + "\n")
    assert json.loads(_ingest(path).stdout)["added"] == 1
    db = Database.open(url)
    paper = get_paper(db, "2401.00001")
    db.close()
    assert paper is not None and paper.title == "Nul and override"


def _gzip_bomb(path: Path, before: bytes, after: bytes) -> Path:
    """before, BOMB_BYTES of zeros, then after, gzipped a chunk at a time."""
    chunk = b"0" * (1024 * 1024)
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(before)
        for _ in range(BOMB_BYTES // len(chunk)):
            out.write(chunk)
        out.write(after)
    return path


def test_overlong_line_in_a_gzip_bomb_is_skipped_without_holding_it(
    sqlite_url: str, tmp_path: Path
) -> None:
    bomb = _gzip_bomb(
        tmp_path / "bomb.jsonl.gz",
        (_line("2401.00001") + "\n").encode(),
        ("\n" + _line("2401.00003") + "\n").encode(),
    )
    assert bomb.stat().st_size < BOMB_BYTES // 100
    CliRunner().invoke(cli, ["db", "upgrade"])  # not part of what is measured
    tracemalloc.start()
    result = _ingest(bomb)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert f"rejected {bomb}:2: line longer than {MAX_LINE_BYTES:,} bytes" in result.stderr
    assert json.loads(result.stdout)["added"] == 2
    assert _stored(sqlite_url, "2401.00001", "2401.00003") == [True, True]
    assert peak < PEAK_MEMORY_BYTES


def test_whole_json_gzip_bomb_is_refused_unread_and_other_files_load(
    sqlite_url: str, tmp_path: Path
) -> None:
    bomb = _gzip_bomb(tmp_path / "upvotes.json.gz", b'{"2401.00001": {"title": "', b'"}}')
    good = tmp_path / "good.jsonl"
    good.write_text(_line("2401.00003") + "\n")
    CliRunner().invoke(cli, ["db", "upgrade"])
    tracemalloc.start()
    result = _ingest(bomb, good)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert result.exit_code == 1
    assert f"rejected {bomb}: a JSON document over 64 MiB (decompressed) is refused" in (
        result.stderr
    )
    assert "1 file(s) could not be read" in result.stderr
    assert _stored(sqlite_url, "2401.00001", "2401.00003") == [False, True]
    assert peak < PEAK_MEMORY_BYTES
