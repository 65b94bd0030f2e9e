"""Signed tokens: each purpose apart, expiry, and tampering."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import itsdangerous.timed
import pytest

from paperwire.config import Settings
from paperwire.digest.model import Preferences
from paperwire.digest.tokens import (
    CONFIRM_MAX_AGE_SECONDS,
    FORM_MAX_AGE_SECONDS,
    DigestTokens,
    InvalidToken,
)


@pytest.fixture
def tokens(tmp_path: Path) -> DigestTokens:
    return DigestTokens(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    moment = time.time() + seconds
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: moment))


def test_a_token_works_for_its_own_purpose_only(tokens: DigestTokens) -> None:
    manage = tokens.manage(3, "ada@example.org")
    assert tokens.read_manage(manage) == (3, "ada@example.org")
    with pytest.raises(InvalidToken):
        tokens.read_unsubscribe(manage)
    with pytest.raises(InvalidToken):
        tokens.read_manage(manage[:-2] + "xx")


def test_confirmation_links_expire_after_three_days(
    tokens: DigestTokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tokens.confirm("ada@example.org", Preferences(size=4))
    assert tokens.read_confirm(token).preferences.size == 4
    _later(monkeypatch, CONFIRM_MAX_AGE_SECONDS + 5)
    with pytest.raises(InvalidToken):
        tokens.read_confirm(token)


def test_form_tokens_expire(tokens: DigestTokens, monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.form()
    tokens.check_form(token)
    _later(monkeypatch, FORM_MAX_AGE_SECONDS + 5)
    with pytest.raises(InvalidToken):
        tokens.check_form(token)


def test_another_instance_key_makes_tokens_invalid(tmp_path: Path, tokens: DigestTokens) -> None:
    other = DigestTokens(Settings(_env_file=None, data_dir=tmp_path / "other"))  # type: ignore[call-arg]
    with pytest.raises(InvalidToken):
        other.read_manage(tokens.manage(3, "ada@example.org"))


def test_a_confirmation_carries_the_requesting_account_when_there_is_one(
    tokens: DigestTokens,
) -> None:
    assert tokens.read_confirm(tokens.confirm("ada@example.org", Preferences(), 7)).user_id == 7
    assert tokens.read_confirm(tokens.confirm("ada@example.org", Preferences())).user_id is None
