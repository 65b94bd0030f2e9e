"""The instance's secret key and signed, expiring tokens (sessions, CSRF, e-mail links)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from paperwire.config import Settings

SECRET_KEY_FILE_NAME = "secret-key"
SECRET_KEY_MIN_CHARS = 32
_GENERATED_KEY_BYTES = 32
_NEW_KEY_HINT = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class SecretKeyError(ValueError):
    """The secret key is missing, empty, too short or cannot be kept: a one-line reason."""


def secret_key(settings: Settings) -> str:
    """The configured key, or one generated once and kept (mode 0600) in the data directory.

    Workers on one machine share the data directory and so the generated key; workers on
    several machines must be given the same PAPERWIRE_SECRET_KEY. An empty or short key
    raises SecretKeyError: anyone could sign sessions with it.
    """
    origin = settings.secret_origin("secret_key")
    if origin is not None:
        assert settings.secret_key is not None
        return _checked(settings.secret_key.get_secret_value(), origin)
    path = settings.data_dir / SECRET_KEY_FILE_NAME
    return _checked(_stored_key(path), f"the secret key file {path}", generated=True)


def signer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    """A serializer whose tokens are valid for one purpose only (the salt), e.g. "confirm"."""
    return URLSafeTimedSerializer(secret_key(settings), salt=f"paperwire.{purpose}")


def _checked(key: str, origin: str, *, generated: bool = False) -> str:
    if len(key) >= SECRET_KEY_MIN_CHARS:
        return key
    problem = "is empty" if not key else f"is too short ({len(key)} characters)"
    if generated:
        raise SecretKeyError(
            f"{origin} {problem}: delete it to have a new key generated (everybody is "
            "logged out), or set PAPERWIRE_SECRET_KEY"
        )
    raise SecretKeyError(
        f"{origin} {problem}: give at least {SECRET_KEY_MIN_CHARS} random characters, "
        f"such as the output of {_NEW_KEY_HINT}"
    )


def _stored_key(path: Path) -> str:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_durably(candidate, secrets.token_urlsafe(_GENERATED_KEY_BYTES) + "\n")
        # A hard link appears whole or not at all: when two workers start together, the
        # first key linked wins and both read it back. The key was synced before, so a
        # crash never leaves an empty key file under the real name.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    except OSError as error:
        raise SecretKeyError(_cannot_write(path, error)) from None
    finally:
        candidate.unlink(missing_ok=True)
    return _read_key(path)


def _write_durably(path: Path, text: str) -> None:
    data = text.encode("ascii")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        while data:
            data = data[os.write(descriptor, data) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read_key(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not ASCII text"
        raise SecretKeyError(f"cannot read the secret key file {path}: {reason}") from None


def _cannot_write(path: Path, error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write the secret key file {path}: the disk is full"
    return f"cannot write the secret key file {path}: {error.strerror or error}"
