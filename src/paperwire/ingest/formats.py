"""Parse one arXiv metadata record (any supported shape) into a Paper: pure, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from typing import Any

from paperwire.code.links import normalise_code_url, normalise_project_url
from paperwire.ingest.subjects import categories_from_subjects
from paperwire.papers import (
    ImplausibleDate,
    InvalidArxivId,
    Paper,
    category_codes,
    checked_listing_day,
    parse_arxiv_id,
    plausible_day,
    plausible_moment,
)
from paperwire.ranking.calendar import ARXIV_TZ, listing_day_for_submission
from paperwire.text import has_lone_surrogate, tex_to_text, without_unsafe_controls

MAX_TITLE_CHARS = 2_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 5_000
# Far above any real count, and within the database's 32-bit integer column.
MAX_UPVOTES = 1_000_000_000
# OAI Dublin Core gives version dates without a time: count them as submitted at noon Eastern.
_DATE_ONLY_SUBMISSION_TIME = time(12, 0)
_SPACES_RE = re.compile(r"\s+")
# The bulk snapshot's author string: "A. One, B. Two (Affiliation) and C. Three".
_AFFILIATION_RE = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR_RE = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


class RecordError(ValueError):
    """A record that cannot become a paper; the message says why."""


def parse_listing_record(record: object) -> Paper:
    """Parse one JSON Lines record in any of the supported arXiv listing shapes."""
    if not isinstance(record, Mapping):
        raise RecordError(f"expected a JSON object, got {type(record).__name__}")
    if "subjects" in record and "dates" in record:
        return _parse_oai_dc(record)
    if "versions" in record and ("update_date" in record or "authors_parsed" in record):
        return _parse_metadata_snapshot(record)
    if "first_listed" in record:
        return _parse_daily_listing(record)
    if "published" in record:
        return _parse_api_listing(record)
    raise RecordError(
        "unrecognised record: expected an arXiv listing ('published'), a daily listing "
        "('first_listed'), an OAI Dublin Core record ('subjects' and 'dates') or a line of "
        "arXiv's bulk metadata snapshot ('versions' and 'update_date')"
    )


def parse_upvote_entry(arxiv_id: str, entry: object) -> Paper:
    """Parse one entry of an upvote snapshot: {arxiv_id: {title, authors, abstract, ...}}."""
    if not isinstance(entry, Mapping):
        raise RecordError(f"expected a JSON object, got {type(entry).__name__}")
    published = _timestamp(entry, "publication_date")
    upvotes = entry.get("upvotes")
    if not isinstance(upvotes, int) or isinstance(upvotes, bool) or upvotes < 0:
        raise RecordError(f"'upvotes' must be a non-negative integer, got {upvotes!r:.40}")
    if upvotes > MAX_UPVOTES:
        raise RecordError(f"'upvotes' is over {MAX_UPVOTES:,}")
    common = _common(entry, arxiv_id)
    code_url, project_url = record_links(entry)
    return Paper(
        **common,
        published_at=published,
        listing_day=submission_listing_day(common["arxiv_id"], published),
        imported_upvotes=upvotes,
        record_code_url=code_url,
        record_project_url=project_url,
    )


def record_links(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The code and project links a record gives in the Hugging Face fields githubRepo and
    projectPage, normalised; a link that is no supported URL is left out, not refused."""
    code = record.get("githubRepo")
    page = record.get("projectPage")
    found = normalise_code_url(code) if isinstance(code, str) else None
    return (
        found.url if found is not None else None,
        normalise_project_url(page) if isinstance(page, str) else None,
    )


def _parse_api_listing(record: Mapping[str, Any]) -> Paper:
    common = _common(record, record.get("version_id") or record.get("id"))
    published = _timestamp(record, "published")
    categories = category_codes(_strings(record, "categories"))
    primary = category_codes([_optional_text(record, "primary_category") or ""])
    return Paper(
        **common,
        categories=categories,
        primary_category=_first(primary) or _first(categories),
        published_at=published,
        updated_at=_timestamp(record, "updated"),
        listing_day=submission_listing_day(common["arxiv_id"], published),
    )


def _parse_daily_listing(record: Mapping[str, Any]) -> Paper:
    categories = category_codes(_strings(record, "categories"))
    common = _common(record, record.get("id"))
    return Paper(
        **common,
        categories=categories,
        primary_category=_first(categories),  # arXiv lists the primary category first
        listing_day=record_listing_day(common["arxiv_id"], _day(record, "first_listed")),
        listing_day_exact=True,
    )


