"""Papers' code and project links: set at ingest, edited by readers, reverted by moderators.

Where a link came from decides who may change it (paper_links.code_source and
project_source): "reader" links are never overwritten by an ingest, "record" links (a
field of an imported record) are kept until a record gives another, and "text" links
follow the abstract and comment, so that a paper whose new version drops its link loses it.
Every write moves the code change counter in its transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, delete, select, update

from paperwire.code.links import FoundLinks, find_links, normalise_code_url
from paperwire.papers import Paper
from paperwire.storage.code import ensure_repository
from paperwire.storage.counters import CODE_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import paper_link_edits, paper_links, papers, repositories, users
from paperwire.storage.visibility import is_listed
from paperwire.storage.votes import UnknownPaper

TEXT = "text"
RECORD = "record"
READER = "reader"
Field = Literal["code", "project"]
FIELDS: tuple[Field, ...] = ("code", "project")
_Link = tuple[str | None, str | None]  # (url, source)
_Pair = tuple[str | None, str | None]  # (code URL, project URL)
_Offer = tuple[_Pair, _Pair]  # what the record gives, what the text holds


@dataclass(frozen=True, slots=True)
class LinkEdit:
    """One change a reader made to a paper's link, and whether a moderator reverted it."""

    id: int
    arxiv_id: str
    field: str  # code or project
    old_url: str | None
    new_url: str | None
    username: str | None  # None once the account is deleted
    created_at: datetime
    reverted_at: datetime | None
    reverted_by: str | None


class EditConflict(Exception):
    """The edit cannot be reverted: already reverted, or the link changed since."""


def write_found_links(connection: Connection, batch: Sequence[Paper], new: set[str]) -> int:
    """Set the links found in the text (and given by the record) of papers just stored,
    inside their ingest transaction; new holds the ids inserted by it. The number of
    papers whose links changed."""
    offered = {paper.arxiv_id: _offered(paper) for paper in batch}
    return _write_offered(connection, offered, new)


def write_text_links(connection: Connection, found: Mapping[str, FoundLinks]) -> int:
    """Set the links found (find_links) in stored papers' text, keyed by arXiv id, as an
    ingest would (the backfill); the number of papers whose links changed."""
    offered = {
        arxiv_id: ((None, None), (links.code_url, links.project_url))
        for arxiv_id, links in found.items()
    }
    return _write_offered(connection, offered, set())


def _write_offered(connection: Connection, offered: Mapping[str, _Offer], new: set[str]) -> int:
    # A new paper without any link has no row to add or drop: no query for it.
    wanted = [i for i, offer in offered.items() if i not in new or any(offer[0] + offer[1])]
    if not wanted:
        return 0
    rows = connection.execute(_stored_links(wanted)).all()
    changes = [
        change for row in rows if (change := _change(row, *offered[row.arxiv_id])) is not None
    ]
    _apply(connection, changes)
    return len(changes)


def _offered(paper: Paper) -> _Offer:
    """((record code, record page), (text code, text page)) of a paper."""
    record = (paper.record_code_url, paper.record_project_url)
    return record, _found(paper.abstract, paper.comment)


def _found(abstract: str, comment: str | None) -> tuple[str | None, str | None]:
    found = find_links(abstract, comment)
    return found.code_url, found.project_url


def _stored_links(arxiv_ids: list[str]) -> Any:
    return (
        select(
            papers.c.id.label("paper_id"),
            papers.c.arxiv_id,
            paper_links.c.paper_id.label("link_row"),
            paper_links.c.code_url,
            paper_links.c.code_source,
            paper_links.c.project_url,
            paper_links.c.project_source,
        )
        .outerjoin(paper_links, paper_links.c.paper_id == papers.c.id)
        .where(papers.c.arxiv_id.in_(arxiv_ids))
        .order_by(papers.c.id)
    )


def _change(
    row: Any, record: tuple[str | None, str | None], text: tuple[str | None, str | None]
) -> dict[str, Any] | None:
    """The paper_links values a stored row should have now; None when it has them."""
    code = chosen_link((row.code_url, row.code_source), record[0], text[0])
    project = chosen_link((row.project_url, row.project_source), record[1], text[1])
    stored = ((row.code_url, row.code_source), (row.project_url, row.project_source))
    if (code, project) == stored:
        return None
    return {
        "paper_id": row.paper_id,
        "code_url": code[0],
        "code_source": code[1],
        "project_url": project[0],
        "project_source": project[1],
    }


