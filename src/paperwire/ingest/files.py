"""Ingest papers from files: JSON Lines listings and upvote snapshots, gzipped or plain."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from paperwire.ingest.formats import RecordError, parse_listing_record, parse_upvote_entry
from paperwire.papers import Paper
from paperwire.storage import Database
from paperwire.storage.papers import UpsertCounts, upsert_papers

BATCH_SIZE = 2_000
# A paper record is a few KB: a longer line is refused, and never held whole in memory.
MAX_LINE_BYTES = 1024 * 1024
# An upvote snapshot is one JSON document, parsed whole: refused above this size once
# decompressed (about 35,000 papers), so a small gzip cannot expand to gigabytes in memory.
MAX_WHOLE_FILE_JSON_BYTES = 64 * 1024 * 1024
_READ_CHUNK_BYTES = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_SNIFF_LINES = 5

ProgressCallback = Callable[[int], object]  # called with bytes read since the last call


class FileFormatError(ValueError):
    """A file that is not in any supported format, or cannot be read at all."""


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int | None  # None: the whole file, or an entry of a JSON object file
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


@dataclass(slots=True)
class IngestReport:
    counts: UpsertCounts = field(default_factory=UpsertCounts)
    rejected: int = 0
    failed_files: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.counts.added + self.counts.updated + self.counts.unchanged + self.rejected


def ingest_files(
    db: Database,
    paths: list[Path],
    *,
    batch_size: int = BATCH_SIZE,
    progress: ProgressCallback | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    terms_of_new: bool = True,
) -> IngestReport:
    """Read every file, store good records batch by batch, and report the bad ones.
    terms_of_new: as upsert_papers takes it."""
    report = IngestReport()

    def note(problem: Problem) -> None:
        report.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    for path in paths:
        try:
            _ingest_one(db, path, batch_size, report, note, progress, terms_of_new)
        except FileFormatError as error:
            report.failed_files += 1
            note(Problem(str(path), None, str(error)))
    return report


def _ingest_one(
    db: Database,
    path: Path,
    batch_size: int,
    report: IngestReport,
    note: Callable[[Problem], None],
    progress: ProgressCallback | None,
    terms_of_new: bool,
) -> None:
    batch: list[Paper] = []
    for line, parsed in read_papers(path, progress):
        if isinstance(parsed, Paper):
            batch.append(parsed)
        else:
            report.rejected += 1
            note(Problem(str(path), line, parsed))
        if len(batch) >= batch_size:
            report.counts += upsert_papers(db, batch, terms_of_new=terms_of_new)
            batch = []
    if batch:
        report.counts += upsert_papers(db, batch, terms_of_new=terms_of_new)


def read_papers(
    path: Path, progress: ProgressCallback | None = None
) -> Iterator[tuple[int | None, Paper | str]]:
    """Yield (line number, paper or the reason it was rejected) for every record in path.

    A truncated file yields a final reason instead of raising, so the records read before
    the damage are still stored.
    """
    with _open_binary(path) as (stream, raw):
        sample = _first_content_lines(stream, _SNIFF_LINES)
        stream.seek(0)
        if not sample:
            return
        if _is_json_lines(sample):
            yield from _read_json_lines(stream, raw, progress)
        else:
            yield from _read_upvote_snapshot(path, stream)
            if progress is not None:
                progress(raw.tell())


def _read_json_lines(
    stream: IO[bytes], raw: IO[bytes], progress: ProgressCallback | None
) -> Iterator[tuple[int | None, Paper | str]]:
    reported = 0
    number = 0
    try:
        for number, line in enumerate(_bounded_lines(stream), start=1):
            if line is None:
                yield number, f"line longer than {MAX_LINE_BYTES:,} bytes"
            elif line.strip():
                yield number, _parse_line(line)
            if progress is not None and number % 1_000 == 0:
                reported = _report_progress(raw, reported, progress)
    except (EOFError, OSError, zlib.error) as error:
        yield number + 1, f"file ends early or is damaged ({error}); earlier lines were read"
    if progress is not None:
        _report_progress(raw, reported, progress)


def _bounded_lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """Each line of stream, or None for a line over MAX_LINE_BYTES: that one is skipped a
    chunk at a time, so memory stays bounded whatever the file holds."""
    while line := stream.readline(MAX_LINE_BYTES + 1):
        if len(line) <= MAX_LINE_BYTES:
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = stream.readline(_READ_CHUNK_BYTES)
        yield None


def _parse_line(line: bytes) -> Paper | str:
    try:
        record = _json(line)
    except ValueError as error:  # not UTF-8, not JSON, an integer too long to convert
        return f"not valid JSON: {error}"
    try:
        return parse_listing_record(record)
    except RecordError as error:
        return str(error)


def _json(content: bytes) -> Any:
    """json.loads, with nesting too deep for the parser reported as bad JSON."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _read_upvote_snapshot(
    path: Path, stream: IO[bytes]
) -> Iterator[tuple[int | None, Paper | str]]:
    data = _load_whole_json(path, stream)
    if not isinstance(data, dict) or not _is_snapshot_object(data):
        raise FileFormatError(_unsupported())
    for arxiv_id, entry in data.items():
        try:
            yield None, parse_upvote_entry(arxiv_id, entry)
        except RecordError as error:
            yield None, f"entry {arxiv_id[:40]!r}: {error}"


