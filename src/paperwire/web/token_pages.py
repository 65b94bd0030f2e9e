"""Personal access tokens on the account page: make one (shown once), revoke one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community import tokens as token_service
from paperwire.community.tokens import TokenError
from paperwire.storage import tokens as token_store
from paperwire.web import auth, views
from paperwire.web.auth import PostedForm
from paperwire.web.digest_settings import account_page

router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]


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
        return account_page(request, user, 400, token_error=str(error))
    response = account_page(request, user, new_token=made.token)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    request: Request, token_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _form: Form
) -> Response:
    user = auth.require_user(request)
    if not token_store.revoke_token(views.database(request), user.id, token_id, datetime.now(UTC)):
        raise HTTPException(404, "You have no such token.")
    return RedirectResponse("/account?token=revoked#tokens", 303)
