"""Paper queries: upsert, look up, list papers by listing day, and hide or remove them.

Readers' queries leave hidden papers out (storage/visibility.py); the upsert merges into
them like into any stored paper, so a harvest never brings one back into view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    bindparam,
    delete,
    func,
    select,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from paperwire.papers import PAPER_FIELDS, Paper, merge_papers
from paperwire.storage.code_links import write_found_links
from paperwire.storage.counters import COMMUNITY_COUNTER, PAPERS_COUNTER, count_change
from paperwire.storage.database import Database
from paperwire.storage.embeddings import EMBEDDINGS_COUNTER, refile_embeddings
from paperwire.storage.paper_terms import TERMS_COUNTER, refile_terms, write_terms
from paperwire.storage.schema import change_counters, comments, paper_stats, papers, submissions
from paperwire.storage.search import index_texts, unindex_texts
from paperwire.storage.visibility import is_listed

_PAPER_COLUMNS = [papers.c[name] for name in PAPER_FIELDS]
# The reads of every paper page, built once: building a statement and its cache key cost
# more than running it (a select memoizes its cache key; docs/performance.md).
_LISTED_BY_ARXIV_ID = select(*_PAPER_COLUMNS).where(
    papers.c.arxiv_id.in_(bindparam("arxiv_ids", expanding=True)), is_listed()
)
_LISTED_BY_KEY = select(papers.c.id, *_PAPER_COLUMNS).where(
    papers.c.id.in_(bindparam("keys", expanding=True)), is_listed()
)
_LISTED_KEY = select(papers.c.id).where(papers.c.arxiv_id == bindparam("arxiv_id"), is_listed())
_LINKS_BY_KEY = select(
    papers.c.id, papers.c.arxiv_id, papers.c.title, papers.c.authors, papers.c.listing_day
).where(papers.c.id.in_(bindparam("keys", expanding=True)), is_listed())
_UPSERT_ATTEMPTS = 5
_RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure


@dataclass(frozen=True, slots=True)
class UpsertCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: UpsertCounts) -> UpsertCounts:
        return UpsertCounts(
            self.added + other.added, self.updated + other.updated, self.unchanged + other.unchanged
        )


def upsert_papers(
    db: Database,
    batch: Sequence[Paper],
    *,
    along_with: Callable[[Connection, UpsertCounts], None] | None = None,
    terms_of_new: bool = True,
) -> UpsertCounts:
    """Store a batch in one transaction, merging each paper with what is already stored.

    along_with runs in the same transaction (a harvest records its checkpoint there), so
    the batch and whatever it writes are committed together or not at all. terms_of_new
    False leaves the added papers' terms to a bulk load's follower process, which writes
    them with their embeddings (changed papers get theirs here all the same).
    """
    for attempt in range(_UPSERT_ATTEMPTS):
        try:
            with db.write() as connection:
                counts = _upsert_batch(connection, batch, terms_of_new)
                if along_with is not None:
                    along_with(connection, counts)
                return counts
        except DBAPIError as error:
            if attempt == _UPSERT_ATTEMPTS - 1 or not _is_retryable(error):
                raise
    raise AssertionError("unreachable")


def _is_retryable(error: DBAPIError) -> bool:
    # Another writer inserted one of our new ids first, or PostgreSQL chose this
    # transaction as a deadlock or serialization victim: rerunning the batch merges again.
    sqlstate = getattr(error.orig, "sqlstate", None)
    return isinstance(error, IntegrityError) or sqlstate in _RETRYABLE_SQLSTATES


def _upsert_batch(
    connection: Connection, batch: Sequence[Paper], terms_of_new: bool
) -> UpsertCounts:
    ids = list({paper.arxiv_id for paper in batch})
    stored = {p.arxiv_id: p for p in _select_papers(connection, ids, for_update=True)}
    current: dict[str, Paper] = dict(stored)
    added = updated = unchanged = 0
    for paper in batch:
        before = current.get(paper.arxiv_id)
        after = paper if before is None else merge_papers(before, paper)
        if before is None:
            added += 1
        elif after != before:
            updated += 1
        else:
            unchanged += 1
        current[paper.arxiv_id] = after
    _write(connection, stored, current, terms_of_new)
    return UpsertCounts(added, updated, unchanged)


def _write(
    connection: Connection,
    stored: dict[str, Paper],
    current: dict[str, Paper],
    terms_of_new: bool,
) -> None:
    """Insert new papers, update changed ones, and keep the keyword indexes in step."""
    now = datetime.now(UTC)
    # Writing in id order, like the locking read, keeps concurrent batches from deadlocking.
    new = [current[i] for i in sorted(current) if i not in stored]
    changed = [current[i] for i in sorted(current) if i in stored and current[i] != stored[i]]
    retexted = [p.arxiv_id for p in changed if _text(p) != _text(stored[p.arxiv_id])]
    unindex_texts(connection, retexted)
    if new:
        connection.execute(papers.insert(), [_row(p, now) | {"created_at": now} for p in new])
    if changed:
        statement = update(papers).where(papers.c.arxiv_id == bindparam("key"))
        connection.execute(statement, [_row(p, now) | {"key": p.arxiv_id} for p in changed])
    index_texts(connection, [p.arxiv_id for p in new] + retexted)
    # Not only retexted papers: the in-memory indexes filter on the listing day and
    # categories they read with the terms and the embeddings.
    refiled = [p.arxiv_id for p in changed if _filed(p) != _filed(stored[p.arxiv_id])]
    analyzed = [p.arxiv_id for p in new] if terms_of_new else []
    write_terms(connection, analyzed + sorted({*retexted, *refiled}))
    refile_embeddings(connection, refiled)
    write_found_links(connection, _relinked(stored, current), {p.arxiv_id for p in new})
    if new or changed:
        count_change(connection, PAPERS_COUNTER)


def _text(paper: Paper) -> tuple[str, tuple[str, ...], str]:
    return paper.title, paper.authors, paper.abstract


def _filed(paper: Paper) -> tuple[date | None, tuple[str, ...]]:
    return paper.listing_day, paper.categories


def _relinked(stored: dict[str, Paper], current: dict[str, Paper]) -> list[Paper]:
    """The papers whose links may have changed: new ones, those whose abstract or comment
    changed, and those whose record gives links (storage/code_links.py decides)."""
    return [
        paper
        for arxiv_id, paper in sorted(current.items())
        if (before := stored.get(arxiv_id)) is None
        or (paper.abstract, paper.comment) != (before.abstract, before.comment)
        or paper.record_code_url is not None
        or paper.record_project_url is not None
    ]


@dataclass(frozen=True, slots=True)
class PapersChange:
    version: int  # grows with every committed change to papers
    changed_at: datetime | None  # when that change was committed; None before any


def papers_change(db: Database) -> PapersChange:
    """Where the papers stand, for caches, ETags and Last-Modified: one indexed read."""
    query = select(change_counters.c.value, change_counters.c.changed_at).where(
        change_counters.c.name == PAPERS_COUNTER
    )
    with db.read() as connection:
        row = connection.execute(query).first()
    if row is None:
        return PapersChange(0, None)
    return PapersChange(int(row[0]), _as_utc(row[1]))


def papers_version(db: Database) -> int:
    """A number that grows with every committed change to papers (for caches)."""
    return papers_change(db).version


def get_paper(db: Database, arxiv_id: str) -> Paper | None:
    with db.read() as connection:
        found = _select_papers(connection, [arxiv_id])
    return found[0] if found else None


def papers_by_ids(db: Database, arxiv_ids: Sequence[str]) -> list[Paper]:
    """Papers in the order of arxiv_ids; unknown ids are left out."""
    with db.read() as connection:
        found = {p.arxiv_id: p for p in _select_papers(connection, list(arxiv_ids))}
    return [found[i] for i in arxiv_ids if i in found]


def papers_by_keys(db: Database, keys: Sequence[int]) -> dict[int, Paper]:
    """Listed papers by their integer key (as embeddings store them); others left out."""
    if not keys:
        return {}
    with db.read() as connection:
        rows = connection.execute(_LISTED_BY_KEY, {"keys": list(keys)})
        return {row[0]: _paper(row) for row in rows}


@dataclass(frozen=True, slots=True)
class PaperLink:
    """What a link to a paper in a short list shows: the paper page's similar papers."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    listing_day: date | None


