"""What list and paper pages show of the community (counts, the viewer's votes, submitters)
and of each paper's code (links, stars)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import Request

from paperwire.papers import Paper
from paperwire.storage import library as library_store
from paperwire.storage import votes as vote_store
from paperwire.storage.code import NO_CODE, PaperCode, code_for
from paperwire.storage.users import User
from paperwire.storage.votes import PaperStats
from paperwire.web import auth
from paperwire.web.code_view import shown_code, stars_text
from paperwire.web.views import database


@dataclass(frozen=True)
class CommunityView:
    """Per-paper numbers for one page, read in a few queries for all its papers at once."""

    viewer: User | None
    csrf: str | None
    back: str  # where a vote without JavaScript returns to
    stats: dict[str, PaperStats] = field(default_factory=dict)
    voted: set[str] = field(default_factory=set)
    links: dict[str, PaperCode] = field(default_factory=dict)
    saved: set[str] = field(default_factory=set)  # in the viewer's library
    rejected: set[str] = field(default_factory=set)  # marked "not interested" by the viewer

    def upvotes(self, paper: Paper) -> int:
        """Imported upvotes plus the votes cast here."""
        return (paper.imported_upvotes or 0) + self.stats.get(paper.arxiv_id, PaperStats()).votes

    def comments(self, paper: Paper) -> int:
        return self.stats.get(paper.arxiv_id, PaperStats()).comments

    def has_voted(self, paper: Paper) -> bool:
        return paper.arxiv_id in self.voted

    def submitter(self, paper: Paper) -> str | None:
        return self.stats.get(paper.arxiv_id, PaperStats()).submitter

    def is_saved(self, paper: Paper) -> bool:
        return paper.arxiv_id in self.saved

    def is_rejected(self, paper: Paper) -> bool:
        return paper.arxiv_id in self.rejected

    def code(self, paper: Paper) -> PaperCode:
        """The paper's code and project links (web links only) and its repository's stars."""
        return shown_code(self.links.get(paper.arxiv_id, NO_CODE))

    def stars(self, paper: Paper) -> str | None:
        """e.g. "★ 1,234 · +56 this week"; None when its stars are not counted."""
        return stars_text(self.links.get(paper.arxiv_id, NO_CODE))


def community_view(request: Request, papers: Sequence[Paper]) -> CommunityView:
    db = database(request)
    ids = [paper.arxiv_id for paper in papers]
    viewer = auth.current_user(request)
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return CommunityView(
        viewer=viewer,
        csrf=auth.csrf_token(request) if viewer else None,
        back=back,
        stats=vote_store.stats_for(db, ids),
        voted=vote_store.voted_among(db, viewer.id, ids) if viewer else set(),
        links=code_for(db, ids),
        saved=library_store.saved_among(db, viewer.id, ids) if viewer else set(),
        rejected=library_store.not_interested_among(db, viewer.id, ids) if viewer else set(),
    )
