"""A real HTTP server on loopback that answers like GitHub's REST API for repositories, and
notes every request.

The bodies are shaped after GitHub's documented example of `GET /repos/{owner}/{repo}`
(docs.github.com/en/rest/repos/repos#get-a-repository, API version 2022-11-28), not
recorded: the same field names and types, with a subset of the fields. Behaviour follows
GitHub's documentation: a strong ETag per representation and 304 for a matching
If-None-Match; a renamed repository answers 301 with Location /repositories/{id}; a primary
rate limit advertised in X-RateLimit-* headers, answered 403 with X-RateLimit-Remaining: 0
once spent; secondary limits as 403/429 with Retry-After (scripted with `then`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Repo:
    id: int
    full_name: str
    stars: int

    @property
    def etag(self) -> str:
        return f'"{self.id:x}-{self.stars:x}"'


@dataclass(frozen=True)
class Reply:
    """A scripted answer given once instead of the normal one (a 500, a Retry-After...)."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]  # names lowercased
    at: float  # time.monotonic()


@dataclass
class FakeGitHub:
    """The repositories GitHub knows, and how it answers about them."""

    repos: dict[str, Repo] = field(default_factory=dict)  # by lowercased full_name
    renamed: dict[str, int] = field(default_factory=dict)  # old lowercased name -> id
    gone: dict[str, int] = field(default_factory=dict)  # lowercased name -> 404/410/451
    scripted: dict[str, list[Reply]] = field(default_factory=dict)  # lowercased name -> once
    rate_limit: int = 5000  # per window, as X-RateLimit-Limit
    window_seconds: float = 3600.0
    delay_seconds: float = 0.0  # before each answer (lets concurrent clients interleave)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _window_start: float = field(default_factory=time.time)
    _used: int = 0

    def add(self, full_name: str, stars: int, repo_id: int | None = None) -> Repo:
        repo = Repo(repo_id or 1000 + len(self.repos) + len(self.renamed), full_name, stars)
        self.repos[full_name.lower()] = repo
        return repo

    def rename(self, old: str, new: str) -> None:
        repo = self.repos.pop(old.lower())
        repo.full_name = new
        self.repos[new.lower()] = repo
        self.renamed[old.lower()] = repo.id

    def then(self, full_name: str, *replies: Reply) -> None:
        self.scripted.setdefault(full_name.lower(), []).extend(replies)

    def asked(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def answer(self, path: str, headers: dict[str, str], base: str) -> Reply:
        with self.lock:
            self.seen.append(Seen(path, headers, time.monotonic()))
            limit_headers = self._count_request()
            if limit_headers is None:
                return _spent(self._rate_headers())
            reply = self._answer(path, headers, base)
        own = {name.lower() for name, _ in reply.headers}  # a scripted reply's win
        kept = tuple((name, value) for name, value in limit_headers if name.lower() not in own)
        return Reply(reply.status, reply.headers + kept, reply.body)

    def _answer(self, path: str, headers: dict[str, str], base: str) -> Reply:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "repositories":
            by_id = {repo.id: repo for repo in self.repos.values()}
            repo = by_id.get(int(parts[1])) if parts[1].isdigit() else None
            return _repo_reply(repo, headers, base) if repo else _not_found()
        if len(parts) != 3 or parts[0] != "repos":
            return _not_found()
        name = f"{parts[1]}/{parts[2]}".lower()
        if self.scripted.get(name):
            return self.scripted[name].pop(0)
        if name in self.renamed:
            location = f"{base}/repositories/{self.renamed[name]}"
            return Reply(301, (("Location", location),), _message("Moved Permanently"))
        if name in self.gone:
            return Reply(self.gone[name], (), _message("Not Found"))
        repo = self.repos.get(name)
        return _repo_reply(repo, headers, base) if repo else _not_found()

    def _count_request(self) -> tuple[tuple[str, str], ...] | None:
        """The rate-limit headers of this answer; None when the window is spent."""
        now = time.time()
        if now >= self._window_start + self.window_seconds:
            self._window_start, self._used = now, 0
        if self._used >= self.rate_limit:
            return None
        self._used += 1
        return self._rate_headers()

    def _rate_headers(self) -> tuple[tuple[str, str], ...]:
        reset = int(self._window_start + self.window_seconds + 0.999)
        return (
            ("X-RateLimit-Limit", str(self.rate_limit)),
            ("X-RateLimit-Remaining", str(self.rate_limit - self._used)),
            ("X-RateLimit-Reset", str(reset)),
            ("X-RateLimit-Used", str(self._used)),
            ("X-RateLimit-Resource", "core"),
        )


def repository_json(repo: Repo, base: str) -> dict[str, object]:
    """A repository as GitHub's documented example shapes it (a subset of its fields)."""
    owner, name = repo.full_name.split("/")
    return {
        "id": repo.id,
        "node_id": f"R_kgDO{repo.id:08d}",
        "name": name,
        "full_name": repo.full_name,
        "private": False,
        "owner": {
            "login": owner,
            "id": repo.id * 7,
            "type": "User",
            "url": f"{base}/users/{owner}",
            "html_url": f"https://github.com/{owner}",
            "site_admin": False,
        },
        "html_url": f"https://github.com/{repo.full_name}",
        "description": "Code for the paper.",
        "fork": False,
        "url": f"{base}/repos/{repo.full_name}",
        "created_at": "2024-03-01T12:00:00Z",
        "updated_at": "2024-04-08T09:30:00Z",
        "pushed_at": "2024-04-07T18:02:11Z",
        "homepage": "",
        "size": 1024,
        "stargazers_count": repo.stars,
        "watchers_count": repo.stars,
        "language": "Python",
        "forks_count": repo.stars // 10,
        "archived": False,
        "disabled": False,
        "open_issues_count": 3,
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT"},
        "topics": ["machine-learning"],
        "visibility": "public",
        "forks": repo.stars // 10,
        "open_issues": 3,
        "watchers": repo.stars,
        "default_branch": "main",
        "network_count": repo.stars // 10,
        "subscribers_count": 12,
    }


def _repo_reply(repo: Repo, headers: dict[str, str], base: str) -> Reply:
    cache = (("ETag", repo.etag), ("Cache-Control", "public, max-age=60, s-maxage=60"))
    if headers.get("if-none-match") == repo.etag:
        return Reply(304, cache)
    body = json.dumps(repository_json(repo, base)).encode()
    return Reply(200, (("Content-Type", "application/json; charset=utf-8"), *cache), body)


def _message(text: str) -> bytes:
    docs = "https://docs.github.com/rest/repos/repos#get-a-repository"
    return json.dumps({"message": text, "documentation_url": docs, "status": "404"}).encode()


def _not_found() -> Reply:
    return Reply(404, (("Content-Type", "application/json; charset=utf-8"),), _message("Not Found"))


def _spent(headers: tuple[tuple[str, str], ...]) -> Reply:
    body = json.dumps(
        {
            "message": "API rate limit exceeded for 127.0.0.1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
    ).encode()
    return Reply(403, headers, body)


def retry_after(status: int, seconds: int) -> Reply:
    """A secondary rate limit: 403 or 429 with Retry-After."""
    body = json.dumps({"message": "You have exceeded a secondary rate limit."}).encode()
    return Reply(status, (("Retry-After", str(seconds)),), body)


def primary_limit_spent(reset_epoch: int) -> Reply:
    """A 403 for a spent primary limit, resetting at reset_epoch."""
    headers = (
        ("X-RateLimit-Limit", "60"),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset", str(reset_epoch)),
    )
    return _spent(headers)


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub

    def do_GET(self) -> None:
        if self.github.delay_seconds:
            time.sleep(self.github.delay_seconds)
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.github.answer(urlsplit(self.path).path, headers, base)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def serving(github: FakeGitHub) -> Iterator[str]:
    """Serve the fake GitHub on a free loopback port; yield its base URL."""
    handler = type("Handler", (_Handler,), {"github": github})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
