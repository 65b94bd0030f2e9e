"""A reader's library, "not interested" and follows: the pages and the forms that change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from paperwire.citations import bibtex_list
from paperwire.community import library as library_service
from paperwire.community.library import LibraryError
from paperwire.community.ratelimits import Action
from paperwire.ranking.listings import PageOf
from paperwire.recommend.feed import COLD_START_CATEGORIES, Feed, personal_feed
from paperwire.recommend.imports import UnreadableLibrary, parse_library
from paperwire.storage import follows as follow_store
from paperwire.storage import library as library_store
from paperwire.storage.users import User
from paperwire.storage.votes import UnknownPaper
from paperwire.web import auth, views
from paperwire.web.account_pages import form_page
from paperwire.web.auth import PostedForm
from paperwire.web.community_view import community_view

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]
IMPORT_PATH = "/library/import"
LIBRARY_PAGE_SIZE = 50
MAX_PAGE = 1_000
# Fields of the import form besides the file: the CSRF token and the tags for the import.
_IMPORT_FORM_FIELDS = 4


@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    tag: Annotated[str | None, Query(max_length=library_service.MAX_TAG_CHARS)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """The viewer's saved papers, last added first, optionally those with one tag."""
    user = auth.require_user(request)
    db = views.database(request)
    offset = (page - 1) * LIBRARY_PAGE_SIZE
    entries, total = library_store.library_page(
        db, user.id, tag=tag or None, limit=LIBRARY_PAGE_SIZE, offset=offset
    )
    context: dict[str, Any] = {
        "entries": entries,
        "tag": tag or None,
        "tags": library_store.tag_counts(db, user.id),
        "page": PageOf(page, LIBRARY_PAGE_SIZE, total),
        "community": community_view(request, [entry.paper for entry in entries]),
        "follows": follow_store.follows_of(db, user.id),
        "notice": request.query_params.get("notice"),
    }
    return form_page(request, "library.html", context)


@router.post("/library/save")
def save(request: Request, form: Form) -> Response:
    """Save a paper to the viewer's library, with any tags typed (comma-separated)."""
    user = _library_user(request)
    arxiv_id = form.get("paper")
    try:
        library_service.save(
            views.database(request), user, arxiv_id, [form.get("tags")], now=_now()
        )
    except UnknownPaper:
        raise views.no_such_paper(arxiv_id) from None
    except LibraryError as error:
        raise HTTPException(400, str(error)) from None
    return _back(form, f"/papers/{arxiv_id}")


@router.post("/library/remove")
def remove(request: Request, form: Form) -> Response:
    user = _library_user(request)
    library_store.remove_paper(views.database(request), user.id, form.get("paper"))
    return _back(form, "/library")


@router.post("/library/tags")
def retag(request: Request, form: Form) -> Response:
    """Replace the tags of a saved paper."""
    user = _library_user(request)
    arxiv_id = form.get("paper")
    try:
        library_service.retag(views.database(request), user, arxiv_id, [form.get("tags")])
    except UnknownPaper:
        raise HTTPException(404, "That paper is not in your library.") from None
    except LibraryError as error:
        raise HTTPException(400, str(error)) from None
    return _back(form, "/library")


@router.post("/not-interested")
def not_interested(request: Request, form: Form) -> Response:
    """Mark a paper "not interested" (undo=1 takes the mark back)."""
    user = _library_user(request)
    arxiv_id = form.get("paper")
    try:
        library_store.set_not_interested(
            views.database(request), user.id, arxiv_id, form.get("undo") != "1", now=_now()
        )
    except UnknownPaper:
        raise views.no_such_paper(arxiv_id) from None
    return _back(form, "/for-you")


