"""The secret key and signed tokens: generated once, shared, purpose-bound, expiring."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from itsdangerous import BadSignature, SignatureExpired

from paperwire.config import Settings
from paperwire.signing import SECRET_KEY_FILE_NAME, secret_key, signer


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path, **values)  # type: ignore[call-arg, arg-type]


def test_generated_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    first = secret_key(_settings(tmp_path))
    assert secret_key(_settings(tmp_path)) == first
    assert len(first) >= 40
    mode = stat.S_IMODE((tmp_path / SECRET_KEY_FILE_NAME).stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_KEY_FILE_NAME]


def test_configured_key_wins_and_may_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    assert secret_key(_settings(tmp_path, secret_key_file=key_file)) == "from-a-file"
    assert secret_key(_settings(tmp_path, secret_key="direct", secret_key_file=key_file)) == (
        "direct"
    )


def test_a_token_is_valid_only_for_its_purpose(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    token = signer(settings, "confirm").dumps({"email": "alice@example.org"})
    assert signer(settings, "confirm").loads(token, max_age=60) == {"email": "alice@example.org"}
    with pytest.raises(BadSignature):
        signer(settings, "unsubscribe").loads(token)
    with pytest.raises(BadSignature):
        signer(_settings(tmp_path, secret_key="other"), "confirm").loads(token)


def test_a_token_expires(tmp_path: Path) -> None:
    token = signer(_settings(tmp_path), "confirm").dumps("x")
    with pytest.raises(SignatureExpired):
        signer(_settings(tmp_path), "confirm").loads(token, max_age=-1)
