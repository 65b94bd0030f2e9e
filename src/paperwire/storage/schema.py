"""Table definitions used by queries; migrations/versions/ holds how they came to be."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Papers carry an integer surrogate key so that votes, comments, embeddings and deliveries
# added by later migrations reference a compact key, while arxiv_id stays the public one.
papers = Table(
    "papers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("arxiv_id", String(64), nullable=False, unique=True),
    Column("version", Integer),
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("abstract", Text, nullable=False),
    Column("categories", JSON, nullable=False),
    Column("primary_category", String(32)),
    Column("comment", Text),
    Column("doi", Text),
    Column("journal_ref", Text),
    Column("published_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("listing_day", Date),
    Column("listing_day_exact", Boolean, nullable=False, server_default=false()),
    Column("imported_upvotes", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False),
    # Set by `paperwire papers hide` (migration 0012): the paper stays stored, so that a
    # harvest merges into it instead of adding it again, but no reader sees it.
    Column("hidden_at", DateTime(timezone=True)),
    Column("hidden_reason", Text),
    Index("ix_papers_hidden_at", "hidden_at"),
    # Covers the list order, so a page is picked from index entries alone and only the
    # papers shown are read in full.
    Index("ix_papers_listing_rank", "listing_day", "imported_upvotes", "published_at", "arxiv_id"),
)

# One row per kind of data whose value goes up in the same transaction as every change to
# that data, so that any process can tell cheaply whether what it cached is still current.
change_counters = Table(
    "change_counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True)),
)

# Where each harvest stands: one row per source and scope (an OAI set, an API query, an RSS
# category), written in the same transaction as the page of papers it follows.
harvest_checkpoints = Table(
    "harvest_checkpoints",
    metadata,
    Column("source", String(16), primary_key=True),
    Column("scope", String(512), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("cursor", Text),
    Column("window_from", Date),
    Column("window_until", Date),
    Column("pages", Integer, nullable=False, server_default="0"),
    Column("papers", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

# One embedding per paper for semantic search: `vector` holds little-endian float16 values
# of an L2-normalised vector (docs/search.md); `text_hash` says which title and abstract it
# was computed from, and `seq` (from the "embeddings" change counter) which write made it,
# so that each web process can load just what changed since it last looked.
paper_embeddings = Table(
    "paper_embeddings",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("model", String(64), nullable=False),
    Column("text_hash", String(32), nullable=False),
    Column("vector", LargeBinary, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_paper_embeddings_seq", "seq"),
)

# Each paper's terms (paperwire/terms.py has the format), written in the transaction that
# writes its text, so the in-memory keyword index can load them instead of reading every
# abstract (migration 0010). analyzer says which version of the analysis made them. pairs
# (migration 0015) are the pairs of adjacent terms the reader model weighs too, NULL for a
# paper analysed before they were stored until `paperwire embed` adds them.
paper_terms = Table(
    "paper_terms",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("analyzer", String(16), nullable=False),
    Column("terms", LargeBinary, nullable=False),
    Column("pairs", LargeBinary),
    Column("seq", BigInteger, nullable=False),
    Index("ix_paper_terms_seq", "seq"),
)

# Community (migration 0006). Accounts: usernames and e-mail addresses are unique without
# regard to case through their *_key columns; session_epoch grows on every password change,
# which voids every reset link naming an older epoch (sessions live in `sessions`).
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False),
    Column("username_key", String(32), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("email_key", String(254), nullable=False, unique=True),
    Column("password_hash", String(256), nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default=false()),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One row per logged-in session (migration 0011): the cookie carries a random session id,
# the table only its SHA-256, so a copy of the table logs nobody in. Deleting the row ends
# the session (log-out, password change, "log out everywhere"), even for a copied cookie.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_expires_at", "expires_at"),
)

# Attempts counted against rate limits when every web process shares them (PostgreSQL,
# migration 0016): key is "action/client or user", at the attempt's Unix time. A row
# outlives its window only until the next cleanup (storage/rate_limits.py).
rate_limit_hits = Table(
    "rate_limit_hits",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("key", String(300), nullable=False),
    Column("at", Double, nullable=False),
    Index("ix_rate_limit_hits_key_at", "key", "at"),
    Index("ix_rate_limit_hits_at", "at"),
)

# One row per upvote: a user upvotes a paper at most once.
votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_votes_paper_id", "paper_id"),
)

# Per-paper aggregates, written in the same transaction as each vote or comment, so lists
# and the trending page never count rows. `decayed` is the sum of every vote's weight
# 2^(-(decayed_at - cast_at) / half-life) as of decayed_at (docs/ranking.md).
paper_stats = Table(
    "paper_stats",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("votes", Integer, nullable=False, server_default="0"),
    Column("comments", Integer, nullable=False, server_default="0"),
    Column("decayed", Double, nullable=False, server_default="0"),
    Column("decayed_at", DateTime(timezone=True)),
    # Finds papers of any age voted on lately, for the trending page (migration 0013).
    Index("ix_paper_stats_decayed_at", "decayed_at"),
)

# Net vote changes per paper and hour (+1 per upvote, -1 per withdrawn upvote): the
# "+N in the last 24 h" of the trending page and the paper page's history chart.
vote_buckets = Table(
    "vote_buckets",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("hour", DateTime(timezone=True), primary_key=True),
    Column("delta", Integer, nullable=False),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("body", Text, nullable=False),  # the author's Markdown, rendered when shown
    Column("hidden", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True)),
    Index("ix_comments_paper_id", "paper_id", "created_at"),
)

# A paper a user submitted; it is also listed on listing_day, the day that was current.
submissions = Table(
    "submissions",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("listing_day", Date, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Index("ix_submissions_listing_day", "listing_day"),
    Index("ix_submissions_user_id", "user_id", "submitted_at"),
)

# Full-text search structures made by migration 0003 with dialect-specific SQL (an FTS5
# table and its triggers on SQLite, a generated tsvector column and GIN index on
# PostgreSQL), and pgvector's `embedding` column on paper_embeddings made by migration 0009
# where the extension exists (storage/pgvector.py), and the SQLite-only indexes of migration
# 0017 that count embeddings and terms. They are not declared above; schema comparisons
# skip them by name.
SEARCH_OBJECT_PREFIXES = (
    "ix_paper_embeddings_model",
    "ix_paper_terms_analyzer",
    "papers_fts",
    "search_vector",
    "ix_papers_search_vector",
    "embedding",
    "ix_paper_embeddings_hnsw",
)


def is_declared_object(name: str | None) -> bool:
    """False for the search structures that live outside this metadata."""
    return not (name or "").startswith(SEARCH_OBJECT_PREFIXES)


# E-mail digests. A subscription is keyed by its address; it becomes a row only once the
# address is confirmed (the pending request travels inside the signed confirmation link).
digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    # The account that proved it owns the address (docs/digests.md); no foreign key.
    Column("user_id", Integer),
    Column("status", String(16), nullable=False),
    Column("frequency", String(8), nullable=False),
    Column("weekday", Integer, nullable=False, server_default="0"),
    Column("size", Integer, nullable=False),
    Column("content", String(16), nullable=False),
    Column("topics", JSON, nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("unsubscribed_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_digest_subscriptions_status_frequency", "status", "frequency"),
    Index("ix_digest_subscriptions_user_id", "user_id"),  # the account page (0008)
)

# One row per subscription and digest period: claimed by a sender before it is sent, so
# that two senders never send the same digest and a crashed run resumes.
digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("period", Date, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True)),
    Column("claim_token", String(64)),
    Column("last_error", Text),
    Column("paper_count", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_id", "period"),
    Index("ix_digest_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
)

# Every paper each subscriber was sent, written in the transaction that marks the delivery
# sent: composition leaves these out, so no paper reaches the same subscriber twice.
digest_sent_papers = Table(
    "digest_sent_papers",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("digest_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Index("ix_digest_sent_papers_delivery_id", "delivery_id"),
)

# Papers with code (migration 0013). A repository is one project on a code host, keyed by
# host and its path there without regard to case; `stars` is its latest count, and
# `trend_score` the stars it gained recently, each day's gain halved every half-life, as of
# `scored_at` (docs/ranking.md), so lists rank by it without reading the history.
repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(64), nullable=False),  # github.com, gitlab.com, huggingface.co
    Column("path", String(256), nullable=False),  # owner/name as the host spells it
    Column("path_key", String(256), nullable=False),  # path lowercased: the identity
    Column("url", Text, nullable=False),
    Column("remote_id", BigInteger),  # the host's own id, which survives renames
    Column("status", String(16), nullable=False, server_default="new"),  # new, ok, missing
    Column("stars", Integer),
    Column("stars_gained_week", Integer, nullable=False, server_default="0"),
    Column("trend_score", Double, nullable=False, server_default="0"),
    Column("scored_at", DateTime(timezone=True)),
    # log2(trend_score) + hours from 1970 to scored_at / half-life: sorts repositories as
    # their decayed scores do at any later moment, so lists read it in index order. NULL:
    # no recent gain.
    Column("trend_rank", Double),
    Column("etag", Text),
    Column("checked_at", DateTime(timezone=True)),
    Column("next_check_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("host", "path_key"),
    Index("ix_repositories_next_check_at", "next_check_at"),
    Index("ix_repositories_trend_rank", "trend_rank"),
)

# One star count per repository and UTC day (the last count seen that day).
repository_stars = Table(
    "repository_stars",
    metadata,
    Column(
        "repository_id",
        Integer,
        ForeignKey("repositories.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),
    Column("stars", Integer, nullable=False),
)

# A paper's code repository and project page. source says where each came from: "text"
# (found in the abstract or comment), "record" (a field of the imported record), "reader"
# (set by a logged-in reader, which later ingests never overwrite). repository_id links
# code_url to the repository whose stars it shows.
paper_links = Table(
    "paper_links",
    metadata,
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("code_url", Text),
    Column("code_source", String(16)),
    Column("project_url", Text),
    Column("project_source", String(16)),
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="SET NULL")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_paper_links_repository_id", "repository_id"),
)

# Every change a reader or moderator made to a paper's links, so that a moderator can see
# who changed what and put the earlier value back. field: "code" or "project".
paper_link_edits = Table(
    "paper_link_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(8), nullable=False),
    Column("old_url", Text),
    Column("new_url", Text),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reverted_at", DateTime(timezone=True)),
    Column("reverted_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Index("ix_paper_link_edits_paper_id", "paper_id", "created_at"),
    Index("ix_paper_link_edits_created_at", "created_at"),
)

# A reader's library (migration 0014): the papers they saved or imported, with their own
# tags. source: "saved" (from a page), "import" (from a BibTeX/RIS/CSL-JSON/id-list file).
library_items = Table(
    "library_items",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Index("ix_library_items_paper_id", "paper_id"),
    Index("ix_library_items_user_id_added_at", "user_id", "added_at"),
)

library_tags = Table(
    "library_tags",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Index("ix_library_tags_user_id_tag", "user_id", "tag"),
)

# "Not interested": a reader's negative signal, which also hides the paper from their feed.
not_interested = Table(
    "not_interested",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", Integer, ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_not_interested_paper_id", "paper_id"),
)

# Authors and categories a reader follows. kind: "author" or "category"; value as the
# reader saw it, value_key folded for matching (storage/follows.py).
follows = Table(
    "follows",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("value_key", String(200), primary_key=True),
    Column("value", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Personal access tokens for the API (/api/me/…): only a SHA-256 of each token is kept, so
# a copy of the table opens nothing. scope: "read" or "write" (write includes read).
access_tokens = Table(
    "access_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("scope", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("ix_access_tokens_user_id", "user_id"),
)
