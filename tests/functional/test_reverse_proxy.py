"""The deployment docs' set-up, run for real: nginx with deploy/nginx/paperwire.conf in
front of two `paperwire serve` processes on one PostgreSQL database. Requests go to both
servers, a log-in made through one holds on the other, limits are shared, and /metrics
stays off the public site."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from backends import POSTGRES_URL_VARIABLE, wiped
from factories import PASSWORD, add_user
from live_server import free_port
from serve_process import serving, wait_until_up

from paperwire import __file__ as package_file
from paperwire.storage import Database

SITE_CONFIG = Path(package_file).parents[2] / "deploy" / "nginx" / "paperwire.conf"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: PostgreSQL tests skipped",
    ),
    pytest.mark.skipif(
        shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)"
    ),
]


@contextmanager
def nginx(folder: Path, port: int, upstreams: list[str]) -> Iterator[str]:
    """nginx serving the shipped site config on port, in front of the upstream servers."""
    site = SITE_CONFIG.read_text()
    site = re.sub(r"listen \d+;", f"listen 127.0.0.1:{port};", site)
    lines = "".join(f"    server {u} max_fails=3 fail_timeout=10s;\n" for u in upstreams)
    site = re.sub(r"(    server 127\.0\.0\.1:800\d [^\n]*\n)+", lines, site)
    (folder / "site.conf").write_text(site)
    main = f"""
        {"user root;" if os.geteuid() == 0 else ""}
        daemon off;
        worker_processes 1;
        pid {folder}/nginx.pid;
        error_log {folder}/error.log;
        events {{}}
        http {{
            access_log off;
            client_body_temp_path {folder}/body;
            proxy_temp_path {folder}/proxy;
            include {folder}/site.conf;
        }}
    """
    (folder / "nginx.conf").write_text(main)
    process = subprocess.Popen(
        ["nginx", "-c", str(folder / "nginx.conf"), "-p", str(folder)], text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _api_requests(server: str) -> float:
    metrics = httpx.get(f"{server}/metrics").text
    labels = r'\{method="GET",route="/api/daily_papers",status="2xx"\}'
    pattern = r"paperwire_http_request_duration_seconds_count" + labels + r" (\S+)"
    found = re.search(pattern, metrics)
    return float(found.group(1)) if found else 0.0


def test_two_servers_behind_nginx_share_log_ins_and_limits(tmp_path: Path) -> None:
    database_url = wiped(os.environ[POSTGRES_URL_VARIABLE])
    db = Database.open(database_url)
    db.upgrade()
    add_user(db, "alice", password=True)
    db.close()
    proxy_port = free_port()
    shared = {
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_SECRET_KEY": secrets.token_hex(32),
        "PAPERWIRE_BASE_URL": f"http://127.0.0.1:{proxy_port}",
        "PAPERWIRE_LOAD_DEMO": "false",
        "PAPERWIRE_SEARCH_LIMIT_PER_MINUTE": "3",
    }
    for name in ("one", "two", "nginx"):
        (tmp_path / name).mkdir()
    with (
        serving(tmp_path / "one", **shared) as (one, _),
        serving(tmp_path / "two", **shared) as (two, _),
        nginx(tmp_path / "nginx", proxy_port, [urlsplit(u).netloc for u in (one, two)]) as site,
        httpx.Client(base_url=site) as reader,
    ):
        assert all(reader.get("/api/daily_papers").status_code == 200 for _ in range(10))
        assert _api_requests(one) > 0 and _api_requests(two) > 0  # both served some
        login = reader.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', login)
        assert csrf is not None
        answer = reader.post(
            "/login", data={"csrf": csrf.group(1), "login": "alice", "password": PASSWORD}
        )
        assert answer.status_code == 303
        pages = [reader.get("/account") for _ in range(6)]  # round robin: both servers
        assert all(page.status_code == 200 and "alice" in page.text for page in pages)
        searches = [reader.get("/search?q=graph").status_code for _ in range(4)]
        assert searches == [200, 200, 200, 429]
        assert reader.get("/metrics").status_code == 404
