"""The GitHub client against a local server answering like GitHub's REST API."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github_server import FakeGitHub, Reply, primary_limit_spent, retry_after, serving

from paperwire.code.github import (
    MAX_ATTEMPTS,
    Counted,
    GitHubAuthError,
    GitHubClient,
    GitHubError,
    Missing,
    NotModified,
    RateLimited,
    parse_repository,
    requests_per_hour,
)
from paperwire.config import Settings

TOKEN = "ghp_test_token_never_logged_0123456789"


@pytest.fixture
def github() -> FakeGitHub:
    fake = FakeGitHub()
    fake.add("alice/model", stars=120, repo_id=7)
    return fake


@pytest.fixture
def base_url(github: FakeGitHub) -> Iterator[str]:
    with serving(github) as url:
        yield url


def settings_for(url: str, **values: object) -> Settings:
    values = {"github_requests_per_hour": 100_000} | values
    return Settings(_env_file=None, github_api_url=url, **values)  # type: ignore[arg-type, call-arg]


def client_for(url: str, sleeps: list[float] | None = None, **values: object) -> GitHubClient:
    record = sleeps if sleeps is not None else []
    return GitHubClient(settings_for(url, **values), sleep=record.append)


def test_a_repository_is_read_with_githubs_headers(github: FakeGitHub, base_url: str) -> None:
    with client_for(base_url) as client:
        answer = client.repository("alice/model")
    assert answer == Counted("alice/model", 120, 7, '"7-78"')
    seen = github.asked("/repos/alice/model")[0].headers
    assert seen["accept"] == "application/vnd.github+json"
    assert seen["x-github-api-version"] == "2022-11-28"
    assert seen["user-agent"].startswith("paperwire/")
    assert "authorization" not in seen and "if-none-match" not in seen


def test_the_token_is_sent_as_a_bearer_and_never_logged(
    github: FakeGitHub, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    github.then("alice/model", Reply(502))
    caplog.set_level(logging.DEBUG)
    with client_for(base_url, github_token=TOKEN) as client:
        client.repository("alice/model")
    assert github.seen[-1].headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in caplog.text and "try 2 of" in caplog.text


def test_a_stored_etag_makes_the_request_conditional(github: FakeGitHub, base_url: str) -> None:
    with client_for(base_url) as client:
        first = client.repository("alice/model")
        assert isinstance(first, Counted)
        assert client.repository("alice/model", first.etag) == NotModified('"7-78"')
        github.repos["alice/model"].stars = 121
        again = client.repository("alice/model", first.etag)
    assert isinstance(again, Counted) and again.stars == 121
    assert [s.headers.get("if-none-match") for s in github.seen] == [None, '"7-78"', '"7-78"']


def test_a_rename_is_followed_to_the_repository_by_id(github: FakeGitHub, base_url: str) -> None:
    github.rename("alice/model", "alice-lab/model-v2")
    with client_for(base_url, github_token=TOKEN) as client:
        answer = client.repository("alice/model")
    assert answer == Counted("alice-lab/model-v2", 120, 7, '"7-78"')
    assert [s.path for s in github.seen] == ["/repos/alice/model", "/repositories/7"]
    assert github.seen[1].headers["authorization"] == f"Bearer {TOKEN}"


def test_a_redirect_outside_the_api_is_refused(github: FakeGitHub, base_url: str) -> None:
    github.then("alice/model", Reply(301, (("Location", "https://elsewhere.example/x"),)))
    with client_for(base_url, github_token=TOKEN) as client, pytest.raises(GitHubError) as error:
        client.repository("alice/model")
    assert "redirected outside" in str(error.value) and len(github.seen) == 1


@pytest.mark.parametrize("status", [404, 410, 451])
def test_gone_repositories_are_missing(github: FakeGitHub, base_url: str, status: int) -> None:
    github.gone["alice/model"] = status
    with client_for(base_url) as client:
        assert client.repository("alice/model") == Missing(status)


@pytest.mark.parametrize("status", [500, 502])
def test_server_errors_are_retried_with_backoff(
    github: FakeGitHub, base_url: str, status: int
) -> None:
    github.then("alice/model", Reply(status), Reply(status))
    sleeps: list[float] = []
    with client_for(base_url, sleeps) as client:
        assert isinstance(client.repository("alice/model"), Counted)
    assert len(github.seen) == 3
    backoffs = [s for s in sleeps if s >= 1]
    assert len(backoffs) == 2 and backoffs[1] > backoffs[0] / 2  # exponential, with jitter


def test_lasting_server_errors_give_up_after_the_last_try(
    github: FakeGitHub, base_url: str
) -> None:
    github.then("alice/model", *[Reply(503)] * MAX_ATTEMPTS)
    with client_for(base_url) as client, pytest.raises(GitHubError) as error:
        client.repository("alice/model")
    assert f"gave up after {MAX_ATTEMPTS} tries" in str(error.value)
    assert len(github.seen) == MAX_ATTEMPTS


def test_a_dead_server_is_a_failure_after_retries() -> None:
    with serving(FakeGitHub()) as url:
        pass  # closed: nothing listens there any more
    with client_for(url) as client, pytest.raises(GitHubError) as error:
        client.repository("alice/model")
    assert "connection failed" in str(error.value)


def test_a_spent_primary_limit_waits_until_its_reset(github: FakeGitHub, base_url: str) -> None:
    reset = int(time.time()) + 1800
    github.then("alice/model", primary_limit_spent(reset))
    with client_for(base_url) as client, pytest.raises(RateLimited) as limited:
        client.repository("alice/model")
    assert limited.value.until == datetime.fromtimestamp(reset, UTC)
    assert client.seconds_until_allowed() == pytest.approx(1800, abs=5)


@pytest.mark.parametrize("status", [403, 429])
def test_a_secondary_limit_waits_for_retry_after(
    github: FakeGitHub, base_url: str, status: int
) -> None:
    github.then("alice/model", retry_after(status, 120))
    before = datetime.now(UTC)
    with client_for(base_url) as client, pytest.raises(RateLimited) as limited:
        client.repository("alice/model")
    wait = limited.value.until - before
    assert timedelta(seconds=119) <= wait <= timedelta(seconds=125)
    assert len(github.seen) == 1  # not retried at once


def test_a_429_without_retry_after_waits_a_minute(github: FakeGitHub, base_url: str) -> None:
    github.then("alice/model", Reply(429))
    with client_for(base_url) as client, pytest.raises(RateLimited) as limited:
        client.repository("alice/model")
    assert limited.value.until - datetime.now(UTC) > timedelta(seconds=55)


def test_a_plain_403_is_an_error_not_a_wait(github: FakeGitHub, base_url: str) -> None:
    github.then("alice/model", Reply(403, (), b'{"message": "Forbidden"}'))
    with client_for(base_url) as client, pytest.raises(GitHubError) as error:
        client.repository("alice/model")
    assert not isinstance(error.value, GitHubAuthError) and "HTTP 403" in str(error.value)


def test_a_refused_token_is_an_auth_error(github: FakeGitHub, base_url: str) -> None:
    github.then("alice/model", Reply(401, (), b'{"message": "Bad credentials"}'))
    with client_for(base_url, github_token=TOKEN) as client, pytest.raises(GitHubAuthError):
        client.repository("alice/model")


def test_the_reserve_is_kept_from_the_advertised_window(github: FakeGitHub, base_url: str) -> None:
    github.rate_limit = 8
    with client_for(base_url) as client:
        for _ in range(2):
            client.repository("alice/model")
        assert client.seconds_until_allowed() == 0  # 6 left, more than the reserve of 5
        client.repository("alice/model")
        assert 0 < client.seconds_until_allowed() <= 3601
    assert client.rate.limit == 8 and client.rate.remaining == 5


def test_requests_are_paced_to_the_budget(github: FakeGitHub, base_url: str) -> None:
    sleeps: list[float] = []
    with client_for(base_url, sleeps, github_requests_per_hour=3600) as client:
        client.repository("alice/model")
        client.repository("alice/model")
    assert len(sleeps) == 1 and 0.5 < sleeps[0] <= 1.0  # one second apart


def test_the_default_budget_stays_under_githubs_limits() -> None:
    anonymous = Settings(_env_file=None)  # type: ignore[call-arg]
    token = Settings(_env_file=None, github_token=TOKEN)  # type: ignore[call-arg, arg-type]
    assert requests_per_hour(anonymous) < 60 and requests_per_hour(token) < 5000


def test_oversized_answers_are_refused(github: FakeGitHub, base_url: str) -> None:
    github.then("alice/model", Reply(200, (), b" " * (2 * 1024 * 1024)))
    with client_for(base_url) as client, pytest.raises(GitHubError) as error:
        client.repository("alice/model")
    assert "larger than" in str(error.value)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"full_name": "a/b", "stargazers_count": "12", "id": 1}',
        b'{"full_name": "a/b/../c", "stargazers_count": 12, "id": 1}',
        b'{"full_name": "a/b", "stargazers_count": true, "id": 1}',
        b'{"full_name": "a/b", "stargazers_count": -1, "id": 1}',
    ],
)
def test_malformed_repositories_are_refused(body: bytes) -> None:
    with pytest.raises(GitHubError):
        parse_repository("u", body, None)


def test_the_token_can_come_from_a_file_and_is_hidden(tmp_path: Path) -> None:
    secret = tmp_path / "github-token"
    secret.write_text(f"{TOKEN}\n")
    settings = Settings(_env_file=None, github_token_file=secret)  # type: ignore[call-arg]
    assert settings.github_token is not None
    assert settings.github_token.get_secret_value() == TOKEN
    assert settings.redacted()["github_token"] == "<hidden>" and TOKEN not in str(
        settings.redacted()
    )