def _load_whole_json(path: Path, stream: IO[bytes]) -> Any:
    # Measured a chunk at a time before reading: a refused file never fills memory.
    if not _fits(stream, MAX_WHOLE_FILE_JSON_BYTES):
        raise FileFormatError(
            f"a JSON document over {MAX_WHOLE_FILE_JSON_BYTES // 1024 // 1024} MiB "
            "(decompressed) is refused: split it into JSON Lines"
        )
    stream.seek(0)
    try:
        return _json(stream.read())
    except ValueError as error:
        raise FileFormatError(f"{_unsupported()} ({error})") from None


def _fits(stream: IO[bytes], limit: int) -> bool:
    size = 0
    while chunk := stream.read(_READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            return False
    return True


def _is_json_lines(sample: list[bytes | None]) -> bool:
    """JSON Lines when one of the first lines is a whole record (a damaged or overlong first
    line is allowed); a pretty-printed snapshot has no line that parses on its own."""
    for line in sample:
        if line is None:
            continue
        try:
            record = _json(line)
        except ValueError:
            continue
        return isinstance(record, dict) and not _is_snapshot_object(record)
    return False


def _is_snapshot_object(record: dict[str, Any]) -> bool:
    # A one-line JSON object of {arxiv_id: entry} is an upvote snapshot, not a listing line.
    return "id" not in record and all(isinstance(v, dict) for v in record.values())


def _first_content_lines(stream: IO[bytes], count: int) -> list[bytes | None]:
    """Up to count non-blank lines; None stands for a line over MAX_LINE_BYTES."""
    lines: list[bytes | None] = []
    try:
        for line in _bounded_lines(stream):
            if line is None or line.strip():
                lines.append(line)
            if len(lines) == count:
                break
    except (EOFError, OSError, zlib.error) as error:
        if not lines:
            raise FileFormatError(f"cannot read the file: {error}") from None
    return lines


def _report_progress(raw: IO[bytes], reported: int, progress: ProgressCallback) -> int:
    position = raw.tell()
    progress(position - reported)
    return position


def _unsupported() -> str:
    return (
        "not a supported format: expected JSON Lines of arXiv records "
        "or an upvote snapshot JSON object"
    )


@contextmanager
def _open_binary(path: Path) -> Iterator[tuple[IO[bytes], IO[bytes]]]:
    """Open path for reading, transparently gunzipping; also yield the raw file for progress."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise FileFormatError(f"cannot open: {error.strerror}") from None
    with raw:
        is_gzip = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        if not is_gzip:
            yield raw, raw
            return
        with gzip.GzipFile(fileobj=raw) as stream:
            yield cast(IO[bytes], stream), raw
