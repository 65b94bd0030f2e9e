"""Settings: defaults, validation, redaction, and that every one is documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from paperwire.config import Settings, redact_url

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_every_setting_is_documented() -> None:
    documented = DOCS.read_text()
    missing = [
        f"PAPERWIRE_{name.upper()}"
        for name in Settings.model_fields
        if f"`PAPERWIRE_{name.upper()}`" not in documented
    ]
    assert missing == []


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d", _env_file=None)  # type: ignore[call-arg]
    assert settings.effective_database_url() == f"sqlite:///{tmp_path / 'd' / 'paperwire.sqlite3'}"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERWIRE_PAGE_SIZE", "25")
    monkeypatch.setenv("PAPERWIRE_LOG_LEVEL", "debug")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.page_size, settings.log_level) == (25, "DEBUG")


@pytest.mark.parametrize(
    ("name", "value"),
    [("PAPERWIRE_PAGE_SIZE", "0"), ("PAPERWIRE_PORT", "70000"), ("PAPERWIRE_LOG_LEVEL", "LOUD")],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_redacted_settings_hide_the_database_password() -> None:
    settings = Settings(database_url="postgresql+psycopg://pw:hunter2@db/paperwire")  # type: ignore[arg-type]
    shown = settings.redacted()
    assert "hunter2" not in str(shown)
    assert shown["effective_database_url"] == "postgresql+psycopg://pw:***@db/paperwire"


def test_unparsable_url_is_not_echoed() -> None:
    assert redact_url("::::secret::::") == "<unparsable URL>"


def test_database_url_can_come_from_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "database-url"
    secret.write_text("postgresql+psycopg://pw:s3cret@db/paperwire\n")
    settings = Settings(database_url_file=secret, _env_file=None)  # type: ignore[call-arg]
    assert settings.effective_database_url() == "postgresql+psycopg://pw:s3cret@db/paperwire"
    assert "s3cret" not in str(settings.redacted())
    explicit = Settings(  # type: ignore[call-arg]
        database_url="sqlite:///x.db", database_url_file=secret, _env_file=None
    )
    assert explicit.effective_database_url() == "sqlite:///x.db"


def test_unreadable_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="cannot read"):
        Settings(database_url_file=tmp_path / "missing", _env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["database_url_file", "smtp_url_file"])
def test_an_empty_url_file_is_a_clear_error_not_the_default(tmp_path: Path, name: str) -> None:
    # An empty database URL would silently mean the local SQLite file.
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ValidationError, match="is empty"):
        Settings(**{name: empty}, _env_file=None)  # type: ignore[arg-type]