def _parse_oai_dc(record: Mapping[str, Any]) -> Paper:
    common = _common(record, record.get("id"))
    days = [_parse_day(value, "dates") for value in _strings(record, "dates")]
    categories = tuple(categories_from_subjects(_strings(record, "subjects")))
    first = noon_eastern(days[0]) if days else None
    return Paper(
        **common
        | {
            "authors": tuple(_first_name_first(a) for a in common["authors"]),
            "version": common["version"] or (len(days) or None),
        },
        categories=categories,
        primary_category=_first(categories),
        doi=_clean_optional(_first(_strings(record, "doi"))),
        journal_ref=_clean_optional("; ".join(_strings(record, "journal_ref"))),
        published_at=first,
        updated_at=noon_eastern(days[-1]) if days else None,
        listing_day=submission_listing_day(common["arxiv_id"], first),
    )


def _parse_metadata_snapshot(record: Mapping[str, Any]) -> Paper:
    """A line of arXiv's bulk metadata snapshot (arxiv-metadata-oai-snapshot.json, as
    Kaggle distributes it): authors as one string and as parsed parts, categories as one
    space-separated string, and a version list with RFC 2822 dates."""
    created = [_version_moment(entry) for entry in _versions(record)]
    text = {
        "title": record.get("title"),
        "abstract": record.get("abstract"),
        "authors": _snapshot_authors(record),
        "comment": record.get("comments"),
    }
    common = _common(text, record.get("id"))
    categories = category_codes(" ".join(_strings(record, "categories")).split())
    first = created[0] if created else None
    return Paper(
        **common | {"version": common["version"] or (len(created) or None)},
        categories=categories,
        primary_category=_first(categories),  # arXiv lists the primary category first
        doi=_clean_optional(_optional_text(record, "doi")),
        journal_ref=_clean_optional(_optional_text(record, "journal-ref")),
        published_at=first,
        updated_at=created[-1] if created else None,
        listing_day=submission_listing_day(common["arxiv_id"], first),
    )


def _versions(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    versions = record.get("versions")
    if not isinstance(versions, list) or not all(isinstance(v, Mapping) for v in versions):
        raise RecordError("'versions' must be a list of {version, created} objects")
    return versions


def _version_moment(entry: Mapping[str, Any]) -> datetime:
    created = _optional_text(entry, "created")
    try:
        moment = parsedate_to_datetime(created or "")
    except (TypeError, ValueError):
        raise RecordError(f"'versions': 'created' is not a date: {created!r:.40}") from None
    if moment.tzinfo is None:  # "-0000": arXiv's dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return record_moment(moment, "'versions'")


def _snapshot_authors(record: Mapping[str, Any]) -> list[str]:
    """The names, first name first, TeX accents turned into letters: from the parsed
    [last, first, suffix] parts when the record has them, else from the one string."""
    parsed = record.get("authors_parsed")
    if isinstance(parsed, list) and all(_is_name_parts(parts) for parts in parsed):
        names = [_first_name_first_parts(parts) for parts in parsed]
    else:
        written = _AFFILIATION_RE.sub("", " ".join(_strings(record, "authors")))
        names = _AUTHOR_SEPARATOR_RE.split(written)
    return [tex_to_text(name).strip() for name in bounded_authors(names) if name.strip()]


def _is_name_parts(parts: object) -> bool:
    return isinstance(parts, list) and all(isinstance(part, str) for part in parts)


def _first_name_first_parts(parts: list[str]) -> str:
    last, first, suffix = [*parts, "", "", ""][:3]
    return " ".join(part for part in (first, last, suffix) if part)


def _common(record: Mapping[str, Any], raw_id: object) -> dict[str, Any]:
    if not isinstance(raw_id, str):
        raise RecordError("missing 'id'")
    try:
        arxiv_id, version = parse_arxiv_id(raw_id)
    except InvalidArxivId as error:
        raise RecordError(str(error)) from None
    title = clean_title(_required_text(record, "title", MAX_TITLE_CHARS))
    if not title:
        raise RecordError("empty 'title'")
    authors = bounded_authors([clean_title(name) for name in _strings(record, "authors")])
    return {
        "arxiv_id": arxiv_id,
        "version": version,
        "title": title,
        "abstract": clean_abstract(_required_text(record, "abstract", MAX_ABSTRACT_CHARS)),
        "authors": tuple(a for a in authors if a),
        "comment": _clean_optional(_optional_text(record, "comment")),
    }


def clean_title(text: str) -> str:
    """Collapse arXiv's hard line breaks and runs of spaces into single spaces; control and
    bidirectional-override characters are dropped."""
    return _SPACES_RE.sub(" ", without_unsafe_controls(text)).strip()


def clean_abstract(text: str) -> str:
    """Join arXiv's hard-wrapped lines; an indented line starts a new paragraph. Control and
    bidirectional-override characters are dropped."""
    paragraphs: list[list[str]] = [[]]
    for line in without_unsafe_controls(text).strip().split("\n"):
        if (line[:1].isspace() and paragraphs[-1]) or not line.strip():
            paragraphs.append([])
        if line.strip():
            paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(words) for words in paragraphs if words)


