"""A database that goes down answers 503 with Retry-After, never 500, for pages, the API
and /healthz, logged-in readers included; the site recovers by itself once the database
is back. PostgreSQL, reached through a proxy the test takes down."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from backends import POSTGRES_URL_VARIABLE, wiped
from personas import TODAY, community_server, people
from sqlalchemy import make_url
from tcp_proxy import TcpProxy

from paperwire.storage import Database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped",
    ),
]


@pytest.fixture
def proxy_and_db() -> Iterator[tuple[TcpProxy, Database]]:
    url = make_url(wiped(os.environ[POSTGRES_URL_VARIABLE]))
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        database = Database.open(proxied.render_as_string(hide_password=False))
        database.upgrade()
        yield proxy, database
        database.close()


def test_a_database_outage_is_a_503_with_retry_after_and_the_site_recovers(
    proxy_and_db: tuple[TcpProxy, Database], tmp_path: Path
) -> None:
    proxy, db = proxy_and_db
    with community_server(db, tmp_path) as url, people(url, "alice") as (alice,):
        alice.sign_up()
        day = f"/papers/date/{TODAY}"
        assert alice.client.get(day).status_code == 200
        proxy.stop()
        for response in (
            alice.client.get(day),  # a logged-in reader: the error page looks nobody up
            httpx.get(f"{url}/papers/date/{TODAY}?page=2"),
            httpx.get(f"{url}/api/daily_papers"),
            httpx.get(f"{url}/healthz"),
        ):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "10"
            assert "database is unavailable" in response.text
        assert httpx.get(f"{url}/api/daily_papers").json()["status"] == 503
        proxy.start()
        assert alice.client.get(day).status_code == 200
        assert httpx.get(f"{url}/healthz").status_code == 200
