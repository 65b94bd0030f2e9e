"""Two `paperwire serve` processes on one PostgreSQL database count rate limits
together: a client refused by one server is refused by the other too."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import httpx
import pytest
from backends import POSTGRES_URL_VARIABLE, wiped
from serve_process import serving

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped",
    ),
]


def test_two_servers_share_the_search_and_api_limits(tmp_path: Path) -> None:
    shared = {
        "PAPERWIRE_DATABASE_URL": wiped(os.environ[POSTGRES_URL_VARIABLE]),
        "PAPERWIRE_SECRET_KEY": secrets.token_hex(32),  # servers of one site share it
        "PAPERWIRE_LOAD_DEMO": "false",
        "PAPERWIRE_SEARCH_LIMIT_PER_MINUTE": "2",
        "PAPERWIRE_API_RATE_LIMIT_PER_MINUTE": "3",
    }
    for server in ("one", "two"):
        (tmp_path / server).mkdir()
    with (
        serving(tmp_path / "one", **shared) as (one, _),  # prepares the database first
        serving(tmp_path / "two", **shared) as (two, _),
    ):
        search = "/search?q=graph+networks"
        assert [httpx.get(one + search).status_code for _ in range(2)] == [200, 200]
        refused = httpx.get(two + search)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        api = "/api/daily_papers"
        assert [httpx.get(url + api).status_code for url in (one, two, one)] == [200] * 3
        assert httpx.get(two + api).status_code == 429
