"""The polite client against a real local HTTP server: pauses, retries, Retry-After, errors."""

from __future__ import annotations

import gzip

import pytest
from arxiv_server import Reply, Script, gzip_bomb, path_is, serving

from paperwire.config import Settings
from paperwire.ingest.arxiv.client import (
    MAX_REDIRECTS,
    MAX_RESPONSE_BYTES,
    FetchError,
    PoliteClient,
)

GZIPPED = (("Content-Encoding", "gzip"),)


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "arxiv_delay_seconds": 0.0,
        "arxiv_max_backoff_seconds": 0.05,
        "arxiv_timeout_seconds": 2.0,
        "arxiv_deadline_seconds": 10.0,
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


# Each trickle sends an answer whose every read comes quickly but whose whole takes ~4 s.
@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickled_answer_is_cut_off_at_the_deadline_and_retried(part: str) -> None:
    script = Script().on(path_is("/api"), Reply(b"<feed>" + b" " * 60 + b"</feed>", trickle=part))
    settings = _settings(arxiv_deadline_seconds=0.5, arxiv_max_attempts=2)
    with (
        serving(script) as url,
        PoliteClient(settings) as client,
        pytest.raises(FetchError, match=r"no complete answer within 0.5 s .*gave up after 2 tries"),
    ):
        client.get(f"{url}/api", {})
    assert len(script.seen) == 2


def test_a_trickle_then_a_prompt_answer_succeeds() -> None:
    script = Script().on(
        path_is("/api"), Reply(b"<feed>" + b" " * 60 + b"</feed>", trickle="body"), Reply(b"<ok/>")
    )
    with serving(script) as url, PoliteClient(_settings(arxiv_deadline_seconds=0.5)) as client:
        assert client.get(f"{url}/api", {}) == b"<ok/>"
    assert len(script.seen) == 2


def test_gzipped_answer_is_decompressed() -> None:
    script = Script().on(path_is("/oai"), Reply(gzip.compress(b"<OAI-PMH/>"), headers=GZIPPED))
    with serving(script) as url, PoliteClient(_settings()) as client:
        assert client.get(f"{url}/oai", {}) == b"<OAI-PMH/>"
    assert script.seen[0].headers["Accept-Encoding"] == "gzip"


def test_gzip_bomb_is_refused_past_the_cap_without_retrying() -> None:
    script = Script().on(
        path_is("/oai"), Reply(gzip_bomb(MAX_RESPONSE_BYTES + 2**20), headers=GZIPPED)
    )
    with (
        serving(script) as url,
        PoliteClient(_settings()) as client,
        pytest.raises(FetchError, match=r"larger than 128 MiB decompressed; refused$"),
    ):
        client.get(f"{url}/oai", {})
    assert len(script.seen) == 1


def test_plain_answer_past_the_cap_is_refused() -> None:
    script = Script().on(path_is("/oai"), Reply(bytes(MAX_RESPONSE_BYTES + 1)))
    with (
        serving(script) as url,
        PoliteClient(_settings()) as client,
        pytest.raises(FetchError, match="larger than 128 MiB"),
    ):
        client.get(f"{url}/oai", {})


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(b"<feed/>", headers=GZIPPED), r"Content-Encoding gzip, but not gzip"),
        (Reply(gzip.compress(b"<feed/>")[:-12], headers=GZIPPED), "gzip stream ends early"),
        (Reply(b"<feed/>", headers=(("Content-Encoding", "br"),)), "unsupported Content-Encoding"),
    ],
    ids=["not-gzip", "truncated-gzip", "unknown"],
)
def test_bad_content_encoding_is_a_one_line_error(reply: Reply, message: str) -> None:
    script = Script().on(path_is("/api"), reply)
    with (
        serving(script) as url,
        PoliteClient(_settings()) as client,
        pytest.raises(FetchError, match=message) as raised,
    ):
        client.get(f"{url}/api", {})
    assert "\n" not in str(raised.value)
    assert len(script.seen) == 1


def test_redirect_loop_stops_after_a_few_hops_each_waiting_its_turn() -> None:
    script = Script().on(path_is("/api"), Reply(status=302, headers=(("Location", "/api"),)))
    with (
        serving(script) as url,
        PoliteClient(_settings(arxiv_delay_seconds=0.2)) as client,
        pytest.raises(FetchError, match=f"more than {MAX_REDIRECTS} redirects"),
    ):
        client.get(f"{url}/api", {})
    assert len(script.seen) == MAX_REDIRECTS + 1
    gaps = [b.at - a.at for a, b in zip(script.seen, script.seen[1:], strict=False)]
    assert all(gap >= 0.18 for gap in gaps), gaps


def test_a_redirect_is_followed() -> None:
    script = (
        Script()
        .on(path_is("/old"), Reply(status=301, headers=(("Location", "/new"),)))
        .on(path_is("/new"), Reply(b"<feed/>"))
    )
    with serving(script) as url, PoliteClient(_settings()) as client:
        assert client.get(f"{url}/old", {}) == b"<feed/>"
