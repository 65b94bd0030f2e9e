"""What a digest subscription holds: frequency, size, and the trending list or topics."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Frequency = Literal["daily", "weekly"]
Content = Literal["trending", "topics", "for-you"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekly")
CONTENTS: tuple[Content, ...] = ("trending", "topics", "for-you")
MIN_SIZE = 1
MAX_SIZE = 50
DEFAULT_SIZE = 10
MAX_TOPICS = 10
MAX_TERMS_PER_LIST = 20
MAX_TERM_CHARS = 100
MAX_EMAIL_CHARS = 254
# Deliberately loose: the confirmation e-mail is the real check of an address.
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}$")

ACTIVE = "active"
UNSUBSCRIBED = "unsubscribed"


class InvalidSubscription(ValueError):
    """A subscription request that cannot be accepted; the message says what to change."""


def frequency_of(text: str) -> Frequency:
    """A frequency typed into a form or a file; InvalidSubscription when it is neither."""
    for frequency in FREQUENCIES:
        if text.strip().lower() == frequency:
            return frequency
    raise InvalidSubscription(f"frequency {text[:20]!r} is not daily or weekly")


def content_of(text: str) -> Content:
    for content in CONTENTS:
        if text.strip().lower() == content:
            return content
    raise InvalidSubscription("content must be trending, topics or for-you")


def normalise_email(email: str) -> str:
    """The address as stored and compared: trimmed, lower case; raise when malformed."""
    address = email.strip().lower()
    if len(address) > MAX_EMAIL_CHARS or not _EMAIL_RE.match(address):
        raise InvalidSubscription("that does not look like an e-mail address")
    return address


@dataclass(frozen=True, slots=True)
class Topic:
    """Papers a subscriber follows. Every list that is filled in must match (keywords,
    authors, categories, saved search); within a list one entry suffices; an excluded
    keyword rules a paper out."""

    name: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    query: str = ""

    def check(self) -> None:
        if not (self.include or self.authors or self.categories or self.query):
            raise InvalidSubscription(
                "a topic needs keywords, authors, categories or a search query"
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "include": list(self.include),
            "exclude": list(self.exclude),
            "authors": list(self.authors),
            "categories": list(self.categories),
            "query": self.query,
        }

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Topic:
        return cls(
            name=str(values.get("name", "")),
            include=tuple(values.get("include", ())),
            exclude=tuple(values.get("exclude", ())),
            authors=tuple(values.get("authors", ())),
            categories=tuple(values.get("categories", ())),
            query=str(values.get("query", "")),
        )


def terms(text: str) -> tuple[str, ...]:
    """A comma- or line-separated list typed into a form, cleaned and bounded."""
    parts = (part.strip() for part in re.split(r"[,\n]", text))
    kept = [part[:MAX_TERM_CHARS] for part in parts if part]
    return tuple(dict.fromkeys(kept))[:MAX_TERMS_PER_LIST]


@dataclass(frozen=True, slots=True)
class Preferences:
    """How often, how many papers, and which."""

    frequency: Frequency = "daily"
    weekday: int = 0  # Monday; used by weekly digests
    size: int = DEFAULT_SIZE
    content: Content = "trending"
    topics: tuple[Topic, ...] = field(default_factory=tuple)

    def check(self) -> Preferences:
        """Self, or InvalidSubscription naming what is out of range."""
        if self.frequency not in FREQUENCIES:
            raise InvalidSubscription("frequency must be daily or weekly")
        if not 0 <= self.weekday <= 6:
            raise InvalidSubscription("weekday must be 0 (Monday) to 6 (Sunday)")
        if not MIN_SIZE <= self.size <= MAX_SIZE:
            raise InvalidSubscription(f"a digest holds {MIN_SIZE} to {MAX_SIZE} papers")
        if self.content not in CONTENTS:
            raise InvalidSubscription("content must be trending, topics or for-you")
        if self.content == "topics" and not self.topics:
            raise InvalidSubscription("choose at least one topic, or the trending digest")
        if len(self.topics) > MAX_TOPICS:
            raise InvalidSubscription(f"at most {MAX_TOPICS} topics")
        for topic in self.topics:
            topic.check()
        return self

    def as_json(self) -> dict[str, Any]:
        return {
            "frequency": self.frequency,
            "weekday": self.weekday,
            "size": self.size,
            "content": self.content,
            "topics": [topic.as_json() for topic in self.topics],
        }

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Preferences:
        return cls(
            frequency=values.get("frequency", "daily"),
            weekday=int(values.get("weekday", 0)),
            size=int(values.get("size", DEFAULT_SIZE)),
            content=values.get("content", "trending"),
            topics=tuple(Topic.from_json(t) for t in values.get("topics", ())),
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    email: str
    status: str
    preferences: Preferences
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    user_id: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


def describe(preferences: Preferences) -> str:
    """One line for people: 'daily, top 10 trending papers'."""
    when = (
        "daily"
        if preferences.frequency == "daily"
        else f"weekly on {WEEKDAYS[preferences.weekday]}"
    )
    what = {
        "trending": "trending papers",
        "for-you": "new papers ranked for you",
    }.get(preferences.content) or _topic_names(preferences.topics)
    return f"{when}, up to {preferences.size} {what}"


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _topic_names(topics: Iterable[Topic]) -> str:
    names = [
        t.name or ", ".join((*t.include, *t.authors, *t.categories, t.query)[:3]) for t in topics
    ]
    return "papers on " + "; ".join(name for name in names if name)
