"""Build the web application: create_app(settings, database) wires pages, static files, errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import __version__
from paperwire.api import docs as api_docs
from paperwire.api import me as api_me
from paperwire.api import routes as api_routes
from paperwire.api.http import RateLimit, error_response, is_api_request
from paperwire.community import accounts
from paperwire.community.ratelimits import ActionLimits
from paperwire.community.submissions import Fetch, arxiv_fetcher
from paperwire.config import Settings
from paperwire.mail import Mailer, mailer_from_settings
from paperwire.recommend.feed import FeedPools
from paperwire.search.engine import searcher_for
from paperwire.storage import Database
from paperwire.storage.database import UNAVAILABLE_ERRORS, DatabaseBusy
from paperwire.web import (
    account_pages,
    auth,
    code_links_pages,
    community_pages,
    digest_settings,
    digests,
    exports,
    feeds,
    library_pages,
    metrics,
    pages,
    token_pages,
)
from paperwire.web.hosts import host_check, public_origin
from paperwire.web.http_middleware import ResponseStartMiddleware
from paperwire.web.library_pages import IMPORT_PATH
from paperwire.web.metrics import RequestTimer
from paperwire.web.page_cache import PageCache
from paperwire.web.rendering import Renderer

log = logging.getLogger(__name__)
API_DESCRIPTION = (
    "Read-only JSON API of paperwire. The paths, parameters and field names of "
    "`/api/daily_papers`, `/api/papers/{id}` and `/api/papers/search` follow the Hugging "
    "Face papers API, so its clients work unchanged. Errors are "
    '`{"error": message, "status": code}`; responses carry ETag and Last-Modified.'
)
STATIC_DIR = Path(__file__).parent / "static"
DATABASE_RETRY_AFTER_SECONDS = 10  # a restart or fail-over usually takes about this long
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def create_app(
    settings: Settings,
    database: Database,
    *,
    mailer: Mailer | None = None,
    fetch_paper: Fetch | None = None,
) -> FastAPI:
    """The paperwire web application over an open, migrated database.

    mailer and fetch_paper default to the configured ones (SMTP or the console; arXiv's API).
    """
    app = FastAPI(
        title="paperwire",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # /docs is served by paperwire itself: no scripts from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.renderer = Renderer(settings)
    app.state.page_cache = PageCache(settings.page_cache_entries)
    app.state.searcher = searcher_for(database, settings)
    accounts.prepare_login_timing()
    app.state.feed_pools = FeedPools()  # the week's papers the feeds rank, per process
    app.state.api_rate_limit = RateLimit(settings.api_rate_limit_per_minute, database)
    app.state.subscribe_limits = digests.SubscribeLimits(settings)
    app.state.action_limits = ActionLimits(settings, database)
    # A mailer per message: an SMTP connection is not shared between request threads.
    app.state.new_mailer = (lambda: mailer) if mailer else (lambda: mailer_from_settings(settings))
    app.state.fetch_paper = fetch_paper or arxiv_fetcher(settings)
    app.include_router(pages.paper_first)  # the paper page, before every other route
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api_routes.router)
    app.include_router(api_me.router)
    # Routes with a suffix (/papers/ID.bib, /papers/date/DAY.rss) come before the pages'
    # catch-all /papers/{arxiv_id:path}.
    app.include_router(exports.router)
    app.include_router(feeds.router)
    app.include_router(api_docs.router)
    app.include_router(digests.router)
    app.include_router(account_pages.router)
    app.include_router(digest_settings.router)
    app.include_router(community_pages.router)
    app.include_router(code_links_pages.router)  # /papers/ID/links…, before the catch-all
    app.include_router(library_pages.router)
    app.include_router(token_pages.router)
    app.include_router(metrics.router)
    app.include_router(pages.router)
    _install_error_handlers(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestTimer)
    app.add_middleware(KnownHosts, is_known=host_check(settings), public=public_origin(settings))
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_form_bytes,
        larger={IMPORT_PATH: settings.max_import_bytes},
    )
    app.add_middleware(SecurityHeaders)
    # The read-only API may be called from any web page; nothing here uses cookies.
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"], max_age=86_400
    )
    return app


class SecurityHeaders(ResponseStartMiddleware):
    """Add the security headers to every HTTP response."""

    def on_response_start(self, scope: Scope, message: Message) -> None:
        headers = MutableHeaders(scope=message)
        for name, value in _SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        if headers.get("content-type", "").startswith("text/html"):
            _keep_pages_private(headers)


def _keep_pages_private(headers: MutableHeaders) -> None:
    """Pages may hold a reader's name, votes, CSRF or e-mail tokens: no shared cache (a
    proxy, a CDN) may keep one, and a browser asks again before reusing its own copy."""
    headers.setdefault("Cache-Control", "private, no-cache")
    headers.add_vary_header("Cookie")


class HeadAsGet:
    """Answer HEAD wherever GET is answered: the same status and headers, no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class KnownHosts:
    """Refuse (400) a request whose Host header this instance does not answer to, before
    it can shape a link; with a public origin (PAPERWIRE_BASE_URL), every request reads as
    sent to it (see web/hosts.py)."""

    def __init__(
        self, app: ASGIApp, is_known: Callable[[str], bool], public: tuple[str, str] | None
    ) -> None:
        self.app = app
        self.is_known = is_known
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        host = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1")
        if scope["type"] != "http" or self.is_known(host):
            await self.app(_as_public(scope, self.public), receive, send)
            return
        request = Request(scope)
        message = (
            f"This site does not answer to the host name {host[:100]!r}; its operator can "
            "set PAPERWIRE_BASE_URL or PAPERWIRE_ALLOWED_HOSTS."
        )
        if is_api_request(request):
            await error_response(400, message)(scope, receive, send)
        else:
            await _error_page(request, 400, message)(scope, receive, send)


