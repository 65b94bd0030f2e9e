"""Personal access tokens on the account page: make one (shown once), revoke one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community import tokens as token_service
from paperwire.community.tokens import TokenError
from paperwire.storage import tokens as token_store
from paperwire.storage.users import User
from paperwire.web import auth, views
from paperwire.web.auth import PostedForm
from paperwire.web.digest_settings import account_digest
from paperwire.web.rendering import Renderer

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]


def token_context(request: Request, user: User) -> dict[str, Any]:
    """What the account page shows of the user's tokens."""
    return {"tokens": token_store.active_tokens(views.database(request), user.id)}


@router.post("/account/tokens", response_class=HTMLResponse)
def create(request: Request, form: Form) -> Response:
    """Make a token and show it once, on the account page (never in a URL)."""
    user = auth.require_user(request)
    auth.check_limit(request, "library", f"user:{user.id}")
    try:
        made = token_service.create_token(
            views.database(request), user, form.get("name"), form.get("scope"),
            now=datetime.now(UTC),
        )  # fmt: skip
    except TokenError as error:
        return _account(request, user, 400, token_error=str(error))
    response = _account(request, user, new_token=made.token)
    response.headers["Cache-Control"] = "no-store"
    return response


def _account(request: Request, user: User, status: int = 200, **extra: Any) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    context = {"tab": None, "around": None, "next": ""} | account_digest(request, user)
    context |= token_context(request, user) | extra
    return renderer.page(request, "account.html", context, status_code=status)


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _form: Form
) -> Response:
    user = auth.require_user(request)
    if not token_store.revoke_token(views.database(request), user.id, token_id, datetime.now(UTC)):
        raise HTTPException(404, "You have no such token.")
    return RedirectResponse("/account?token=revoked#tokens", 303)
