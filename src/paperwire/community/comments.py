"""Comments: a safe Markdown subset, edit and delete your own, moderators hide any."""

from __future__ import annotations

from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

from paperwire.storage import Database
from paperwire.storage import comments as comment_store
from paperwire.storage.comments import Comment
from paperwire.storage.users import User
from paperwire.text import without_unsafe_controls

MAX_COMMENT_CHARS = 5_000
ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a", "hr"}
# Raw HTML is not Markdown here; images and headings would let one comment dominate a page.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).disable(["image", "heading", "lheading"])


class CommentError(ValueError):
    """A comment that cannot be stored as given; the message says why."""


class NotAllowed(PermissionError):
    """The user may not change this comment."""


@dataclass(frozen=True, slots=True)
class ShownComment:
    comment: Comment
    html: str  # sanitised
    mine: bool


def render_markdown(body: str) -> str:
    """HTML for a comment: Markdown rendered, then sanitised to a small set of tags.

    nh3 (ammonia) removes anything outside the list, keeps only http(s) and mailto links,
    and marks links rel="nofollow ugc noopener noreferrer". Control and bidi-override
    characters are removed last: Markdown turns a reference such as &#x202e; into one.
    """
    html = nh3.clean(
        _MARKDOWN.render(body),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener noreferrer",
    )
    return without_unsafe_controls(html)


def clean_body(body: str) -> str:
    """The body as stored: without control or bidi-override characters, trimmed, bounded."""
    text = without_unsafe_controls(body).strip()
    if not text:
        raise CommentError("A comment needs some text.")
    if len(text) > MAX_COMMENT_CHARS:
        raise CommentError(f"A comment has at most {MAX_COMMENT_CHARS:,} characters.")
    return text


def post_comment(db: Database, user: User, arxiv_id: str, body: str) -> int:
    """Store a comment by user; its id."""
    return comment_store.add_comment(db, user.id, arxiv_id, clean_body(body))


def edit_comment(db: Database, user: User, comment_id: int, body: str) -> str:
    """Replace the text of the user's own comment; the paper's id."""
    text = clean_body(body)
    found = _own(db, user, comment_id)
    if not comment_store.edit_comment(db, comment_id, user.id, text):
        raise NotAllowed("Only its author can edit a comment.")
    return found.arxiv_id


def delete_comment(db: Database, user: User, comment_id: int) -> str:
    """Delete the user's own comment; the paper's id."""
    found = _own(db, user, comment_id)
    if not comment_store.delete_comment(db, comment_id, user.id):
        raise NotAllowed("Only its author can delete a comment.")
    return found.arxiv_id


def hide_comment(db: Database, user: User, comment_id: int, hidden: bool) -> str:
    """Hide or show any comment; administrators only. The paper's id."""
    found = comment_store.comment_by_id(db, comment_id)
    if not user.is_admin or found is None:
        raise NotAllowed("Only administrators can hide comments.")
    comment_store.set_hidden(db, comment_id, hidden)
    return found.arxiv_id


def comments_for(db: Database, arxiv_id: str, viewer: User | None) -> list[ShownComment]:
    """The comments a viewer sees: all but hidden ones; administrators see those too."""
    admin = viewer is not None and viewer.is_admin
    return [
        ShownComment(c, render_markdown(c.body), viewer is not None and c.user_id == viewer.id)
        for c in comment_store.comments_on(db, arxiv_id)
        if admin or not c.hidden
    ]


def _own(db: Database, user: User, comment_id: int) -> Comment:
    found = comment_store.comment_by_id(db, comment_id)
    if found is None or found.user_id != user.id:
        raise NotAllowed("Only its author can change a comment.")
    return found