def links_by_keys(db: Database, keys: Sequence[int]) -> dict[int, PaperLink]:
    """Listed papers by their integer key, read narrowly: no abstract, dates or categories
    to decode for a line of a list."""
    if not keys:
        return {}
    with db.read() as connection:
        rows = connection.execute(_LINKS_BY_KEY, {"keys": list(keys)})
        return {
            key: PaperLink(arxiv_id, title, tuple(authors), _as_date(day))
            for key, arxiv_id, title, authors, day in rows
        }


def titles_by_keys(db: Database, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
    """arXiv id and title of the listed papers with these keys (a narrow read, for links)."""
    return _pairs_by_keys(db, keys, papers.c.arxiv_id, papers.c.title, is_listed())


def texts_by_keys(db: Database, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Title and abstract of the papers with these keys (a narrow read, for models)."""
    return _pairs_by_keys(db, keys, papers.c.title, papers.c.abstract, true())


def _pairs_by_keys(
    db: Database,
    keys: Sequence[int],
    first: ColumnElement[str],
    second: ColumnElement[str],
    where: ColumnElement[bool],
) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    with db.read() as connection:
        for start in range(0, len(keys), 1_000):
            chunk = list(keys[start : start + 1_000])
            query = select(papers.c.id, first, second).where(papers.c.id.in_(chunk), where)
            found.update((int(key), (a, b)) for key, a, b in connection.execute(query))
    return found


def paper_key(db: Database, arxiv_id: str) -> int | None:
    """The integer key of a listed paper, or None when it is not stored or hidden."""
    with db.read() as connection:
        key = connection.scalar(_LISTED_KEY, {"arxiv_id": arxiv_id})
    return None if key is None else int(key)


def last_paper_key(db: Database) -> int:
    """The largest paper key so far (0 for none): papers stored later get larger ones."""
    with db.read() as connection:
        return int(connection.scalar(select(func.max(papers.c.id))) or 0)


def count_papers(db: Database) -> int:
    """Every stored paper, hidden ones included."""
    with db.read() as connection:
        return int(connection.scalar(select(func.count()).select_from(papers)) or 0)


def count_listed_papers(db: Database) -> int:
    """The stored papers readers may see."""
    query = select(func.count()).select_from(papers).where(is_listed())
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def latest_listing_day(db: Database) -> date | None:
    """The latest day that has listed papers."""
    return _first_listing_day(db, papers.c.listing_day.is_not(None), newest=True)


def previous_listing_day(db: Database, before: date) -> date | None:
    """The latest day before `before` that has listed papers."""
    return _first_listing_day(db, papers.c.listing_day < before, newest=True)


def next_listing_day(db: Database, after: date) -> date | None:
    """The earliest day after `after` that has listed papers."""
    return _first_listing_day(db, papers.c.listing_day > after, newest=False)


def _first_listing_day(db: Database, condition: Any, *, newest: bool) -> date | None:
    # The first listed entry of ix_papers_listing_rank from one end: max() or min() under
    # a condition on another column would read every entry instead.
    order = papers.c.listing_day.desc() if newest else papers.c.listing_day.asc()
    query = select(papers.c.listing_day).where(condition, is_listed()).order_by(order).limit(1)
    with db.read() as connection:
        return _as_date(connection.scalar(query))


def papers_listed_between(
    db: Database,
    first: date,
    last: date,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = False,
) -> tuple[list[Paper], int]:
    """One page of papers listed from first to last (inclusive), or submitted by a user on
    one of those days, and the total: most upvoted first (imported and cast here together),
    or with newest_first the most recently submitted first."""
    submitted = select(submissions.c.paper_id).where(submissions.c.listing_day.between(first, last))
    window = (papers.c.listing_day.between(first, last) | papers.c.id.in_(submitted)) & is_listed()
    recency = [papers.c.published_at.desc().nulls_last(), papers.c.arxiv_id.desc()]
    upvotes = papers.c.imported_upvotes + func.coalesce(paper_stats.c.votes, 0)
    order = recency if newest_first else [upvotes.desc(), *recency]
    page_ids = (
        select(papers.c.arxiv_id)
        .outerjoin(paper_stats, paper_stats.c.paper_id == papers.c.id)
        .where(window)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    with db.read() as connection:
        # Ordering index entries and then reading only the page's rows avoids sorting
        # whole rows, abstracts included, of every paper in a busy month.
        ids = list(connection.scalars(page_ids))
        found = {paper.arxiv_id: paper for paper in _select_papers(connection, ids)}
        total = connection.scalar(select(func.count()).select_from(papers).where(window))
    return [found[i] for i in ids if i in found], int(total or 0)


def papers_before(db: Database, position: tuple[date, str] | None, limit: int) -> list[Paper]:
    """Papers by listing day, newest first, starting after position (day, arxiv_id)."""
    query = select(papers.c.arxiv_id).where(papers.c.listing_day.is_not(None), is_listed())
    if position is not None:
        day, arxiv_id = position
        query = query.where(
            (papers.c.listing_day < day)
            | ((papers.c.listing_day == day) & (papers.c.arxiv_id < arxiv_id))
        )
    query = query.order_by(papers.c.listing_day.desc(), papers.c.arxiv_id.desc()).limit(limit)
    with db.read() as connection:
        ids = list(connection.scalars(query))
    return papers_by_ids(db, ids)


@dataclass(frozen=True, slots=True)
class PaperChanges:
    """What remove_papers, hide_papers or unhide_papers did with the ids given, in order."""

    changed: tuple[str, ...] = ()  # removed, hidden, or shown again
    unchanged: tuple[str, ...] = ()  # already hidden (hide) or not hidden (unhide)
    unknown: tuple[str, ...] = ()  # not stored
    lost: dict[str, tuple[int, int]] = field(default_factory=dict)  # removed: (votes, comments)


@dataclass(frozen=True, slots=True)
class HiddenPaper:
    arxiv_id: str
    title: str
    hidden_at: datetime
    reason: str | None


def remove_papers(db: Database, arxiv_ids: Sequence[str]) -> PaperChanges:
    """Delete stored papers (hidden ones too) in one transaction, and with them their votes,
    comments, submission, embedding, terms and places in sent digests (ON DELETE CASCADE);
    the digests' delivery records keep their paper counts."""
    with db.write() as connection:
        stored = _stored(connection, arxiv_ids)
        keys = [key for key, _ in stored.values()]
        lost = _community_counts(connection, keys)
        if keys:
            connection.execute(delete(papers).where(papers.c.id.in_(keys)))
            _announce(connection, COMMUNITY_COUNTER)
    return PaperChanges(
        changed=tuple(stored),
        unknown=tuple(i for i in dict.fromkeys(arxiv_ids) if i not in stored),
        lost={arxiv_id: lost.get(key, (0, 0)) for arxiv_id, (key, _) in stored.items()},
    )


def hide_papers(
    db: Database, arxiv_ids: Sequence[str], *, reason: str | None, now: datetime | None = None
) -> PaperChanges:
    """Hide stored papers from readers, keeping them stored; hidden ones stay as they are."""
    with db.write() as connection:
        stored = _stored(connection, arxiv_ids)
        wanted = [arxiv_id for arxiv_id, (_, hidden) in stored.items() if not hidden]
        if wanted:
            connection.execute(
                update(papers)
                .where(papers.c.arxiv_id.in_(wanted))
                .values(hidden_at=now or datetime.now(UTC), hidden_reason=reason)
            )
            _announce(connection)
    return _changes(arxiv_ids, stored, wanted)


def unhide_papers(db: Database, arxiv_ids: Sequence[str]) -> PaperChanges:
    """Show hidden papers to readers again."""
    with db.write() as connection:
        stored = _stored(connection, arxiv_ids)
        wanted = [arxiv_id for arxiv_id, (_, hidden) in stored.items() if hidden]
        if wanted:
            connection.execute(
                update(papers)
                .where(papers.c.arxiv_id.in_(wanted))
                .values(hidden_at=None, hidden_reason=None)
            )
            # New seqs, so that the in-memory indexes load these rows again.
            refile_embeddings(connection, wanted)
            refile_terms(connection, wanted)
            count_change(connection, PAPERS_COUNTER)
    return _changes(arxiv_ids, stored, wanted)


def hidden_papers(db: Database) -> list[HiddenPaper]:
    """Every hidden paper, the most recently hidden first."""
    query = (
        select(papers.c.arxiv_id, papers.c.title, papers.c.hidden_at, papers.c.hidden_reason)
        .where(papers.c.hidden_at.is_not(None))
        .order_by(papers.c.hidden_at.desc(), papers.c.arxiv_id)
    )
    with db.read() as connection:
        rows = connection.execute(query).all()
    return [
        HiddenPaper(row[0], row[1], _as_utc(row[2]) or datetime.now(UTC), row[3]) for row in rows
    ]


def _stored(connection: Connection, arxiv_ids: Sequence[str]) -> dict[str, tuple[int, bool]]:
    """(key, hidden) of each stored paper among arxiv_ids, locked until commit, in the
    order given."""
    query = (
        select(papers.c.arxiv_id, papers.c.id, papers.c.hidden_at)
        .where(papers.c.arxiv_id.in_(list(arxiv_ids)))
        .order_by(papers.c.arxiv_id)
        .with_for_update()
    )
    found = {row[0]: (int(row[1]), row[2] is not None) for row in connection.execute(query)}
    return {arxiv_id: found[arxiv_id] for arxiv_id in dict.fromkeys(arxiv_ids) if arxiv_id in found}


def _changes(
    arxiv_ids: Sequence[str], stored: dict[str, tuple[int, bool]], changed: list[str]
) -> PaperChanges:
    return PaperChanges(
        changed=tuple(changed),
        unchanged=tuple(i for i in stored if i not in changed),
        unknown=tuple(i for i in dict.fromkeys(arxiv_ids) if i not in stored),
    )


def _community_counts(connection: Connection, keys: list[int]) -> dict[int, tuple[int, int]]:
    """(votes cast here, comments hidden or not) of each paper that has any."""
    if not keys:
        return {}
    written = (
        select(comments.c.paper_id, func.count().label("count"))
        .where(comments.c.paper_id.in_(keys))
        .group_by(comments.c.paper_id)
        .subquery()
    )
    query = select(paper_stats.c.paper_id, paper_stats.c.votes, written.c.count).outerjoin(
        written, written.c.paper_id == paper_stats.c.paper_id
    )
    rows = connection.execute(query.where(paper_stats.c.paper_id.in_(keys)))
    return {int(row[0]): (int(row[1] or 0), int(row[2] or 0)) for row in rows}


def _announce(connection: Connection, *others: str) -> None:
    """Move the counters whose readers must notice papers leaving: pages and caches
    (papers), and the in-memory indexes, which rebuild when fewer rows are listed."""
    for name in (PAPERS_COUNTER, EMBEDDINGS_COUNTER, TERMS_COUNTER, *others):
        count_change(connection, name)


def _select_papers(
    connection: Connection, arxiv_ids: list[str], *, for_update: bool = False
) -> list[Paper]:
    if not arxiv_ids:
        return []
    if not for_update:
        rows = connection.execute(_LISTED_BY_ARXIV_ID, {"arxiv_ids": arxiv_ids})
        return [_paper(row) for row in rows]
    # PostgreSQL locks the rows to merge into, always in id order so that two batches
    # never wait for each other; SQLite already holds the database's write lock.
    # Hidden papers are merged into too: they stay hidden, and are never stored twice.
    query = (
        select(*_PAPER_COLUMNS)
        .where(papers.c.arxiv_id.in_(arxiv_ids))
        .order_by(papers.c.arxiv_id)
        .with_for_update()
    )
    return [_paper(row) for row in connection.execute(query)]


def _row(paper: Paper, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(paper, name) for name in PAPER_FIELDS}
    values["authors"] = list(paper.authors)
    values["categories"] = list(paper.categories)
    values["imported_upvotes"] = paper.imported_upvotes or 0
    values["modified_at"] = now
    return values


def _paper(row: Row[Any]) -> Paper:
    values = row._mapping
    return Paper(
        **{name: values[name] for name in PAPER_FIELDS}
        | {
            "authors": tuple(values["authors"]),
            "categories": tuple(values["categories"]),
            "published_at": _as_utc(values["published_at"]),
            "updated_at": _as_utc(values["updated_at"]),
            "listing_day": _as_date(values["listing_day"]),
        }
    )


def _as_utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything paperwire stores is UTC.
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_date(value: date | str | None) -> date | None:
    # SQLite's max()/min() return the stored text, not a date.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)
