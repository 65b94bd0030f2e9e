"""/api/me/…: a reader's feed and library for scripts, with a personal access token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from paperwire.api.http import RateLimit, error_responses
from paperwire.api.shapes import NO_STATS, daily_item, iso, paper_object
from paperwire.community import library as library_service
from paperwire.community.library import LibraryError
from paperwire.community.tokens import user_for_token
from paperwire.papers import Paper
from paperwire.recommend.feed import personal_feed
from paperwire.storage import library as library_store
from paperwire.storage import votes as vote_store
from paperwire.storage.code import NO_CODE, code_for
from paperwire.storage.users import User
from paperwire.storage.votes import UnknownPaper
from paperwire.web.views import database, searcher

MAX_PAGE = 1_000
_bearer = HTTPBearer(auto_error=False, description="A personal access token (account page)")


def _rate_limit(request: Request) -> None:
    limit: RateLimit = request.app.state.api_rate_limit
    limit.check(request)


router = APIRouter(
    prefix="/api/me",
    tags=["you"],
    dependencies=[Depends(_rate_limit)],
    responses=error_responses(401, 422, 429),
)
Token = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number, from 1")]
Limit = Annotated[int, Query(ge=1, le=100, description="Results per page (1-100)")]


def _owner(request: Request, credentials: HTTPAuthorizationCredentials | None) -> tuple[User, str]:
    found = None
    if credentials is not None:
        found = user_for_token(database(request), credentials.credentials, now=_now())
    if found is None:
        raise HTTPException(
            401,
            "Send a personal access token (made on your account page) as "
            "'Authorization: Bearer pw_…'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return found


def _reader(request: Request, credentials: Token) -> User:
    """The token's owner (any scope)."""
    return _owner(request, credentials)[0]


def _writer(request: Request, credentials: Token) -> User:
    """The token's owner, if the token may change the library."""
    user, scope = _owner(request, credentials)
    if scope != "write":
        raise HTTPException(403, "This token may only read: make a token with write scope.")
    return user


Reader = Annotated[User, Depends(_reader)]
Writer = Annotated[User, Depends(_writer)]


@router.get("/recommendations", summary="Your feed: recent papers ranked for you")
def recommendations(
    request: Request, user: Reader, page: Page = 1, limit: Limit = 50
) -> list[dict[str, Any]]:
    """The papers of `/for-you`, best first, as `/api/daily_papers` items with the score
    and the reasons each is recommended."""
    db = database(request)
    pools = request.app.state.feed_pools
    feed = personal_feed(
        db, searcher(request), pools, user.id, limit=limit, offset=(page - 1) * limit
    )
    papers = [entry.paper for entry in feed.entries]
    stats, code = _numbers(request, papers)
    return [
        daily_item(entry.paper, stats.get(entry.paper.arxiv_id, NO_STATS),
                   code.get(entry.paper.arxiv_id, NO_CODE))
        | {"score": round(entry.score, 4), "reasons": [reason.text for reason in entry.reasons]}
        for entry in feed.entries
    ]  # fmt: skip


@router.get("/library", summary="Your library, last added first")
def library(
    request: Request,
    user: Reader,
    page: Page = 1,
    limit: Limit = 100,
    tag: Annotated[str | None, Query(max_length=library_service.MAX_TAG_CHARS)] = None,
) -> list[dict[str, Any]]:
    entries, _ = library_store.library_page(
        database(request), user.id, tag=tag, limit=limit, offset=(page - 1) * limit
    )
    stats, code = _numbers(request, [entry.paper for entry in entries])
    return [
        {
            "paper": paper_object(
                e.paper, stats.get(e.paper.arxiv_id, NO_STATS), code.get(e.paper.arxiv_id, NO_CODE)
            ),
            "tags": list(e.tags),
            "addedAt": iso(e.added_at),
            "source": e.source,
        }
        for e in entries
    ]


class SaveRequest(BaseModel):
    """A paper to save, and tags to give it (added to those it has)."""

    paper: str = Field(min_length=1, max_length=64, description="arXiv id, e.g. 2401.00974")
    tags: list[Annotated[str, Field(max_length=library_service.MAX_TAG_CHARS)]] = Field(
        default_factory=list, max_length=library_service.MAX_TAGS_PER_PAPER
    )


@router.post(
    "/library",
    summary="Save a paper to your library",
    status_code=201,
    responses=error_responses(400, 403, 404),
)
def save(request: Request, user: Writer, body: SaveRequest) -> JSONResponse:
    """201 when the paper was added, 200 when it was already there (its tags are added)."""
    try:
        added = library_service.save(database(request), user, body.paper, body.tags, now=_now())
    except UnknownPaper:
        raise HTTPException(404, f"No paper with the id {body.paper!r} is known here.") from None
    except LibraryError as error:
        raise HTTPException(422, str(error)) from None
    return JSONResponse({"paper": body.paper, "added": added}, status_code=201 if added else 200)


@router.delete(
    "/library/{arxiv_id}",
    summary="Take a paper out of your library",
    responses=error_responses(403, 404),
)
def remove(
    request: Request, user: Writer, arxiv_id: Annotated[str, Path(max_length=64)]
) -> dict[str, Any]:
    if not library_store.remove_paper(database(request), user.id, arxiv_id):
        raise HTTPException(404, "That paper is not in your library.")
    return {"paper": arxiv_id, "removed": True}


def _numbers(request: Request, papers: list[Paper]) -> tuple[dict[str, Any], dict[str, Any]]:
    db = database(request)
    ids = [paper.arxiv_id for paper in papers]
    return vote_store.stats_for(db, ids), code_for(db, ids)


def _now() -> datetime:
    return datetime.now(UTC)