def _as_public(scope: Scope, public: tuple[str, str] | None) -> Scope:
    if public is None or scope["type"] != "http":
        return scope
    scheme, host = public
    headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
    return {**scope, "scheme": scheme, "headers": [*headers, (b"host", host.encode())]}


class BodyLimit:
    """Refuse request bodies over max_bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}  # path -> its own limit (file uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > max_bytes:
            await _too_large(send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise StarletteHTTPException(413, "The request is too large.")
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send) -> None:
    body = b"The request is too large."
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _install_error_handlers(app: FastAPI) -> None:
    """HTML error pages for readers; the API's JSON error shape under /api/."""

    @app.exception_handler(auth.LoginRequired)
    async def login_required(request: Request, _error: auth.LoginRequired) -> Response:
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": "log in first", "status": 401, "login": "/login"}, 401)
        return RedirectResponse(auth.login_url(request), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        headers = dict(error.headers or {})
        if is_api_request(request):
            response = error_response(error.status_code, str(error.detail))
            response.headers.update(headers)
            return response
        page = _error_page(request, error.status_code, str(error.detail))
        page.headers.update(headers)
        return page

    @app.exception_handler(DatabaseBusy)
    async def database_busy(request: Request, error: DatabaseBusy) -> Response:
        # Another process held SQLite's write lock past the busy timeout; nothing was
        # written, so the client may send the same request again in a moment.
        busy = StarletteHTTPException(503, str(error), headers={"Retry-After": "5"})
        return await http_error(request, busy)

    async def database_unavailable(request: Request, error: Exception) -> Response:
        # The server is down, restarting or refusing connections: the client may retry.
        # Only the driver's first line is logged: the statement's parameters could hold
        # a reader's data.
        driver_error = getattr(error, "orig", None) or error
        reason = (str(driver_error).splitlines() or ["no detail"])[0]
        log.warning("database unavailable while serving %s: %s", request.url.path, reason)
        request.state.user = None  # the error page must not look the viewer up
        unavailable = StarletteHTTPException(
            503,
            "The database is unavailable at the moment; please try again shortly.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
        return await http_error(request, unavailable)

    for kind in UNAVAILABLE_ERRORS:
        app.add_exception_handler(kind, database_unavailable)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = [_problem(item) for item in error.errors()]
        if is_api_request(request):
            return error_response(422, "; ".join(problems), fields=problems)
        return _error_page(request, 400, f"Invalid {problems[0] if problems else 'request'}")

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        log.exception("error while serving %s", request.url.path)
        message = "Something went wrong on our side; it has been logged."
        if is_api_request(request):
            return error_response(500, message)
        return _error_page(request, 500, message)


def _problem(item: Any) -> str:
    where = ".".join(str(part) for part in item.get("loc", ()) if part != "query")
    return f"{where or 'request'}: {item.get('msg', 'invalid')}"


def _error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    titles = {
        400: "Bad request",
        403: "Not allowed",
        404: "Not found",
        405: "Method not allowed",
        413: "Too large",
        429: "Too many requests",
        500: "Server error",
        503: "Unavailable",
    }
    context = {"status": status, "title": titles.get(status, "Error"), "detail": detail}
    return renderer.page(request, "error.html", context, status_code=status)
