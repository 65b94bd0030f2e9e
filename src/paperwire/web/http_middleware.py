"""A base for plain ASGI middleware that looks at each HTTP response as it starts (no task
per request, unlike Starlette's BaseHTTPMiddleware)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ResponseStartMiddleware:
    """Calls on_response_start with each HTTP response's first message before it is sent;
    other connections (lifespan) pass straight through. Subclasses may wrap handle too."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.on_response_start(scope, message)
            await send(message)

        await self.handle(scope, receive, watched)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def on_response_start(self, scope: Scope, message: Message) -> None:
        """Look at (or add to) the status and headers of a response about to start."""
