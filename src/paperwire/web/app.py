"""Build the web application: create_app(settings, database) wires pages, static files, errors."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import __version__
from paperwire.config import Settings
from paperwire.storage import Database
from paperwire.web import pages
from paperwire.web.page_cache import PageCache
from paperwire.web.rendering import Renderer

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def create_app(settings: Settings, database: Database) -> FastAPI:
    """The paperwire web application over an open, migrated database."""
    app = FastAPI(title="paperwire", version=__version__, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.db = database
    app.state.renderer = Renderer(settings)
    app.state.page_cache = PageCache(settings.page_cache_entries)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    _install_error_pages(app)
    app.add_middleware(SecurityHeaders)
    return app


class SecurityHeaders:
    """Add the security headers to every HTTP response (plain ASGI: no per-request task)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> HTMLResponse:
        return _error_page(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> HTMLResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "query")
        return _error_page(request, 400, f"Invalid {where or 'request'}: {first.get('msg', '')}")

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> HTMLResponse:
        log.exception("error while serving %s", request.url.path)
        return _error_page(request, 500, "Something went wrong on our side; it has been logged.")


def _error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    titles = {404: "Not found", 400: "Bad request", 405: "Method not allowed", 500: "Server error"}
    context = {"status": status, "title": titles.get(status, "Error"), "detail": detail}
    return renderer.page(request, "error.html", context, status_code=status)
