"""The rows of an in-memory index that a PaperFilter lets through."""

from __future__ import annotations

import numpy as np

from paperwire.storage.search import PaperFilter


def allowed_rows(
    listing_days: np.ndarray, categories: dict[str, np.ndarray], where: PaperFilter | None
) -> np.ndarray | None:
    """A mask over rows (listing day ordinals, category -> rows), or None for no limit."""
    if where is None or where == PaperFilter():
        return None
    allowed = np.ones(len(listing_days), dtype=bool)
    if where.first is not None:
        allowed &= listing_days >= where.first.toordinal()
    if where.last is not None:
        allowed &= (listing_days <= where.last.toordinal()) & (listing_days > 0)
    if where.category is not None:
        in_category = np.zeros(len(allowed), dtype=bool)
        in_category[categories.get(where.category, np.zeros(0, np.int64))] = True
        allowed &= in_category
    return allowed


def with_category_rows(
    categories: dict[str, np.ndarray], added: list[tuple[str, ...]], first_row: int
) -> dict[str, np.ndarray]:
    """categories with rows first_row, first_row + 1, … added under each of their categories."""
    new_rows: dict[str, list[int]] = {}
    for row, found in enumerate(added, start=first_row):
        for category in found:
            new_rows.setdefault(category, []).append(row)
    merged = dict(categories)
    for category, rows in new_rows.items():
        old = merged.get(category, np.zeros(0, np.int64))
        merged[category] = np.concatenate([old, np.asarray(rows, np.int64)])
    return merged
