"""Readers edit a paper's code and project links; moderators see the history and revert."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community import code_links as link_service
from paperwire.community.code_links import LinkError, NotAllowed
from paperwire.papers import Paper
from paperwire.storage import code_links as link_store
from paperwire.storage.code import NO_CODE, code_for
from paperwire.storage.code_links import EditConflict
from paperwire.storage.votes import UnknownPaper
from paperwire.web import auth, views
from paperwire.web.auth import PostedForm
from paperwire.web.rendering import Renderer

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]
PaperId = Annotated[str, Path(max_length=64)]
EditId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/papers/{arxiv_id:path}/links")
def edit_links(request: Request, arxiv_id: PaperId, form: Form) -> Response:
    """Set the code link and project page from the paper page's form; an empty field
    clears its link, a field left out of the form is not changed."""
    user = auth.require_user(request)
    paper = views.paper_or_404(request, arxiv_id)
    auth.check_limit(request, "link-edit", f"user:{user.id}")
    code, project = _field(form, "code"), _field(form, "project")
    try:
        changes = link_service.edit_links(
            views.database(request), user, paper.arxiv_id, code, project
        )
    except LinkError as error:
        typed = {"code": code or "", "project": project or ""}
        return _history_page(request, paper, error=str(error), typed=typed, status=400)
    except UnknownPaper:
        raise views.no_such_paper(arxiv_id) from None
    saved = "saved" if changes.edits else "unchanged"
    return RedirectResponse(f"/papers/{paper.arxiv_id}?links={saved}#links", 303)


@router.get("/papers/{arxiv_id:path}/links/history", response_class=HTMLResponse)
def links_history(request: Request, arxiv_id: PaperId) -> Response:
    """Who changed the paper's links, when, from what to what; moderators revert here."""
    redirect = views.redirect_to_canonical(arxiv_id, "/links/history")
    if redirect is not None:
        return redirect
    return _history_page(request, views.paper_or_404(request, arxiv_id))


@router.post("/papers/{arxiv_id:path}/links/edits/{edit_id}/revert")
def revert_edit(request: Request, arxiv_id: PaperId, edit_id: EditId, _form: Form) -> Response:
    """Put back the link an edit replaced (moderators only)."""
    user = auth.require_user(request)
    found = link_store.link_edit(views.database(request), edit_id)
    if found is None or found.arxiv_id != arxiv_id:
        raise HTTPException(404, "There is no such link edit of this paper.")
    try:
        link_service.revert_edit(views.database(request), user, edit_id)
    except NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    except EditConflict as error:
        raise HTTPException(409, str(error)) from None
    return RedirectResponse(f"/papers/{arxiv_id}/links/history?reverted={edit_id}", 303)


def _field(form: PostedForm, name: str) -> str | None:
    """A posted field, or None when the form did not include it."""
    return form.fields.get(name)


def _history_page(
    request: Request,
    paper: Paper,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    db = views.database(request)
    context: dict[str, Any] = {
        "tab": None,
        "around": None,
        "paper": paper,
        "code": code_for(db, [paper.arxiv_id]).get(paper.arxiv_id, NO_CODE),
        "edits": link_store.link_edits(db, paper.arxiv_id),
        "error": error,
        "typed": typed,
        "reverted": request.query_params.get("reverted"),
    }
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, "paper_links_history.html", context, status_code=status)
