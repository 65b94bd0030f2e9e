"""The trending score: upvotes that lose half their weight every half-life."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

HOURS_PER_DAY = 24
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TrendingCandidate:
    """What the score needs to know about one upvoted paper."""

    arxiv_id: str
    upvotes: int
    listing_day: date
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class TrendingEntry:
    arxiv_id: str
    score: float
    upvotes: int
    age_days: int


def trending_score(upvotes: int, listing_day: date, anchor: date, half_life_hours: float) -> float:
    """upvotes × 2^(−age / half-life), age counted in whole listing days before the anchor.

    Until paperwire records when each vote was cast, a paper's upvotes are dated by its
    listing day; papers listed after the anchor count as age 0.
    """
    age_hours = max(0, (anchor - listing_day).days) * HOURS_PER_DAY
    return float(upvotes * 0.5 ** (age_hours / half_life_hours))


def rank_trending(
    candidates: Iterable[TrendingCandidate], anchor: date, half_life_hours: float
) -> list[TrendingEntry]:
    """Candidates best first: by score, then upvotes, then the newer paper, then id."""
    entries = [
        (
            TrendingEntry(
                arxiv_id=c.arxiv_id,
                score=trending_score(c.upvotes, c.listing_day, anchor, half_life_hours),
                upvotes=c.upvotes,
                age_days=max(0, (anchor - c.listing_day).days),
            ),
            c.published_at or _EPOCH,
        )
        for c in candidates
    ]
    entries.sort(
        key=lambda pair: (-pair[0].score, -pair[0].upvotes, -pair[1].timestamp(), pair[0].arxiv_id)
    )
    return [entry for entry, _ in entries]
