"""Who is asking: the session cookie, current_user(request), CSRF checks on posted forms."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from fastapi import HTTPException, Request
from fastapi.responses import Response

from paperwire.community import sessions
from paperwire.community.ratelimits import Action, ActionLimits
from paperwire.community.sessions import Session
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.storage.users import User

SESSION_COOKIE = "paperwire_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
MAX_FORM_FIELDS = 20
# The digest settings form: frequency, size, content and ten topics of six fields each.
MAX_SETTINGS_FORM_FIELDS = 80
_FORM_TYPE = "application/x-www-form-urlencoded"
_UNSET = object()


def settings(request: Request) -> Settings:
    configured: Settings = request.app.state.settings
    return configured


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class LoginRequired(Exception):
    """The action needs a logged-in user; answered with the log-in page (or 401 for fetch)."""


@dataclass(frozen=True, slots=True)
class PostedForm:
    """The fields of a POST whose CSRF token matched the session."""

    fields: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)


def current_session(request: Request) -> Session | None:
    """The session the cookie carries (read once per request), or None."""
    found = getattr(request.state, "session", _UNSET)
    if found is _UNSET:
        token = request.cookies.get(SESSION_COOKIE)
        found = sessions.decode_session(settings(request), token) if token else None
        request.state.session = found
    return found  # type: ignore[return-value]


def current_user(request: Request) -> User | None:
    """The logged-in user of this request, or None (anonymous, logged out, expired, password
    changed): one indexed lookup for a logged-in session, none for anonymous ones."""
    found = getattr(request.state, "user", _UNSET)
    if found is _UNSET:
        session = current_session(request)
        found = sessions.session_user(database(request), session) if session else None
        request.state.user = found
    return found  # type: ignore[return-value]


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise LoginRequired
    return user


def csrf_token(request: Request, *, create: bool = False) -> str | None:
    """The CSRF token for this session's forms; with create, an anonymous session is begun
    (log-in and sign-up forms) and its cookie set on the rendered page."""
    session = current_session(request)
    if session is None and create:
        session = sessions.new_session()
        request.state.session = session
        request.state.session_to_set = session
    return sessions.csrf_token(settings(request), session) if session else None


def start_session(request: Request, user: User | None) -> None:
    """Log in (or out, with None): this browser's stored session ends and a new one, with
    a new nonce, begins, so neither a copy of the old cookie nor an old CSRF token works.
    The cookie is set by save_new_session on the response (pages do it themselves)."""
    db = database(request)
    previous = current_session(request)
    if previous is not None:
        sessions.end_session(db, previous)
    session = (
        sessions.log_in_session(db, settings(request), user) if user else sessions.new_session()
    )
    request.state.session, request.state.user = session, user
    request.state.session_to_set = session


def save_new_session(request: Request, response: Response) -> None:
    """Set the cookie of a session begun during this request (start_session, or
    csrf_token(create=True) for anonymous forms)."""
    session = getattr(request.state, "session_to_set", None)
    if session is not None:
        _set_cookie(request, response, session)


def _set_cookie(request: Request, response: Response, session: Session) -> None:
    configured = settings(request)
    response.set_cookie(
        SESSION_COOKIE,
        sessions.encode_session(configured, session),
        max_age=configured.session_days * 86_400,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )


def is_secure(request: Request) -> bool:
    """Cookies are Secure whenever the site is reached over https (by request or base URL)."""
    return request.url.scheme == "https" or settings(request).base_url.startswith("https://")


async def posted_form(request: Request) -> PostedForm:
    """A dependency: the urlencoded fields of a POST, after checking its CSRF token."""
    return await _posted_form(request, MAX_FORM_FIELDS)


async def posted_settings_form(request: Request) -> PostedForm:
    """posted_form for the digest settings form, which has more fields."""
    return await _posted_form(request, MAX_SETTINGS_FORM_FIELDS)


async def _posted_form(request: Request, max_fields: int) -> PostedForm:
    if request.headers.get("content-type", "").split(";")[0].strip() != _FORM_TYPE:
        raise HTTPException(415, f"Send the form as {_FORM_TYPE}.")
    body = (await request.body()).decode("utf-8", "replace")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:
        raise HTTPException(400, "Too many form fields.") from None
    fields = dict(pairs)
    token = fields.pop(CSRF_FIELD, None) or request.headers.get(CSRF_HEADER, "")
    if not csrf_matches(request, token):
        raise HTTPException(
            403,
            "This form has expired or did not come from this site; reload the page and try again.",
        )
    return PostedForm(fields)


def csrf_matches(request: Request, token: str) -> bool:
    """Whether token is this request's session's CSRF token (False without a session)."""
    session = current_session(request)
    return session is not None and sessions.csrf_matches(settings(request), session, token)


def check_limit(request: Request, action: Action, key: str | None = None) -> None:
    """Raise 429 with Retry-After when this client or user is over the action's rate limit."""
    limits: ActionLimits = request.app.state.action_limits
    retry_after = limits.hit(action, key or client_address(request))
    if retry_after is not None:
        raise HTTPException(
            429,
            f"Too many attempts; please wait {retry_after} seconds and try again.",
            headers={"Retry-After": str(retry_after)},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never //host or a scheme."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def login_url(request: Request) -> str:
    """The log-in page, returning afterwards to the page asked for (GET) or the page the
    form was on (POST)."""
    if request.method == "GET":
        path = request.url.path
    else:
        back = request.headers.get("referer", "")
        path = back.split(str(request.base_url).rstrip("/"), 1)[-1] if back else "/"
    return f"/login?next={quote(local_path(path), safe='/')}"
