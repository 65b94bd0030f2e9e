"""Full-text search over title, authors and abstract: FTS5 on SQLite, tsvector on PostgreSQL.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite: an external-content FTS5 index. storage.papers indexes each stored batch with one
# INSERT ... SELECT in the batch's transaction (per-row triggers cost twice as much at
# ingest); a trigger covers deletes, which are rare.
_SQLITE_UP = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, authors, abstract, content='papers', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.id, old.title, old.authors, old.abstract);
    END""",
    "INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS papers_fts_delete",
    "DROP TABLE IF EXISTS papers_fts",
]
# PostgreSQL: a stored generated tsvector, title weighted above authors above abstract.
_POSTGRES_UP = [
    """ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(authors::text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)",
]
_POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_papers_search_vector",
    "ALTER TABLE papers DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    for statement in _SQLITE_UP if _is_sqlite() else _POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DOWN if _is_sqlite() else _POSTGRES_DOWN:
        op.execute(statement)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
