"""Account pages: sign up, log in and out (here or everywhere), change or reset a password,
a user's page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community import accounts, sessions, signups
from paperwire.community.accounts import AccountError, NewAccount, TryLater
from paperwire.community.ratelimits import ActionLimits
from paperwire.mail import Mailer, MailError
from paperwire.storage import papers as paper_store
from paperwire.storage import submissions as submission_store
from paperwire.storage import users as user_store
from paperwire.storage import votes as vote_store
from paperwire.storage.users import User
from paperwire.web import auth
from paperwire.web.auth import PostedForm
from paperwire.web.community_view import community_view
from paperwire.web.digest_settings import account_context
from paperwire.web.rendering import Renderer
from paperwire.web.views import database, email_link_base, settings

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
Form = Annotated[PostedForm, Depends(auth.posted_form)]
USER_PAGE_PAPERS = 100
RESET_SENT = (
    "If an account uses that address, a link to choose a new password is on its way. "
    "It works for {minutes} minutes."
)


def form_page(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page with a form: begins an anonymous session so the form has a CSRF token."""
    auth.csrf_token(request, create=True)
    renderer: Renderer = request.app.state.renderer
    full = {"tab": None, "around": None, "next": request.query_params.get("next", "")}
    return renderer.page(request, name, full | (context or {}), status_code=status)


def logged_in(request: Request, user: User | None, target: str) -> RedirectResponse:
    response = RedirectResponse(auth.local_path(target), status_code=303)
    auth.start_session(request, user)
    auth.save_new_session(request, response)
    return response


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> HTMLResponse:
    return form_page(request, "signup.html")


@router.post("/signup")
def signup(request: Request, form: Form, background: BackgroundTasks) -> Response:
    """The same page, as fast, whether or not an account uses the address: the lookup, the
    hashing and the e-mail (a link to confirm, or a notice to the owner) come after it."""
    auth.check_limit(request, "signup")
    account = accounts.new_account(form.get("username"), form.get("email"), form.get("password"))
    try:
        signups.check_sign_up(database(request), account)
    except AccountError as error:
        context = {"error": str(error), "username": account.username, "email": account.email}
        return form_page(request, "signup.html", context | {"next": form.get("next")}, 400)
    site = email_link_base(request)
    if site is None:
        log.error("sign-up e-mail not sent: set PAPERWIRE_BASE_URL for links in e-mails")
    else:
        links = (site, auth.local_path(form.get("next")))
        background.add_task(_send_sign_up_mail, request, account, links)
    hours = settings(request).signup_confirm_hours
    # Nothing from the form in the page: it is the same whether or not the address is used.
    return form_page(request, "signup_sent.html", {"hours": hours})


def _send_sign_up_mail(request: Request, account: NewAccount, links: tuple[str, str]) -> None:
    db, configured = database(request), settings(request)
    _mail(
        request,
        "sign-up",
        lambda mailer: signups.send_sign_up_mail(db, configured, mailer, account, links),
    )


def _mail(request: Request, what: str, send: Callable[[Mailer], None]) -> None:
    """Send through a new mailer, after the answer: a failure can only be logged."""
    mailer: Mailer = request.app.state.new_mailer()
    try:
        send(mailer)
    except (MailError, TryLater) as error:
        log.error("%s e-mail not sent: %s", what, error)
    finally:
        mailer.close()


@router.get("/signup/confirm", response_class=HTMLResponse)
def signup_confirm_page(
    request: Request, token: Annotated[str, Query(max_length=2048)] = ""
) -> HTMLResponse:
    """A button, not the account: mail scanners open links, only people press buttons."""
    pending = signups.pending_account(settings(request), token)
    if pending is None:
        return form_page(request, "signup_confirm.html", {"error": signups.EXPIRED}, 400)
    context = {"token": token, "username": pending.username}
    return form_page(request, "signup_confirm.html", context)


@router.post("/signup/confirm")
def signup_confirm(request: Request, form: Form) -> Response:
    auth.check_limit(request, "login")
    try:
        user, next_page = signups.confirm_sign_up(
            database(request), settings(request), form.get("token")
        )
    except AccountError as error:
        return form_page(request, "signup_confirm.html", {"error": str(error)}, 400)
    return logged_in(request, user, next_page)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return form_page(request, "login.html")


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    auth.check_limit(request, "login")
    with _answered_later():
        user = accounts.log_in(
            database(request), form.get("login"), form.get("password"), _limits(request)
        )
    if user is None:
        context = {
            "error": "That name or e-mail address and password do not match an account.",
            "login": form.get("login"),
            "next": form.get("next"),
        }
        return form_page(request, "login.html", context, 400)
    return logged_in(request, user, form.get("next"))


