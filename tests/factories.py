"""Factories for test data: papers with sensible defaults and numbered ids."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from paperwire.community.accounts import hash_password
from paperwire.papers import Paper
from paperwire.search.embedder import normalised
from paperwire.storage import Database
from paperwire.storage import embeddings as embedding_store
from paperwire.storage.papers import upsert_papers
from paperwire.storage.users import User, insert_user

TEST_DATA = Path(__file__).parent / "data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_numbers = itertools.count(1)


def shared_file(relative: str) -> Path:
    """A file of the shared data folder, or skip the test with the reason."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data folder is not beside this checkout")
    return path


def make_paper(**overrides: Any) -> Paper:
    """A complete paper; every field can be overridden by name."""
    number = next(_numbers)
    listing_day = overrides.get("listing_day", date(2024, 4, 8))
    values: dict[str, Any] = {
        "arxiv_id": f"2404.{number:05d}",
        "version": 1,
        "title": f"A study of example number {number}",
        "abstract": f"We study example {number}.\n\nIt matters.",
        "authors": ("Ada Lovelace", "Alan Turing"),
        "categories": ("cs.AI", "cs.LG"),
        "primary_category": "cs.AI",
        "published_at": datetime.combine(listing_day, datetime.min.time(), UTC)
        - timedelta(hours=10),
        "updated_at": None,
        "listing_day": listing_day,
        "imported_upvotes": 0,
    }
    values.update(overrides)
    return Paper(**values)


PASSWORD = "correct horse battery"  # the password of every persona made with a password


def add_user(db: Database, username: str, *, admin: bool = False, password: bool = False) -> User:
    """A stored account named username (username@example.org). Hashing costs time, so only
    accounts that log in are given the real hash of PASSWORD."""
    password_hash = hash_password(PASSWORD) if password else "$argon2id$v=19$m=65536,t=3,p=4$x$x"
    return insert_user(
        db,
        username=username,
        email=f"{username}@example.org",
        password_hash=password_hash,
        is_admin=admin,
    )


def store_random_embeddings(
    db: Database, model: str, dims: int, count: int, seed: int, first_day: date
) -> tuple[list[int], np.ndarray]:
    """count papers (listed over 10 days from first_day; every third in cs.CL, the others
    in cs.CV and cs.AI) with random unit vectors; their keys and float16-rounded vectors."""
    rng = np.random.default_rng(seed)
    batch = [
        make_paper(
            listing_day=first_day + timedelta(days=i % 10),
            categories=("cs.CL",) if i % 3 == 0 else ("cs.CV", "cs.AI"),
        )
        for i in range(count)
    ]
    upsert_papers(db, batch)
    sources = embedding_store.sources_for_papers(db, model, [p.arxiv_id for p in batch])
    vectors = normalised(rng.normal(size=(len(sources), dims)).astype(np.float32))
    embedding_store.save_embeddings(db, model, sources, vectors)
    # What the database holds went through float16: compare with the stored precision.
    stored = vectors.astype(np.float16).astype(np.float32)
    return [source.paper_id for source in sources], stored