def _first_name_first(name: str) -> str:
    # Dublin Core writes "Last, First"; names with more commas (suffixes) are left as they are.
    parts = [part.strip() for part in name.split(",")]
    return f"{parts[1]} {parts[0]}" if len(parts) == 2 and all(parts) else name


def _required_text(record: Mapping[str, Any], key: str, max_chars: int) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise RecordError(f"missing '{key}'" if value is None else f"'{key}' must be text")
    if len(value) > max_chars:
        raise RecordError(f"'{key}' is longer than {max_chars} characters")
    return _encodable(value, key)


def _optional_text(record: Mapping[str, Any], key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return _encodable(value, key) if value is not None else None
    raise RecordError(f"'{key}' must be text")


def _encodable(value: str, key: str) -> str:
    # JSON may escape a lone surrogate ("\ud800"), which no database can store as UTF-8.
    if has_lone_surrogate(value):
        raise RecordError(f"'{key}' holds a lone surrogate escape, which is not text")
    return value


def _clean_optional(value: str | None) -> str | None:
    return clean_title(value) or None if value is not None else None


def _strings(record: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (_encodable(value, key),)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(_encodable(item, key) for item in value)
    raise RecordError(f"'{key}' must be a list of text")


def _first(values: Sequence[str]) -> str | None:
    return values[0] if values else None


def _timestamp(record: Mapping[str, Any], key: str) -> datetime | None:
    value = _optional_text(record, key)
    if not value:
        return None
    text = value.strip().removesuffix(" UTC").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"'{key}' is not a timestamp: {value[:40]!r}") from None
    return record_moment(parsed, f"'{key}'")


def _day(record: Mapping[str, Any], key: str) -> date | None:
    value = _optional_text(record, key)
    return _parse_day(value, key) if value else None


def _parse_day(value: str, key: str) -> date:
    try:
        day = date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise RecordError(f"'{key}' is not a date: {value[:40]!r}") from None
    return record_day(day, f"'{key}'")


def record_day(day: date, name: str) -> date:
    """A date a source gives, or RecordError naming the field when it is implausible."""
    try:
        return plausible_day(day)
    except ImplausibleDate as error:
        raise RecordError(f"{name}: {error}") from None


def record_moment(moment: datetime, name: str) -> datetime:
    """A timestamp a source gives, in UTC, or RecordError naming the field when it is
    implausible (which also keeps timezone conversion from overflowing)."""
    try:
        return plausible_moment(moment)
    except ImplausibleDate as error:
        raise RecordError(f"{name}: {error}") from None


def record_listing_day(arxiv_id: str, day: date | None) -> date | None:
    """The listing day to store (see papers.checked_listing_day), or RecordError."""
    try:
        return checked_listing_day(arxiv_id, day)
    except ImplausibleDate as error:
        raise RecordError(f"listing day {error}") from None


def submission_listing_day(arxiv_id: str, submitted_at: datetime | None) -> date | None:
    """The listing day of a paper submitted at that moment (None when unknown), moved into
    its id's month; RecordError when implausible."""
    if submitted_at is None:
        return None
    return record_listing_day(arxiv_id, listing_day_for_submission(submitted_at))


def noon_eastern(day: date) -> datetime:
    """A date-only submission date as a moment: noon America/New_York, in UTC."""
    return datetime.combine(day, _DATE_ONLY_SUBMISSION_TIME, ARXIV_TZ).astimezone(UTC)


def bounded_authors(names: Sequence[str]) -> tuple[str, ...]:
    """The names as a tuple; a record with more than MAX_AUTHORS is refused."""
    if len(names) > MAX_AUTHORS:
        raise RecordError(f"more than {MAX_AUTHORS} authors")
    return tuple(names)