def chosen_link(stored: _Link, record: str | None, text: str | None) -> _Link:
    """(url, source) a link should have after an ingest: a reader's choice stays (even an
    emptied link), a record's link beats one found in the text, and a record's stored link
    stays when a later record gives none."""
    if stored[1] == READER:
        return stored
    if record is not None:
        return record, RECORD
    if stored[1] == RECORD:
        return stored
    return (text, TEXT) if text is not None else (None, None)


def _apply(connection: Connection, changes: list[dict[str, Any]]) -> None:
    if not changes:
        return
    now = datetime.now(UTC)
    # A row left with no link and no reader's choice goes (it may not exist: nothing to do).
    gone = [change["paper_id"] for change in changes if _is_empty(change)]
    if gone:
        connection.execute(delete(paper_links).where(paper_links.c.paper_id.in_(gone)))
    kept = [change for change in changes if not _is_empty(change)]
    if kept:
        ids = _ensure_repositories(connection, [change["code_url"] for change in kept])
        rows = [
            change | {"repository_id": ids.get(change["code_url"]), "updated_at": now}
            for change in kept
        ]
        _upsert_rows(connection, rows)
    count_change(connection, CODE_COUNTER)


def _is_empty(change: dict[str, Any]) -> bool:
    return all(change[name] is None for name in ("code_url", "code_source", "project_url"))


def _ensure_repositories(connection: Connection, code_urls: list[str | None]) -> dict[str, int]:
    """ensure_repository (storage/code.py) for a batch of code URLs in two statements
    instead of two per URL: the repository id of each URL that names one."""
    found = {url: code for url in code_urls if url and (code := normalise_code_url(url))}
    if not found:
        return {}
    now = datetime.now(UTC)
    values = {
        (code.host, code.path.lower()): {
            "host": code.host,
            "path": code.path,
            "path_key": code.path.lower(),
            "url": code.url,
            "created_at": now,
            "next_check_at": now,
        }
        for code in found.values()
    }
    insert = dialect_insert(connection, repositories).on_conflict_do_nothing(
        index_elements=["host", "path_key"]
    )
    connection.execute(insert, list(values.values()))
    query = select(repositories.c.id, repositories.c.host, repositories.c.path_key).where(
        repositories.c.path_key.in_(sorted({key for _, key in values}))
    )
    ids = {(row.host, row.path_key): int(row.id) for row in connection.execute(query)}
    return {url: ids[(code.host, code.path.lower())] for url, code in found.items()}


def repository_for(connection: Connection, code_url: str | None) -> int | None:
    """The id of the repository a code URL names (added when new); None for no URL."""
    found = normalise_code_url(code_url) if code_url else None
    if found is None:
        return None
    return ensure_repository(connection, found.host, found.path, found.url)


def _upsert_rows(connection: Connection, rows: list[dict[str, Any]]) -> None:
    insert = dialect_insert(connection, paper_links)
    columns = ("code_url", "code_source", "project_url", "project_source", "repository_id")
    statement = insert.on_conflict_do_update(
        index_elements=["paper_id"],
        set_={name: insert.excluded[name] for name in (*columns, "updated_at")},
    )
    connection.execute(statement, rows)


def edit_link(
    db: Database, arxiv_id: str, field: Field, url: str | None, user_id: int
) -> LinkEdit | None:
    """Set a listed paper's code or project link (None clears it) as a reader's edit,
    recorded with the value it replaces; None when the link already is url."""
    now = datetime.now(UTC)
    with db.write() as connection:
        paper_id = _listed_paper_id(connection, arxiv_id)
        current = _current_links(connection, paper_id)
        old = current.get(f"{field}_url")
        if old == url:
            return None
        _set_link(connection, paper_id, field, (url, READER), now)
        edit_id = connection.scalar(
            paper_link_edits.insert()
            .values(
                paper_id=paper_id,
                field=field,
                old_url=old,
                new_url=url,
                user_id=user_id,
                created_at=now,
            )
            .returning(paper_link_edits.c.id)
        )
        count_change(connection, CODE_COUNTER)
    return link_edit(db, int(edit_id))


