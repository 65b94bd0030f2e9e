"""Which stored papers readers may see: every one an operator has not hidden."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from paperwire.storage.schema import papers

_hidden = papers.alias("hidden_papers")
# Hidden papers are few, and SQLite keeps each paper's key (its rowid) in every index
# entry: a test on the key keeps queries answered from ix_papers_listing_rank alone.
_HIDDEN_KEYS = select(_hidden.c.id).where(_hidden.c.hidden_at.is_not(None))


def is_listed() -> ColumnElement[bool]:
    """A condition on `papers` that holds for the papers readers may see."""
    return papers.c.id.not_in(_HIDDEN_KEYS)


def is_listed_key(key: ColumnElement[int]) -> ColumnElement[bool]:
    """The same rule on a column holding a paper's key (votes, library rows…), without
    reading papers: the hidden keys are few."""
    return key.not_in(_HIDDEN_KEYS)
