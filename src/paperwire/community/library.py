"""A reader's library: save and remove papers, tag them, import a reference manager's export."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from paperwire.recommend.imports import ParsedLibrary, Reference
from paperwire.storage import Database
from paperwire.storage import library as library_store
from paperwire.storage.library import IMPORTED, SAVED
from paperwire.storage.users import User
from paperwire.storage.votes import paper_key
from paperwire.text import without_unsafe_controls

MAX_LIBRARY_PAPERS = 10_000
MAX_TAGS_PER_PAPER = 20
MAX_TAG_CHARS = 40
_SPACES_RE = re.compile(r"\s+")
_NOT_WORD_RE = re.compile(r"[\W_]+")


class LibraryError(ValueError):
    """What a reader asked cannot be done; the message says why and what to do."""


def clean_tags(values: Iterable[str]) -> tuple[str, ...]:
    """Tags as stored: comma-separated values split, spaces collapsed, lower case (so that
    "RL" and "rl" are one tag), each once; LibraryError for a tag that is too long or for
    too many tags."""
    tags: dict[str, None] = {}
    for value in values:
        for part in without_unsafe_controls(value).split(","):
            tag = _SPACES_RE.sub(" ", part).strip().lower()
            if len(tag) > MAX_TAG_CHARS:
                raise LibraryError(f"A tag has at most {MAX_TAG_CHARS} characters: {tag[:60]}…")
            if tag:
                tags[tag] = None
    if len(tags) > MAX_TAGS_PER_PAPER:
        raise LibraryError(f"A paper has at most {MAX_TAGS_PER_PAPER} tags.")
    return tuple(tags)


def save(db: Database, user: User, arxiv_id: str, tags: Iterable[str], *, now: datetime) -> bool:
    """Save a listed paper (with tags added to those it has); False when it was already
    saved. UnknownPaper when it is not listed; LibraryError when the library is full."""
    cleaned = clean_tags(tags)
    full = library_store.count_library(db, user.id) >= MAX_LIBRARY_PAPERS
    if full and not library_store.saved_among(db, user.id, [arxiv_id]):
        raise LibraryError(
            f"A library holds at most {MAX_LIBRARY_PAPERS:,} papers: remove some first."
        )
    with db.write() as connection:
        paper_id = paper_key(connection, arxiv_id)
        added = library_store.save_paper(connection, user.id, paper_id, source=SAVED, now=now)
        library_store.add_tags(connection, user.id, paper_id, cleaned)
    return added


def retag(db: Database, user: User, arxiv_id: str, tags: Iterable[str]) -> None:
    """Replace the tags of a saved paper (UnknownPaper when it is not saved)."""
    library_store.set_tags(db, user.id, arxiv_id, clean_tags(tags))


@dataclass
class ImportReport:
    """What an import did, entry by entry: nothing read is dropped without a word."""

    format: str
    added: int = 0
    already: int = 0
    unknown: list[str] = field(default_factory=list)  # entries no stored paper matched
    problems: list[str] = field(default_factory=list)  # entries that could not be read
    over_limit: int = 0  # matched, but the library was full


def import_library(
    db: Database, user: User, parsed: ParsedLibrary, tags: Iterable[str], *, now: datetime
) -> ImportReport:
    """Save every paper the parsed export names, matched by arXiv id, then DOI, then exact
    title; each gets its entry's tags and the tags given for the whole import."""
    extra = clean_tags(tags)
    report = ImportReport(parsed.format, problems=list(parsed.problems))
    matched = match_references(db, parsed.references)
    room = MAX_LIBRARY_PAPERS - library_store.count_library(db, user.id)
    with db.write() as connection:
        for reference, paper_id in zip(parsed.references, matched, strict=True):
            if paper_id is None:
                report.unknown.append(reference.label)
                continue
            if room <= 0:
                report.over_limit += 1
                continue
            if library_store.save_paper(connection, user.id, paper_id, source=IMPORTED, now=now):
                report.added += 1
                room -= 1
            else:
                report.already += 1
            library_store.add_tags(connection, user.id, paper_id, _entry_tags(reference, extra))
    return report


def _entry_tags(reference: Reference, extra: tuple[str, ...]) -> tuple[str, ...]:
    """The entry's own tags (cut to what a tag may be) and the import's tags."""
    own = [tag[:MAX_TAG_CHARS] for tag in reference.tags]
    return clean_tags([*extra, *own])[:MAX_TAGS_PER_PAPER] if own or extra else ()


def match_references(db: Database, references: list[Reference]) -> list[int | None]:
    """The stored listed paper each reference names, or None: by arXiv id, else DOI, else
    exact title (letters and digits compared, case and punctuation ignored)."""
    by_id = library_store.keys_by_arxiv_id(db, [r.arxiv_id for r in references if r.arxiv_id])
    by_doi = library_store.keys_by_doi(db, [r.doi for r in references if r.doi])
    matched = [_by_id_or_doi(r, by_id, by_doi) for r in references]
    pairs = list(zip(references, matched, strict=True))
    wanted = {title_key(r.title) for r, m in pairs if m is None and r.title}
    wanted.discard("")
    if not wanted:
        return matched
    by_title = {
        key: paper_id
        for paper_id, title in library_store.listed_titles(db)
        if (key := title_key(title)) in wanted
    }
    return [
        m if m is not None or not r.title else by_title.get(title_key(r.title)) for r, m in pairs
    ]


def _by_id_or_doi(
    reference: Reference, by_id: dict[str, int], by_doi: dict[str, int]
) -> int | None:
    if reference.arxiv_id and reference.arxiv_id in by_id:
        return by_id[reference.arxiv_id]
    if reference.doi:
        return by_doi.get(reference.doi.lower())
    return None


def title_key(title: str) -> str:
    """A title reduced to its words, so that "Attention Is All You Need." matches
    "attention is all you need" but not another title."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return _SPACES_RE.sub(" ", _NOT_WORD_RE.sub(" ", folded)).strip()
