"""The papers of an index generation row by row, with what searches filter them on, saved
beside the generation's other arrays and mapped read-only like them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.search.index_files import Generation, save_array


@dataclass(frozen=True, slots=True)
class RowTable:
    paper_ids: np.ndarray  # int64, one per row
    sorted_ids: np.ndarray  # int64, paper_ids ascending
    by_paper: np.ndarray  # int64, the row of each of sorted_ids
    listing_days: np.ndarray  # int32 ordinals, 0 when unknown
    categories: dict[str, np.ndarray]  # category -> its rows

    def __len__(self) -> int:
        return len(self.paper_ids)

    def rows_of(self, paper_ids: np.ndarray) -> np.ndarray:
        """The row of each of paper_ids, -1 for those the table does not hold."""
        wanted = np.asarray(paper_ids, np.int64)
        if not len(self.paper_ids) or not len(wanted):
            return np.full(len(wanted), -1, np.int64)
        at = np.minimum(np.searchsorted(self.sorted_ids, wanted), len(self.sorted_ids) - 1)
        return np.where(self.sorted_ids[at] == wanted, self.by_paper[at], -1)

    def row_of(self, paper_id: int) -> int | None:
        at = int(np.searchsorted(self.sorted_ids, paper_id))
        if at == len(self.sorted_ids) or self.sorted_ids[at] != paper_id:
            return None
        return int(self.by_paper[at])


def save_rows(
    folder: Path,
    prefix: str,
    paper_ids: np.ndarray,
    listing_days: np.ndarray,
    by_category: Mapping[str, np.ndarray],
) -> dict[str, Any]:
    """Write a table's arrays as prefix_*.npy (by_category: category -> its rows); returns
    what meta.json must hold of it."""
    names = sorted(by_category)
    sizes = [len(by_category[name]) for name in names]
    starts = np.zeros(len(names) + 1, np.int64)
    np.cumsum(sizes, out=starts[1:])
    rows = [by_category[name] for name in names]
    order = np.argsort(paper_ids, kind="stable")
    save_array(folder, f"{prefix}_paper_ids", paper_ids.astype(np.int64))
    save_array(folder, f"{prefix}_sorted_ids", paper_ids[order].astype(np.int64))
    save_array(folder, f"{prefix}_by_paper", order.astype(np.int64))
    save_array(folder, f"{prefix}_listing_days", listing_days.astype(np.int32))
    save_array(folder, f"{prefix}_category_starts", starts)
    save_array(
        folder,
        f"{prefix}_category_rows",
        np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, np.int64),
    )
    return {f"{prefix}_categories": names, f"{prefix}_rows": len(paper_ids)}


def load_rows(generation: Generation, prefix: str) -> RowTable:
    names: list[str] = list(generation.meta[f"{prefix}_categories"])
    starts = np.asarray(generation.array(f"{prefix}_category_starts"))
    rows = generation.array(f"{prefix}_category_rows")
    categories = {name: rows[int(starts[i]) : int(starts[i + 1])] for i, name in enumerate(names)}
    return RowTable(
        paper_ids=generation.array(f"{prefix}_paper_ids"),
        sorted_ids=generation.array(f"{prefix}_sorted_ids"),
        by_paper=generation.array(f"{prefix}_by_paper"),
        listing_days=generation.array(f"{prefix}_listing_days"),
        categories=categories,
    )
