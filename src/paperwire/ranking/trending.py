"""The trending score: upvotes that lose half their weight every half-life."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

HOURS_PER_DAY = 24
OLD_AFTER_DAYS = 60  # from here on an age reads better in months, then years
DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TrendingCandidate:
    """What the score needs to know about one upvoted paper."""

    arxiv_id: str
    upvotes: int  # imported with the paper
    listing_day: date
    published_at: datetime | None
    votes: int = 0  # cast here
    decayed_votes: float = 0.0  # the votes' summed weight as of decayed_at
    decayed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrendingEntry:
    arxiv_id: str
    score: float
    upvotes: int  # imported and cast here together
    age_days: int


def trending_score(upvotes: int, listing_day: date, anchor: date, half_life_hours: float) -> float:
    """upvotes × 2^(−age / half-life), age counted in whole listing days before the anchor.

    For imported upvotes, whose casting times are unknown: they are dated by the paper's
    listing day; papers listed after the anchor count as age 0.
    """
    age_hours = max(0, (anchor - listing_day).days) * HOURS_PER_DAY
    return float(upvotes * 0.5 ** (age_hours / half_life_hours))


def decayed(value: float, since: datetime | None, now: datetime, half_life_hours: float) -> float:
    """A sum of vote weights known as of `since`, carried forward to `now`."""
    if since is None or value == 0:
        return value
    hours = max(0.0, (now - since) / timedelta(hours=1))
    return float(value * 0.5 ** (hours / half_life_hours))


def vote_weight(cast_at: datetime, now: datetime, half_life_hours: float) -> float:
    """What one vote cast at cast_at weighs at now: 1 when fresh, ½ after one half-life."""
    return decayed(1.0, cast_at, now, half_life_hours)


def candidate_score(
    candidate: TrendingCandidate, anchor: date, now: datetime, half_life_hours: float
) -> float:
    """Imported upvotes decayed by listing age, plus each vote cast here decayed by its own age."""
    imported = trending_score(candidate.upvotes, candidate.listing_day, anchor, half_life_hours)
    cast = decayed(candidate.decayed_votes, candidate.decayed_at, now, half_life_hours)
    return imported + cast


def rank_trending(
    candidates: Iterable[TrendingCandidate],
    anchor: date,
    half_life_hours: float,
    now: datetime | None = None,
) -> list[TrendingEntry]:
    """Candidates best first: by score, then upvotes, then the newer paper, then id.

    The reference definition in Python; pages use storage.trending, which computes the
    same ranking in SQL (a test holds the two equal on both databases).
    """
    moment = now or datetime.now(UTC)
    entries = [
        (
            TrendingEntry(
                arxiv_id=c.arxiv_id,
                score=candidate_score(c, anchor, moment, half_life_hours),
                upvotes=c.upvotes + c.votes,
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


def explain(entry: TrendingEntry, gained_last_day: int) -> str:
    """A reader's reason for an entry: recent votes first, then the total and the age."""
    plural = "" if entry.upvotes == 1 else "s"
    total = f"{entry.upvotes} upvote{plural}, {listed_ago(entry.age_days)}"
    if gained_last_day > 0:
        gained = "" if gained_last_day == 1 else "s"
        return f"+{gained_last_day} upvote{gained} in the last 24 h · {total}"
    return total


def listed_ago(days: int) -> str:
    """ "listed 3 days earlier"; months or years for an older paper voted on again."""
    if days == 0:
        return "listed on the latest day"
    if days < OLD_AFTER_DAYS:
        return f"listed {days} day{'' if days == 1 else 's'} earlier"
    if days < 2 * DAYS_PER_YEAR:
        return f"listed {days // DAYS_PER_MONTH} months earlier"
    return f"listed {days // DAYS_PER_YEAR} years earlier"
