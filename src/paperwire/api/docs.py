"""GET /docs: the OpenAPI description rendered as a plain page (no scripts from a CDN)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from paperwire.web.rendering import Renderer

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    spec = request.app.openapi()
    endpoints = [
        _endpoint(path, method, operation)
        for path, methods in spec.get("paths", {}).items()
        for method, operation in methods.items()
    ]
    renderer: Renderer = request.app.state.renderer
    context = {"tab": None, "around": None, "spec": spec, "endpoints": endpoints}
    return renderer.page(request, "api_docs.html", context)


def _endpoint(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": method.upper(),
        "path": path,
        "summary": operation.get("summary", ""),
        "description": operation.get("description", ""),
        "parameters": [_parameter(p) for p in operation.get("parameters", [])],
        "responses": sorted(operation.get("responses", {})),
    }


def _parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = parameter.get("schema", {})
    options = schema.get("anyOf", [schema])
    kinds = [o.get("type", "") for o in options if o.get("type") != "null"]
    limits = [
        f"{key} {schema[key]}" for key in ("minimum", "maximum", "maxLength") if key in schema
    ]
    choices = [str(v) for o in options for v in o.get("enum", [])]
    return {
        "name": parameter["name"],
        "where": parameter.get("in", ""),
        "required": parameter.get("required", False),
        "type": " or ".join(kinds) or "string",
        "default": schema.get("default"),
        "limits": ", ".join(limits + ([f"one of {', '.join(choices)}"] if choices else [])),
        "description": parameter.get("description") or schema.get("description", ""),
    }
