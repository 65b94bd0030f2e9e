"""Settings: read once from PAPERWIRE_* environment variables or a .env file, then passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SQLITE_FILE_NAME = "paperwire.sqlite3"


class Settings(BaseSettings):
    """Every setting paperwire reads; each is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="PAPERWIRE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )
    # The secrets whose value was read from their *_FILE, so messages can name the file.
    _secrets_read_from_files: set[str] = PrivateAttr(default_factory=set)

    data_dir: Path = Field(
        default=Path("paperwire-data"),
        description="Folder for the default SQLite database and other local state.",
    )
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pass@host/db. "
        "Empty: a SQLite file in the data directory.",
    )
    database_url_file: Path | None = Field(
        default=None,
        description="A file holding the database URL (a container secret); "
        "used when PAPERWIRE_DATABASE_URL is empty.",
    )
    host: str = Field(default="127.0.0.1", description="Address `paperwire serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `paperwire serve` uses.")
    load_demo: bool = Field(
        default=True,
        description="Load the bundled demo papers when `serve` starts on an empty database.",
    )
    page_size: int = Field(default=50, ge=1, le=500, description="Papers per list page.")
    trending_half_life_hours: float = Field(
        default=72.0, gt=0, description="Half-life of an upvote's weight on the trending page."
    )
    trending_window_days: int = Field(
        default=14, ge=1, le=365, description="How many listing days the trending page looks back."
    )
    base_url: str = Field(
        default="",
        description="Public URL of this instance, used in citation meta tags; "
        "empty: taken from each request.",
    )
    allowed_hosts: str = Field(
        default="",
        description="Comma-separated host names the site answers to ('*': any); empty: "
        "any when PAPERWIRE_BASE_URL is set, else loopback and PAPERWIRE_HOST.",
    )
    page_cache_entries: int = Field(
        default=256,
        ge=0,
        le=100_000,
        description="List pages each web process keeps rendered until papers change; 0: none.",
    )
    blas_threads: int = Field(
        default=1,
        ge=1,
        le=256,
        description="Threads each web process lets numpy's BLAS use for one matrix product: "
        "1 lets concurrent requests share the cores instead of fighting over them.",
    )
    index_rebuild_papers: int = Field(
        default=10_000,
        ge=1,
        description="Papers written after the shared search index files (and at least 5 % "
        "of them) that make serve rebuild them; fewer papers never get files.",
    )
    log_level: str = Field(default="INFO", description="Python logging level name.")
    api_rate_limit_per_minute: int = Field(
        default=120,
        ge=0,
        le=1_000_000,
        description="API requests a client address may make per minute per process; 0: no limit.",
    )
    arxiv_oai_url: str = Field(
        default="https://oaipmh.arxiv.org/oai", description="arXiv's OAI-PMH endpoint."
    )
    arxiv_api_url: str = Field(
        default="https://export.arxiv.org/api/query", description="arXiv's search API endpoint."
    )
    arxiv_rss_url: str = Field(
        default="https://rss.arxiv.org/rss",
        description="Base of arXiv's announcement feeds; the category is appended.",
    )
    arxiv_delay_seconds: float = Field(
        default=3.0, ge=0, le=600, description="Pause between two requests to arXiv."
    )
    arxiv_contact: str = Field(
        default="",
        description="E-mail address or URL put in the User-Agent so arXiv can reach you.",
    )
    arxiv_timeout_seconds: float = Field(
        default=60.0, gt=0, le=600, description="Longest silence while talking to arXiv."
    )
    arxiv_deadline_seconds: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="Longest one request to arXiv may take, from connecting to its last byte.",
    )
    arxiv_max_attempts: int = Field(
        default=6, ge=1, le=20, description="Tries per request before a harvest stops."
    )
    arxiv_max_backoff_seconds: float = Field(
        default=300.0, gt=0, description="Longest wait between two tries, Retry-After included."
    )
    arxiv_api_page_size: int = Field(
        default=200, ge=1, le=2000, description="Papers per arXiv API request."
    )
    harvest_categories: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Categories the scheduled harvest reads from the announcement feeds.",
    )
    harvest_in_serve: bool = Field(
        default=False, description="Run the scheduled harvest inside `paperwire serve`."
    )
    harvest_delay_minutes: int = Field(
        default=30, ge=0, le=600, description="Wait after arXiv's 20:00 announcement."
    )
    github_api_url: str = Field(
        default="https://api.github.com",
        description="GitHub's REST API, asked for repositories' stars (`code refresh`).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set, /metrics answers only requests with "
        "`Authorization: Bearer <token>`; empty: /metrics is open.",
    )
    github_token: SecretStr | None = Field(
        default=None,
        description="A GitHub token for the stars refresh (5,000 requests/hour instead of 60); "
        "empty: anonymous.",
    )
    github_token_file: Path | None = Field(
        default=None,
        description="A file holding the GitHub token; used when PAPERWIRE_GITHUB_TOKEN is empty.",
    )
    github_requests_per_hour: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="Most requests the stars refresh makes to GitHub per hour; "
        "0: 50 without a token, 4,500 with one.",
    )
    code_refresh_hours: float = Field(
        default=24.0,
        ge=1,
        le=24 * 30,
        description="How long after a star count a repository is asked again.",
    )
    code_refresh_in_serve: bool = Field(
        default=False, description="Refresh repositories' stars inside `paperwire serve`."
    )

    embedding_model: str = Field(
        default="bundled",
        description="Model for semantic search: 'bundled' (static, shipped with paperwire) "
        "or a folder holding a model2vec model.",
    )
    vector_search: Literal["auto", "memory", "pgvector"] = Field(
        default="auto",
        description="Where semantic search finds nearest papers: 'auto' (in PostgreSQL with "
        "pgvector when present, else in memory), 'memory' or 'pgvector' (start-up fails "
        "without it).",
    )
    search_limit_per_minute: int = Field(
        default=60,
        ge=0,
        le=100_000,
        description="Searches (search page and search feeds) a client address may run per "
        "minute per process; 0: no limit.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs sessions, CSRF tokens and e-mail links; "
        "empty: a random key kept in the data directory.",
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="A file holding the secret key; used when PAPERWIRE_SECRET_KEY is empty.",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="SMTP server, e.g. smtp://user:pass@host:587 (STARTTLS) or "
        "smtps://user:pass@host:465; empty: e-mails are printed to the log.",
    )
    smtp_url_file: Path | None = Field(
        default=None,
        description="A file holding the SMTP URL; used when PAPERWIRE_SMTP_URL is empty.",
    )
    mail_from: str = Field(
        default="paperwire <paperwire@localhost>",
        description="Sender address of every e-mail paperwire sends.",
    )
    smtp_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="How long one SMTP conversation step may take."
    )
    digest_delay_minutes: int = Field(
        default=60,
        ge=0,
        le=24 * 60,
        description="Wait after arXiv's 20:00 announcement before daily digests go out.",
    )
    digest_skip_empty: bool = Field(
        default=True, description="Send no digest when it would hold no papers."
    )
    digest_lease_seconds: int = Field(
        default=300,
        ge=1,
        le=86_400,
        description="How long a sender holds a claimed delivery before another may take it.",
    )
    digest_max_attempts: int = Field(
        default=5, ge=1, le=50, description="Tries per digest before a temporary failure is final."
    )
    digest_retry_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description="Wait before the first retry of a digest; it doubles with each try.",
    )
    digest_interval_minutes: int = Field(
        default=10,
        ge=1,
        le=24 * 60,
        description="How often `digest send --loop` (and serve's schedule) looks for due digests.",
    )
    digest_in_serve: bool = Field(
        default=False, description="Send digests on schedule inside `paperwire serve`."
    )
    subscribe_limit_per_hour: int = Field(
        default=10,
        ge=0,
        le=100_000,
        description="Subscription requests a client address may make per hour; 0: no limit.",
    )
    subscribe_email_limit_per_day: int = Field(
        default=3,
        ge=0,
        le=1_000,
        description="Confirmation e-mails one address may be sent per day; 0: no limit.",
    )

    session_days: int = Field(
        default=30, ge=1, le=365, description="How long a log-in lasts without a new log-in."
    )
    password_reset_minutes: int = Field(
        default=60, ge=5, le=7 * 24 * 60, description="How long a password-reset link works."
    )
    signup_confirm_hours: int = Field(
        default=24, ge=1, le=7 * 24, description="How long a sign-up confirmation link works."
    )
    signup_limit_per_hour: int = Field(
        default=5, ge=0, le=1_000_000, description="Sign-ups per client address per hour; 0: none."
    )
    login_limit_per_minute: int = Field(
        default=10,
        ge=0,
        le=1_000_000,
        description="Log-in and reset attempts per client address, and failed log-ins per "
        "name typed, per minute; 0: no limit.",
    )
    vote_limit_per_minute: int = Field(
        default=60, ge=0, le=1_000_000, description="Votes per user per minute; 0: no limit."
    )
    comment_limit_per_hour: int = Field(
        default=30, ge=0, le=1_000_000, description="Comments per user per hour; 0: no limit."
    )
    library_limit_per_minute: int = Field(
        default=120,
        ge=0,
        le=1_000_000,
        description="Library changes (save, remove, tag, not interested, follow) per user "
        "per minute; 0: no limit.",
    )
    library_import_limit_per_hour: int = Field(
        default=10,
        ge=0,
        le=1_000_000,
        description="Library file imports per user per hour; 0: no limit.",
    )
    link_edit_limit_per_hour: int = Field(
        default=20,
        ge=0,
        le=1_000_000,
        description="Code and project link edits per user per hour; 0: no limit.",
    )
    submission_limit_per_day: int = Field(
        default=10, ge=0, le=1_000_000, description="Paper submissions per user per day; 0: none."
    )
    digest_settings_limit_per_hour: int = Field(
        default=30,
        ge=0,
        le=1_000_000,
        description="Digest changes from the account page per user per hour; 0: no limit.",
    )
    submission_max_age_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="Oldest paper (days since its first version) that may be submitted.",
    )
    max_form_bytes: int = Field(
        default=65_536,
        ge=1024,
        le=10_485_760,
        description="Largest request body accepted; larger ones are refused with 413.",
    )
    max_import_bytes: int = Field(
        default=5_242_880,
        ge=1024,
        le=52_428_800,
        description="Largest library file (BibTeX, RIS, CSL-JSON, id list) a reader may "
        "upload to /library/import; the rest of the site keeps max_form_bytes.",
    )

    @field_validator("harvest_categories", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        # The environment gives PAPERWIRE_HARVEST_CATEGORIES=cs.AI,cs.CL as one string.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Settings:
        # Secrets mounted as files (Docker, Kubernetes) keep passwords out of the
        # environment; the variable itself still wins when both are set.
        for name in ("database_url", "secret_key", "smtp_url", "github_token"):
            path: Path | None = getattr(self, f"{name}_file")
            if path is not None and not _is_set(getattr(self, name)):
                secret = _read_secret(path)
                if not secret and name != "secret_key":  # signing.py explains that one
                    # An empty URL would quietly mean the default: a local SQLite file,
                    # or no mail at all.
                    raise ValueError(f"{path} is empty")
                setattr(self, name, SecretStr(secret))
                self._secrets_read_from_files.add(name)
        return self

    def secret_origin(self, name: str) -> str | None:
        """Where a secret was given, for messages: 'PAPERWIRE_X', 'PAPERWIRE_X_FILE (path)'
        (even when that file is empty), or None when it was not given."""
        if name in self._secrets_read_from_files:
            return f"PAPERWIRE_{name.upper()}_FILE ({getattr(self, f'{name}_file')})"
        return f"PAPERWIRE_{name.upper()}" if _is_set(getattr(self, name)) else None

    def effective_url_is_set(self) -> bool:
        return _is_set(self.database_url)

    def effective_database_url(self) -> str:
        """The database URL in use: the configured one, or the default SQLite file."""
        if self.database_url is not None and self.effective_url_is_set():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / SQLITE_FILE_NAME).resolve()}"

    def redacted(self) -> dict[str, Any]:
        """Settings as plain values with secrets (passwords in URLs) hidden, for display."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = _redact_secret(name, value)
            shown[name] = str(value) if isinstance(value, Path) else value
        shown["effective_database_url"] = redact_url(self.effective_database_url())
        return shown


def _is_set(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value())


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None


def _redact_secret(name: str, secret: SecretStr) -> str | None:
    if not secret.get_secret_value():
        return None
    return redact_url(secret.get_secret_value()) if name.endswith("_url") else "<hidden>"


def redact_url(url: str) -> str:
    """Hide the password of a URL such as postgresql://user:secret@host/db."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as a placeholder, never echoed
        return "<unparsable URL>"