@router.post("/logout")
def logout(request: Request, _form: Form) -> Response:
    return logged_in(request, None, "/")


@router.post("/account/logout-everywhere")
def logout_everywhere(request: Request, _form: Form) -> Response:
    """End every session of the account, this one and any copied cookie included."""
    user = auth.require_user(request)
    sessions.end_all_sessions(database(request), user.id)
    return logged_in(request, None, "/")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> HTMLResponse:
    user = auth.require_user(request)
    return form_page(request, "account.html", account_context(request, user))


@router.post("/account/password")
def change_password(request: Request, form: Form) -> Response:
    user = auth.require_user(request)
    auth.check_limit(request, "login")
    try:
        with _answered_later():
            changed = accounts.change_password(
                database(request), user, form.get("current"), form.get("password"), _limits(request)
            )
    except AccountError as error:
        return form_page(
            request, "account.html", account_context(request, user) | {"error": str(error)}, 400
        )
    # Every other session of the account has ended; this browser gets a fresh one.
    auth.start_session(request, changed)
    notice = {"notice": "Your password is changed."}
    return form_page(request, "account.html", account_context(request, changed) | notice)


@router.get("/reset", response_class=HTMLResponse)
def reset_request_page(request: Request) -> HTMLResponse:
    return form_page(request, "reset_request.html")


@router.post("/reset")
def reset_request(request: Request, form: Form, background: BackgroundTasks) -> Response:
    """The same answer, as fast, whether or not an account uses the address: the lookup
    and the e-mail happen after the response."""
    auth.check_limit(request, "login")
    configured = settings(request)
    site = email_link_base(request)
    if site is None:
        log.error("password reset e-mail not sent: set PAPERWIRE_BASE_URL for links in e-mails")
    else:
        background.add_task(_send_reset_link, request, form.get("email").strip(), site)
    notice = RESET_SENT.format(minutes=configured.password_reset_minutes)
    return form_page(request, "reset_request.html", {"notice": notice})


def _send_reset_link(request: Request, email: str, site: str) -> None:
    db, configured = database(request), settings(request)
    _mail(
        request,
        "password reset",
        lambda mailer: accounts.send_reset_link(db, configured, mailer, email, site),
    )


@router.get("/reset/{token}", response_class=HTMLResponse)
def reset_page(request: Request, token: Annotated[str, Path(max_length=512)]) -> HTMLResponse:
    if accounts.user_for_reset(database(request), settings(request), token) is None:
        raise HTTPException(
            400, "This reset link has expired or was already used; ask for a new one at /reset."
        )
    return form_page(request, "reset.html", {"token": token})


@router.post("/reset/{token}")
def reset(request: Request, token: Annotated[str, Path(max_length=512)], form: Form) -> Response:
    auth.check_limit(request, "login")
    try:
        with _answered_later():
            user = accounts.reset_password(
                database(request), settings(request), token, form.get("password")
            )
    except AccountError as error:
        return form_page(request, "reset.html", {"token": token, "error": str(error)}, 400)
    return logged_in(request, user, "/")


def _limits(request: Request) -> ActionLimits:
    limits: ActionLimits = request.app.state.action_limits
    return limits


@contextmanager
def _answered_later() -> Iterator[None]:
    """Turn TryLater (too many attempts, or too busy hashing) into 429 or 503 with
    Retry-After."""
    try:
        yield
    except TryLater as error:
        raise HTTPException(
            error.status, str(error), headers={"Retry-After": str(error.retry_after)}
        ) from None


@router.get("/users/{username}", response_class=HTMLResponse)
def user_page(request: Request, username: Annotated[str, Path(max_length=64)]) -> HTMLResponse:
    db = database(request)
    shown = user_store.user_by_name(db, username)
    if shown is None:
        raise HTTPException(404, f"No user is called {username[:64]!r}.")
    upvoted = paper_store.papers_by_ids(db, vote_store.upvoted_by(db, shown.id, USER_PAGE_PAPERS))
    submitted = paper_store.papers_by_ids(
        db, submission_store.submitted_by(db, shown.id, USER_PAGE_PAPERS)
    )
    context = {
        "shown": shown,
        "upvoted": upvoted,
        "submitted": submitted,
        "community": community_view(request, upvoted + submitted),
    }
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, "user.html", {"tab": None, "around": None} | context)
