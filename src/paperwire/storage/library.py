"""Readers' libraries: saved papers and their tags, and the papers they are not interested in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Table, delete, func, select

from paperwire.papers import Paper
from paperwire.storage.counters import LIBRARY_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.papers import papers_by_keys
from paperwire.storage.schema import library_items, library_tags, not_interested, papers, votes
from paperwire.storage.visibility import is_listed, is_listed_key
from paperwire.storage.votes import UnknownPaper, marked_among, paper_key

SAVED = "saved"
IMPORTED = "import"


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One paper of a reader's library."""

    paper: Paper
    tags: tuple[str, ...]
    added_at: datetime
    source: str


def save_paper(
    connection: Connection, user_id: int, paper_id: int, *, source: str, now: datetime
) -> bool:
    """Put a paper in the library; False when it was already there (its row is kept)."""
    statement = dialect_insert(connection, library_items).values(
        user_id=user_id, paper_id=paper_id, source=source, added_at=now
    )
    # RETURNING says whether a row went in on both databases (rowcount does not).
    added = connection.scalar(
        statement.on_conflict_do_nothing().returning(library_items.c.paper_id)
    )
    if added is None:
        return False
    count_change(connection, LIBRARY_COUNTER)
    return True


def add_tags(connection: Connection, user_id: int, paper_id: int, tags: Sequence[str]) -> None:
    """Give a saved paper these tags too (tags it already has are kept)."""
    if not tags:
        return
    rows = [{"user_id": user_id, "paper_id": paper_id, "tag": tag} for tag in tags]
    connection.execute(dialect_insert(connection, library_tags).on_conflict_do_nothing(), rows)


def set_tags(db: Database, user_id: int, arxiv_id: str, tags: Sequence[str]) -> None:
    """Replace a saved paper's tags; UnknownPaper unless the paper is in the library."""
    with db.write() as connection:
        paper_id = _saved_key(connection, user_id, arxiv_id)
        connection.execute(
            delete(library_tags).where(
                library_tags.c.user_id == user_id, library_tags.c.paper_id == paper_id
            )
        )
        add_tags(connection, user_id, paper_id, tags)


def remove_paper(db: Database, user_id: int, arxiv_id: str) -> bool:
    """Take a paper (and its tags) out of the library; False when it was not there."""
    with db.write() as connection:
        try:
            paper_id = _saved_key(connection, user_id, arxiv_id)
        except UnknownPaper:
            return False
        mine = [library_tags.c.user_id == user_id, library_tags.c.paper_id == paper_id]
        connection.execute(delete(library_tags).where(*mine))
        connection.execute(
            delete(library_items).where(
                library_items.c.user_id == user_id, library_items.c.paper_id == paper_id
            )
        )
        count_change(connection, LIBRARY_COUNTER)
    return True


def _saved_key(connection: Connection, user_id: int, arxiv_id: str) -> int:
    query = (
        select(library_items.c.paper_id)
        .join(papers, papers.c.id == library_items.c.paper_id)
        .where(library_items.c.user_id == user_id, papers.c.arxiv_id == arxiv_id)
    )
    found = connection.scalar(query)
    if found is None:
        raise UnknownPaper(arxiv_id)
    return int(found)


def library_page(
    db: Database, user_id: int, *, tag: str | None, limit: int, offset: int
) -> tuple[list[LibraryEntry], int]:
    """The reader's listed saved papers, last added first (optionally those with one tag),
    and how many there are."""
    chosen = select(library_items).where(
        library_items.c.user_id == user_id,
        is_listed_key(library_items.c.paper_id),
    )
    if tag is not None:
        tagged = select(library_tags.c.paper_id).where(
            library_tags.c.user_id == user_id, library_tags.c.tag == tag
        )
        chosen = chosen.where(library_items.c.paper_id.in_(tagged))
    ordered = chosen.order_by(library_items.c.added_at.desc(), library_items.c.paper_id.desc())
    with db.read() as connection:
        rows = connection.execute(ordered.limit(limit).offset(offset)).all()
        total = connection.scalar(select(func.count()).select_from(chosen.subquery()))
        tags = _tags_of(connection, user_id, [row.paper_id for row in rows])
    found = papers_by_keys(db, [row.paper_id for row in rows])
    entries = [
        LibraryEntry(found[row.paper_id], tags.get(row.paper_id, ()), row.added_at, row.source)
        for row in rows
        if row.paper_id in found
    ]
    return entries, int(total or 0)


def _tags_of(
    connection: Connection, user_id: int, paper_ids: Sequence[int]
) -> dict[int, tuple[str, ...]]:
    query = (
        select(library_tags.c.paper_id, library_tags.c.tag)
        .where(library_tags.c.user_id == user_id, library_tags.c.paper_id.in_(paper_ids))
        .order_by(library_tags.c.tag)
    )
    found: dict[int, list[str]] = {}
    for paper_id, tag in connection.execute(query):
        found.setdefault(paper_id, []).append(tag)
    return {paper_id: tuple(tags) for paper_id, tags in found.items()}


def tag_counts(db: Database, user_id: int) -> list[tuple[str, int]]:
    """Every tag the reader uses and on how many papers, alphabetically."""
    query = (
        select(library_tags.c.tag, func.count())
        .where(library_tags.c.user_id == user_id)
        .group_by(library_tags.c.tag)
        .order_by(library_tags.c.tag)
    )
    with db.read() as connection:
        return [(tag, int(count)) for tag, count in connection.execute(query)]


