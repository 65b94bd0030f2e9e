"""The instance's secret key and signed, expiring tokens (sessions, CSRF, e-mail links)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from paperwire.config import Settings

SECRET_KEY_FILE_NAME = "secret-key"
_GENERATED_KEY_BYTES = 32


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 0600) in the data directory.

    Workers on one machine share the data directory and so the generated key; workers on
    several machines must be given the same PAPERWIRE_SECRET_KEY.
    """
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value()
    return _stored_key(settings.data_dir / SECRET_KEY_FILE_NAME)


def signer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    """A serializer whose tokens are valid for one purpose only (the salt), e.g. "confirm"."""
    return URLSafeTimedSerializer(secret_key(settings), salt=f"paperwire.{purpose}")


def _stored_key(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(_GENERATED_KEY_BYTES) + "\n")
    try:
        # A hard link appears whole or not at all: when two workers start together, the
        # first key linked wins and both read it back.
        os.link(candidate, path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    return path.read_text(encoding="ascii").strip()
