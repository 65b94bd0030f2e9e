"""The polite client against a real local HTTP server: pauses, retries, Retry-After, errors."""

from __future__ import annotations

import pytest
from arxiv_server import Reply, Script, path_is, serving

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import FetchError, PoliteClient


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "arxiv_delay_seconds": 0.0,
        "arxiv_max_backoff_seconds": 0.05,
        "arxiv_timeout_seconds": 2.0,
        "arxiv_max_attempts": 3,
        "arxiv_contact": "ops@example.org",
    }
    return Settings(**(values | overrides))  # type: ignore[arg-type]


def test_503_then_success_is_retried_after_retry_after() -> None:
    script = Script().on(
        path_is("/oai"),
        Reply(b"busy", status=503, headers=(("Retry-After", "1"),)),
        Reply(b"<ok/>"),
    )
    with serving(script) as url, PoliteClient(_settings(arxiv_max_backoff_seconds=5)) as client:
        assert client.get(f"{url}/oai", {"verb": "Identify"}) == b"<ok/>"
    first, second = script.seen
    assert second.at - first.at >= 0.95
    assert first.params == {"verb": "Identify"}


def test_timeout_is_retried() -> None:
    script = Script().on(path_is("/api"), Reply(b"late", delay_seconds=1.5), Reply(b"<feed/>"))
    with serving(script) as url, PoliteClient(_settings(arxiv_timeout_seconds=0.5)) as client:
        assert client.get(f"{url}/api", {}) == b"<feed/>"
    assert len(script.seen) == 2


def test_persistent_429_gives_up_with_a_clear_message() -> None:
    script = Script().on(path_is("/api"), Reply(b"slow down", status=429))
    with (
        serving(script) as url,
        PoliteClient(_settings()) as client,
        pytest.raises(FetchError, match=r"HTTP 429 \(gave up after 3 tries\)"),
    ):
        client.get(f"{url}/api", {})
    assert len(script.seen) == 3


def test_client_error_is_not_retried() -> None:
    script = Script().on(path_is("/api"), Reply(b"nope", status=400))
    with (
        serving(script) as url,
        PoliteClient(_settings()) as client,
        pytest.raises(FetchError, match="HTTP 400"),
    ):
        client.get(f"{url}/api", {})
    assert len(script.seen) == 1


def test_connection_refused_is_retried_then_reported() -> None:
    with (
        PoliteClient(_settings(arxiv_max_attempts=2)) as client,
        pytest.raises(FetchError, match="connection failed"),
    ):
        client.get("http://127.0.0.1:9/unreachable", {})


def test_requests_are_spaced_by_the_delay_and_name_the_operator() -> None:
    script = Script().on(path_is("/rss/cs.AI"), Reply(b"<rss/>"))
    with serving(script) as url, PoliteClient(_settings(arxiv_delay_seconds=0.3)) as client:
        for _ in range(3):
            client.get(f"{url}/rss/cs.AI", {})
    gaps = [b.at - a.at for a, b in zip(script.seen, script.seen[1:], strict=False)]
    assert all(gap >= 0.28 for gap in gaps), gaps
    agent = script.seen[0].headers["User-Agent"]
    assert agent.startswith("paperwire/") and "contact: ops@example.org" in agent
