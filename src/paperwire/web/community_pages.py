"""Community actions: upvote, comment (post, edit, delete, hide), submit a paper."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperwire.community import comments as comment_service
from paperwire.community.comments import CommentError, NotAllowed
from paperwire.community.submissions import Fetch, SubmissionError, submit_paper
from paperwire.storage import comments as comment_store
from paperwire.storage import papers as paper_store
from paperwire.storage import votes as vote_store
from paperwire.storage.votes import UnknownPaper
from paperwire.web import auth
from paperwire.web.account_pages import form_page
from paperwire.web.auth import PostedForm
from paperwire.web.views import database, no_such_paper, settings

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]
CommentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def wants_json(request: Request) -> bool:
    """Requests from votes.js ask for JSON; plain forms get a redirect."""
    return "application/json" in request.headers.get("accept", "")


@router.post("/vote")
def vote(request: Request, form: Form) -> Response:
    """Upvote (up=1), withdraw (up=0) or toggle (no up) the viewer's vote on a paper."""
    user = auth.require_user(request)
    auth.check_limit(request, "vote", f"user:{user.id}")
    arxiv_id = form.get("paper")
    up = {"1": True, "0": False}.get(form.get("up"))
    try:
        result = vote_store.cast_vote(
            database(request),
            user.id,
            arxiv_id,
            up=up,
            half_life_hours=settings(request).trending_half_life_hours,
        )
    except UnknownPaper:
        raise no_such_paper(arxiv_id) from None
    if wants_json(request):
        paper = paper_store.get_paper(database(request), arxiv_id)
        imported = (paper.imported_upvotes or 0) if paper else 0
        return JSONResponse(
            {"paper": arxiv_id, "voted": result.voted, "upvotes": imported + result.votes}
        )
    return RedirectResponse(auth.local_path(form.get("next"), f"/papers/{arxiv_id}"), 303)


@router.post("/comments")
def post_comment(request: Request, form: Form) -> Response:
    user = auth.require_user(request)
    auth.check_limit(request, "comment", f"user:{user.id}")
    arxiv_id = form.get("paper")
    try:
        comment_id = comment_service.post_comment(
            database(request), user, arxiv_id, form.get("body")
        )
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    except UnknownPaper:
        raise no_such_paper(arxiv_id) from None
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{comment_id}", 303)


@router.get("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_comment_page(request: Request, comment_id: CommentId) -> HTMLResponse:
    user = auth.require_user(request)
    found = comment_store.comment_by_id(database(request), comment_id)
    if found is None or found.user_id != user.id:
        raise HTTPException(403, "Only its author can edit a comment.")
    return form_page(request, "comment_edit.html", {"comment": found})


@router.post("/comments/{comment_id}/edit")
def edit_comment(request: Request, comment_id: CommentId, form: Form) -> Response:
    user = auth.require_user(request)
    auth.check_limit(request, "comment", f"user:{user.id}")
    try:
        arxiv_id = comment_service.edit_comment(
            database(request), user, comment_id, form.get("body")
        )
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    except NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{comment_id}", 303)


@router.post("/comments/{comment_id}/delete")
def delete_comment(request: Request, comment_id: CommentId, _form: Form) -> Response:
    user = auth.require_user(request)
    try:
        arxiv_id = comment_service.delete_comment(database(request), user, comment_id)
    except NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    return RedirectResponse(f"/papers/{arxiv_id}#comments", 303)


@router.post("/comments/{comment_id}/hide")
def hide_comment(request: Request, comment_id: CommentId, form: Form) -> Response:
    user = auth.require_user(request)
    hidden = form.get("hidden", "1") != "0"
    try:
        arxiv_id = comment_service.hide_comment(database(request), user, comment_id, hidden)
    except NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    return RedirectResponse(f"/papers/{arxiv_id}#comment-{comment_id}", 303)


@router.get("/submit", response_class=HTMLResponse)
def submit_page(request: Request) -> HTMLResponse:
    auth.require_user(request)
    return form_page(
        request, "submit.html", {"max_age_days": settings(request).submission_max_age_days}
    )


@router.post("/submit")
def submit(request: Request, form: Form) -> Response:
    user = auth.require_user(request)
    auth.check_limit(request, "submission", f"user:{user.id}")
    fetch: Fetch = request.app.state.fetch_paper
    try:
        paper = submit_paper(database(request), settings(request), user, form.get("paper"), fetch)
    except SubmissionError as error:
        context = {
            "error": str(error),
            "paper": form.get("paper"),
            "max_age_days": settings(request).submission_max_age_days,
        }
        return form_page(request, "submit.html", context, 400)
    return RedirectResponse(f"/papers/{paper.arxiv_id}", 303)