@router.post("/follow")
def follow(request: Request, form: Form) -> Response:
    """Follow an author or an arXiv category (undo=1 unfollows)."""
    user = _library_user(request)
    kind = follow_store.kind_named(form.get("kind"))
    value = " ".join(form.get("value").split())
    if kind is None or not value or len(value) > follow_store.MAX_VALUE_CHARS:
        raise HTTPException(400, "Follow an author or a category by its name.")
    db = views.database(request)
    if form.get("undo") == "1":
        follow_store.unfollow(db, user.id, kind, value)
    else:
        follow_store.follow(db, user.id, kind, value, now=_now())
    return _back(form, "/for-you")


@router.get("/library.bib")
def export_bibtex(request: Request) -> Response:
    """The whole library as BibTeX, last added first, for a reference manager."""
    user = auth.require_user(request)
    entries, _ = library_store.library_page(
        views.database(request),
        user.id,
        tag=None,
        limit=library_service.MAX_LIBRARY_PAPERS,
        offset=0,
    )
    return Response(
        bibtex_list([entry.paper for entry in entries]),
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="paperwire-library.bib"'},
    )


@router.get(IMPORT_PATH, response_class=HTMLResponse)
def import_page(request: Request) -> HTMLResponse:
    auth.require_user(request)
    return form_page(request, "library_import.html", {"report": None})


@router.post(IMPORT_PATH, response_class=HTMLResponse)
async def import_file(request: Request) -> HTMLResponse:
    """Save the papers a BibTeX, RIS, CSL-JSON or arXiv id list file names, and say which
    entries matched nothing here."""
    user = _library_user(request, "library-import")
    data, filename, tags = await _import_form(request)
    try:
        parsed = parse_library(data, filename)
        report = library_service.import_library(
            views.database(request), user, parsed, [tags], now=_now()
        )
    except (UnreadableLibrary, LibraryError) as error:
        context = {"report": None, "error": str(error), "tags": tags}
        return form_page(request, "library_import.html", context, 400)
    return form_page(request, "library_import.html", {"report": report})


async def _import_form(request: Request) -> tuple[bytes, str, str]:
    """The uploaded file's bytes and name, and the tags field, after the CSRF check."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "Send the file with the import form (multipart/form-data).")
    async with request.form(max_files=1, max_fields=_IMPORT_FORM_FIELDS) as form:
        token = form.get(auth.CSRF_FIELD)
        if not isinstance(token, str) or not auth.csrf_matches(request, token):
            raise HTTPException(
                403,
                "This form has expired or did not come from this site; "
                "reload the page and try again.",
            )
        upload, tags = form.get("file"), form.get("tags", "")
        if not isinstance(upload, UploadFile) or not isinstance(tags, str):
            raise HTTPException(400, "Choose a file to import.")
        return await upload.read(), upload.filename or "", tags


def _library_user(request: Request, action: Action = "library") -> User:
    user = auth.require_user(request)
    auth.check_limit(request, action, f"user:{user.id}")
    return user


def _back(form: PostedForm, default: str) -> RedirectResponse:
    return RedirectResponse(auth.local_path(form.get("next"), default), 303)


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/for-you", response_class=HTMLResponse)
def for_you(request: Request, page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    """The viewer's recent papers ranked for them, each with why."""
    user = auth.require_user(request)
    db = views.database(request)
    size = views.settings(request).page_size
    pools = request.app.state.feed_pools
    offset = (page - 1) * size
    feed = personal_feed(db, views.searcher(request), pools, user.id, limit=size, offset=offset)
    context: dict[str, Any] = {
        "tab": "for-you",
        "feed": feed,
        "page": PageOf(page, size, feed.total),
        "community": community_view(request, [entry.paper for entry in feed.entries]),
        "categories": _popular_categories(feed),
    }
    return form_page(request, "for_you.html", context)


def _popular_categories(feed: Feed) -> list[str]:
    """Categories offered to a reader starting from nothing (those not followed yet)."""
    followed = {f.value for f in feed.follows if f.kind == "category"}
    return [c for c in COLD_START_CATEGORIES if c not in followed]
