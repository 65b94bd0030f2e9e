"""Readers' edits of a paper's code and project links: checks, edits, reverts."""

from __future__ import annotations

from dataclasses import dataclass

from paperwire.code.links import CODE_HOSTS, MAX_URL_CHARS, normalise_code_url
from paperwire.code.links import normalise_project_url as _normalise_project_url
from paperwire.storage import Database
from paperwire.storage import code_links as link_store
from paperwire.storage.code_links import Field, LinkEdit
from paperwire.storage.users import User
from paperwire.text import without_unsafe_controls

_SCHEMES = ("http://", "https://")


class LinkError(ValueError):
    """A link a reader typed that cannot be stored; the message says why."""


class NotAllowed(PermissionError):
    """The user may not do this (only moderators revert edits)."""


@dataclass(frozen=True, slots=True)
class LinkChanges:
    """What a reader's form changed: the edits made (none when both links were as given)."""

    edits: tuple[LinkEdit, ...]


def checked_code_url(text: str) -> str | None:
    """The normal URL of the repository a reader typed; None for an empty field (which
    clears the link); LinkError for anything else that is not a supported repository."""
    typed = _typed(text)
    if typed is None:
        return None
    found = normalise_code_url(typed)
    if found is None:
        hosts = ", ".join(CODE_HOSTS)
        raise LinkError(
            f"The code link must be a repository on {hosts}, such as https://github.com/owner/name."
        )
    return found.url


def checked_project_url(text: str) -> str | None:
    """The project page a reader typed, as stored; None for an empty field; LinkError for
    anything but an http(s) URL of at most MAX_URL_CHARS characters."""
    typed = _typed(text)
    if typed is None:
        return None
    found = _normalise_project_url(typed)
    if found is None:
        raise LinkError("The project page must be a web address (http:// or https://).")
    return found


def _typed(text: str) -> str | None:
    typed = without_unsafe_controls(text).strip()
    if not typed:
        return None
    if len(typed) > MAX_URL_CHARS:
        raise LinkError(f"A link has at most {MAX_URL_CHARS} characters.")
    if not typed.lower().startswith(_SCHEMES):
        raise LinkError("A link must begin with https:// (or http://).")
    return typed


def edit_links(
    db: Database, user: User, arxiv_id: str, code: str | None, project: str | None
) -> LinkChanges:
    """Set the links a reader's form gives (a field left out, None, is not changed; an
    empty one clears the link). Both are checked before either is stored. UnknownPaper
    when no listed paper has the id."""
    wanted: list[tuple[Field, str | None]] = []
    if code is not None:
        wanted.append(("code", checked_code_url(code)))
    if project is not None:
        wanted.append(("project", checked_project_url(project)))
    edits = [
        edit
        for field, url in wanted
        if (edit := link_store.edit_link(db, arxiv_id, field, url, user.id)) is not None
    ]
    return LinkChanges(tuple(edits))


def revert_edit(db: Database, user: User, edit_id: int) -> LinkEdit:
    """Put back what an edit replaced; moderators (administrators) only. LookupError when
    there is no such edit, storage's EditConflict when it cannot be reverted."""
    if not user.is_admin:
        raise NotAllowed("Only moderators can revert link edits.")
    return link_store.revert_edit(db, edit_id, user.id)
