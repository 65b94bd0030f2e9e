"""What list pages show of a paper's code: only links a browser may follow, and its stars."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from paperwire.storage.code import PaperCode

MAX_URL_CHARS = 2_000


def web_url(url: str | None) -> str | None:
    """url when it is an http(s) link to a named host: readers can edit links, and a
    javascript: or data: URL must never become an href."""
    if url is None or len(url) > MAX_URL_CHARS:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in {"http", "https"} and parts.hostname else None


def shown_code(code: PaperCode) -> PaperCode:
    """code with the links that are not web links taken out."""
    return replace(code, code_url=web_url(code.code_url), project_url=web_url(code.project_url))


def stars_text(code: PaperCode) -> str | None:
    """ "★ 1,234 · +56 this week" for a counted repository; None when not counted."""
    if code.stars is None:
        return None
    if code.stars_gained_week > 0:
        return f"★ {code.stars:,} · +{code.stars_gained_week:,} this week"
    return f"★ {code.stars:,}"
