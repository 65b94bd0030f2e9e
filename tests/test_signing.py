"""The secret key and signed tokens: generated once, shared, never empty or short, purpose-bound,
expiring."""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from itsdangerous import BadSignature, SignatureExpired

from paperwire.cli.main import cli
from paperwire.config import Settings
from paperwire.signing import SECRET_KEY_FILE_NAME, SecretKeyError, secret_key, signer

LONG_KEY = "a configured key long enough to sign with"


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
    key_file.write_text(LONG_KEY + " from a file\n")
    from_file = _settings(tmp_path, secret_key_file=key_file)
    assert secret_key(from_file) == LONG_KEY + " from a file"
    both = _settings(tmp_path, secret_key=LONG_KEY, secret_key_file=key_file)
    assert secret_key(both) == LONG_KEY


@pytest.mark.parametrize("content", ["", "\n", "short key\n"])
def test_an_empty_or_short_key_file_is_refused_naming_the_file(
    tmp_path: Path, content: str
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(content)
    with pytest.raises(SecretKeyError, match=rf"PAPERWIRE_SECRET_KEY_FILE \({key_file}\) is"):
        secret_key(_settings(tmp_path, secret_key_file=key_file))


def test_a_short_configured_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match=r"^PAPERWIRE_SECRET_KEY is too short \(7 "):
        secret_key(_settings(tmp_path, secret_key="hunter2"))


def test_an_empty_generated_key_file_is_refused_not_used(tmp_path: Path) -> None:
    (tmp_path / SECRET_KEY_FILE_NAME).write_text("")  # as a full disk left it, before
    with pytest.raises(SecretKeyError, match=f"{tmp_path / SECRET_KEY_FILE_NAME} is empty"):
        signer(_settings(tmp_path), "session")


def test_a_full_disk_leaves_no_key_file_behind_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_descriptor: int, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched:
        patched.setattr(os, "write", disk_full)
        with pytest.raises(SecretKeyError, match="the disk is full"):
            secret_key(_settings(tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert len(secret_key(_settings(tmp_path))) >= 40  # space again: a key is made


def test_serve_refuses_to_start_with_an_empty_key_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("PAPERWIRE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path))
    (tmp_path / SECRET_KEY_FILE_NAME).write_text("")
    with socket.socket() as taken:  # were the key accepted, serve would stop here, not hang
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(cli, ["serve", "--host", "127.0.0.1", "--port", port])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: the secret key file ") and "is empty" in line


def test_a_token_is_valid_only_for_its_purpose(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    token = signer(settings, "confirm").dumps({"email": "alice@example.org"})
    assert signer(settings, "confirm").loads(token, max_age=60) == {"email": "alice@example.org"}
    with pytest.raises(BadSignature):
        signer(settings, "unsubscribe").loads(token)
    with pytest.raises(BadSignature):
        signer(_settings(tmp_path, secret_key=LONG_KEY), "confirm").loads(token)


def test_a_token_expires(tmp_path: Path) -> None:
    token = signer(_settings(tmp_path), "confirm").dumps("x")
    with pytest.raises(SignatureExpired):
        signer(_settings(tmp_path), "confirm").loads(token, max_age=-1)