def revert_edit(db: Database, edit_id: int, moderator_id: int) -> LinkEdit:
    """Put back the link an edit replaced and mark the edit reverted. EditConflict when it
    was reverted already or the link has changed since (revert the later edit first);
    LookupError when there is no such edit."""
    now = datetime.now(UTC)
    with db.write() as connection:
        edit = connection.execute(
            select(paper_link_edits).where(paper_link_edits.c.id == edit_id).with_for_update()
        ).first()
        if edit is None:
            raise LookupError(f"no link edit {edit_id}")
        if edit.reverted_at is not None:
            raise EditConflict("This edit was reverted already.")
        current = _current_links(connection, edit.paper_id).get(f"{edit.field}_url")
        if current != edit.new_url:
            raise EditConflict("The link has changed since this edit: revert the later edit.")
        # The moderator's choice: an ingest keeps it, unless it empties the link, which the
        # next text or record may fill again.
        source = READER if edit.old_url is not None else None
        _set_link(connection, edit.paper_id, edit.field, (edit.old_url, source), now)
        connection.execute(
            update(paper_link_edits)
            .where(paper_link_edits.c.id == edit_id)
            .values(reverted_at=now, reverted_by=moderator_id)
        )
        count_change(connection, CODE_COUNTER)
    found = link_edit(db, edit_id)
    assert found is not None
    return found


def _listed_paper_id(connection: Connection, arxiv_id: str) -> int:
    query = select(papers.c.id).where(papers.c.arxiv_id == arxiv_id, is_listed())
    paper_id = connection.scalar(query)
    if paper_id is None:
        raise UnknownPaper(arxiv_id)
    return int(paper_id)


def _current_links(connection: Connection, paper_id: int) -> dict[str, Any]:
    row = connection.execute(
        select(paper_links).where(paper_links.c.paper_id == paper_id).with_for_update()
    ).first()
    return dict(row._mapping) if row is not None else {}


def _set_link(
    connection: Connection, paper_id: int, field: str, link: _Link, now: datetime
) -> None:
    values: dict[str, Any] = {f"{field}_url": link[0], f"{field}_source": link[1]}
    if field == "code":
        values["repository_id"] = repository_for(connection, link[0])
    insert = dialect_insert(connection, paper_links).values(
        paper_id=paper_id, updated_at=now, **values
    )
    connection.execute(
        insert.on_conflict_do_update(index_elements=["paper_id"], set_=values | {"updated_at": now})
    )


def link_edit(db: Database, edit_id: int) -> LinkEdit | None:
    found = _edits(db, paper_link_edits.c.id == edit_id, limit=1)
    return found[0] if found else None


def link_edits(db: Database, arxiv_id: str, *, limit: int = 200) -> list[LinkEdit]:
    """The edits of one paper's links, the newest first."""
    return _edits(db, papers.c.arxiv_id == arxiv_id, limit=limit)


def recent_link_edits(db: Database, *, limit: int = 100) -> list[LinkEdit]:
    """The latest edits of any paper's links, the newest first (for moderators)."""
    return _edits(db, None, limit=limit)


def _edits(db: Database, condition: Any, *, limit: int) -> list[LinkEdit]:
    author = users.alias("author")
    moderator = users.alias("moderator")
    query = (
        select(
            paper_link_edits,
            papers.c.arxiv_id,
            author.c.username.label("username"),
            moderator.c.username.label("moderator"),
        )
        .join(papers, papers.c.id == paper_link_edits.c.paper_id)
        .outerjoin(author, author.c.id == paper_link_edits.c.user_id)
        .outerjoin(moderator, moderator.c.id == paper_link_edits.c.reverted_by)
        .order_by(paper_link_edits.c.created_at.desc(), paper_link_edits.c.id.desc())
        .limit(limit)
    )
    if condition is not None:
        query = query.where(condition)
    with db.read() as connection:
        return [_link_edit(row) for row in connection.execute(query)]


def _link_edit(row: Any) -> LinkEdit:
    return LinkEdit(
        id=int(row.id),
        arxiv_id=row.arxiv_id,
        field=row.field,
        old_url=row.old_url,
        new_url=row.new_url,
        username=row.username,
        created_at=_utc(row.created_at),
        reverted_at=_utc(row.reverted_at) if row.reverted_at is not None else None,
        reverted_by=row.moderator,
    )


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything paperwire stores is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
