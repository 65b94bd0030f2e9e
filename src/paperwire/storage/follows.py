"""Authors and arXiv categories a reader follows, and the recent papers a feed ranks."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import delete, select

from paperwire.storage.counters import LIBRARY_COUNTER, count_change, dialect_insert
from paperwire.storage.database import Database
from paperwire.storage.schema import follows, papers
from paperwire.storage.visibility import is_listed

Kind = Literal["author", "category"]
KINDS: tuple[Kind, ...] = ("author", "category")
MAX_VALUE_CHARS = 200
_SPACES_RE = re.compile(r"\s+")


def kind_named(text: str) -> Kind | None:
    """The kind of follow a form names, or None."""
    return next((kind for kind in KINDS if kind == text), None)


@dataclass(frozen=True, slots=True)
class Follow:
    kind: Kind
    value: str


def follow_key(value: str) -> str:
    """How a followed name is compared: accents, case and spacing ignored ("Łukasz
    Kaiser" and "lukasz  kaiser" are one author), since arXiv spells names many ways."""
    decomposed = unicodedata.normalize("NFKD", value.replace("ł", "l").replace("Ł", "L"))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES_RE.sub(" ", letters).strip().casefold()


def follow(db: Database, user_id: int, kind: Kind, value: str, *, now: datetime) -> None:
    """Follow an author or a category (following it again changes nothing)."""
    row = {
        "user_id": user_id,
        "kind": kind,
        "value_key": follow_key(value),
        "value": value,
        "created_at": now,
    }
    with db.write() as connection:
        statement = dialect_insert(connection, follows).values(**row)
        connection.execute(statement.on_conflict_do_nothing())
        count_change(connection, LIBRARY_COUNTER)


def unfollow(db: Database, user_id: int, kind: Kind, value: str) -> None:
    with db.write() as connection:
        connection.execute(
            delete(follows).where(
                follows.c.user_id == user_id,
                follows.c.kind == kind,
                follows.c.value_key == follow_key(value),
            )
        )
        count_change(connection, LIBRARY_COUNTER)


def follows_of(db: Database, user_id: int) -> list[Follow]:
    """What the reader follows, categories first, then authors, alphabetically."""
    return follows_of_readers(db, [user_id])[user_id]


def follows_of_readers(db: Database, user_ids: Sequence[int]) -> dict[int, list[Follow]]:
    """follows_of of many readers in one read (a digest pass's batch)."""
    query = (
        select(follows.c.user_id, follows.c.kind, follows.c.value)
        .where(follows.c.user_id.in_(list(user_ids)))
        .order_by(follows.c.user_id, follows.c.kind.desc(), follows.c.value_key)
    )
    found: dict[int, list[Follow]] = {user: [] for user in user_ids}
    with db.read() as connection:
        for user, kind, value in connection.execute(query):
            found[int(user)].append(Follow(kind, value))
    return found


@dataclass(frozen=True, slots=True)
class Candidate:
    """A recent paper as a feed ranks it: its key, authors and categories (not its text)."""

    key: int
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    upvotes: int


def listed_between(db: Database, first: date, last: date) -> list[Candidate]:
    """The listed papers of first..last, newest day first: narrow columns only."""
    query = (
        select(papers.c.id, papers.c.authors, papers.c.categories, papers.c.imported_upvotes)
        .where(papers.c.listing_day.between(first, last), is_listed())
        .order_by(papers.c.listing_day.desc(), papers.c.id.desc())
    )
    with db.read() as connection:
        return [
            Candidate(int(key), tuple(authors), tuple(categories), int(upvotes or 0))
            for key, authors, categories, upvotes in connection.execute(query)
        ]