def count_library(db: Database, user_id: int) -> int:
    query = select(func.count()).where(library_items.c.user_id == user_id)
    with db.read() as connection:
        return int(connection.scalar(query) or 0)


def saved_among(db: Database, user_id: int, arxiv_ids: Sequence[str]) -> set[str]:
    """Which of these papers are in the reader's library."""
    return marked_among(db, library_items, user_id, arxiv_ids)


def not_interested_among(db: Database, user_id: int, arxiv_ids: Sequence[str]) -> set[str]:
    """Which of these papers the reader marked "not interested"."""
    return marked_among(db, not_interested, user_id, arxiv_ids)


def set_not_interested(
    db: Database, user_id: int, arxiv_id: str, marked: bool, *, now: datetime
) -> None:
    """Mark (or unmark) a listed paper "not interested"; UnknownPaper when it is not listed."""
    with db.write() as connection:
        paper_id = paper_key(connection, arxiv_id)
        mine = [not_interested.c.user_id == user_id, not_interested.c.paper_id == paper_id]
        count_change(connection, LIBRARY_COUNTER)
        if not marked:
            connection.execute(delete(not_interested).where(*mine))
            return
        row = {"user_id": user_id, "paper_id": paper_id, "created_at": now}
        insert = dialect_insert(connection, not_interested).values(**row)
        connection.execute(insert.on_conflict_do_nothing())


@dataclass(frozen=True, slots=True)
class ReaderSignals:
    """The paper keys a reader's feed learns from."""

    saved: tuple[int, ...]  # library, last added first
    upvoted: tuple[int, ...]  # most recent first
    rejected: tuple[int, ...]  # "not interested"

    @property
    def positives(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(self.saved + self.upvoted))


def reader_signals(db: Database, user_id: int, *, limit: int) -> ReaderSignals:
    """The reader's saved, upvoted and rejected listed papers, at most limit of each."""
    return readers_signals(db, [user_id], limit=limit)[user_id]


def readers_signals(
    db: Database, user_ids: Sequence[int], *, limit: int
) -> dict[int, ReaderSignals]:
    """reader_signals of many readers in three reads (a digest pass's batch)."""
    with db.read() as connection:
        kinds = [
            _latest_keys(connection, table, moment, user_ids, limit)
            for table, moment in (
                (library_items, library_items.c.added_at),
                (votes, votes.c.created_at),
                (not_interested, not_interested.c.created_at),
            )
        ]
    return {
        user: ReaderSignals(*(tuple(keys.get(user, ())) for keys in kinds)) for user in user_ids
    }


def _latest_keys(
    connection: Connection,
    table: Table,
    moment: ColumnElement[datetime],
    user_ids: Sequence[int],
    limit: int,
) -> dict[int, list[int]]:
    """Each reader's listed paper keys in table, latest first, at most limit each."""
    place = (
        func.row_number()
        .over(partition_by=table.c.user_id, order_by=(moment.desc(), table.c.paper_id.desc()))
        .label("place")
    )
    ranked = (
        select(table.c.user_id, table.c.paper_id, place)
        .where(table.c.user_id.in_(list(user_ids)), is_listed_key(table.c.paper_id))
        .subquery()
    )
    query = (
        select(ranked.c.user_id, ranked.c.paper_id)
        .where(ranked.c.place <= limit)
        .order_by(ranked.c.user_id, ranked.c.place)
    )
    found: dict[int, list[int]] = {}
    for user, key in connection.execute(query):
        found.setdefault(int(user), []).append(int(key))
    return found


def keys_by_arxiv_id(db: Database, arxiv_ids: Sequence[str]) -> dict[str, int]:
    """The keys of the listed papers among these arXiv ids (versionless)."""
    found: dict[str, int] = {}
    with db.read() as connection:
        for chunk in _chunks(sorted(set(arxiv_ids))):
            query = select(papers.c.arxiv_id, papers.c.id).where(
                papers.c.arxiv_id.in_(chunk), is_listed()
            )
            found.update((arxiv_id, int(key)) for arxiv_id, key in connection.execute(query))
    return found


def keys_by_doi(db: Database, dois: Sequence[str]) -> dict[str, int]:
    """The keys of the listed papers whose DOI (compared in lower case) is among dois.

    No index serves this: a library import is rare and bounded, and reads the DOI column
    once per chunk of a few hundred DOIs.
    """
    found: dict[str, int] = {}
    with db.read() as connection:
        for chunk in _chunks(sorted({doi.lower() for doi in dois})):
            doi = func.lower(papers.c.doi)
            query = select(doi, papers.c.id).where(doi.in_(chunk), is_listed())
            found.update((value, int(key)) for value, key in connection.execute(query))
    return found


def listed_titles(db: Database) -> list[tuple[int, str]]:
    """Every listed paper's key and title, for matching imported titles exactly (one read
    of a narrow column; an import that needs it is rare and bounded)."""
    with db.read() as connection:
        query = select(papers.c.id, papers.c.title).where(is_listed())
        return [(int(key), title) for key, title in connection.execute(query)]


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]
