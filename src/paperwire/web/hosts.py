"""Which Host headers the site answers to, so that no forged one shapes an absolute URL."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from paperwire.config import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})


def host_name(header: str) -> str | None:
    """The lower-case name of a Host header without its port ('[::1]:8000' -> '::1');
    None when it is no host name at all."""
    try:
        parts = urlsplit(f"//{header}")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts.hostname or None


def host_check(settings: Settings) -> Callable[[str], bool]:
    """Whether a Host header is one this instance answers to.

    With PAPERWIRE_BASE_URL set every absolute URL comes from it, so any host is served
    (a proxy may forward its own upstream name); without it links follow the request's
    host, which must then be loopback, PAPERWIRE_HOST or one of PAPERWIRE_ALLOWED_HOSTS.
    """
    listed = {name.strip().lower() for name in settings.allowed_hosts.split(",") if name.strip()}
    if "*" in listed or (settings.base_url.strip() and not listed):
        return lambda _header: True
    allowed = set(LOOPBACK_NAMES) | listed | _base_url_host(settings)
    bound = settings.host.strip().lower().strip("[]")
    if bound not in _ANY_ADDRESS:
        allowed.add(bound)
    return lambda header: host_name(header) in allowed


def public_origin(settings: Settings) -> tuple[str, str] | None:
    """The scheme and host of PAPERWIRE_BASE_URL ('https', 'papers.example.org'), which
    every request is taken to have come to, so that even links built from the request
    (static files) are the public ones; None when it is not set."""
    parts = urlsplit(settings.base_url.strip())
    if not (parts.scheme and parts.netloc):
        return None
    return parts.scheme, parts.netloc


def _base_url_host(settings: Settings) -> set[str]:
    name = urlsplit(settings.base_url.strip()).hostname
    return {name} if name else set()
