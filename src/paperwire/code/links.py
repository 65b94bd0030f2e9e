"""Find a paper's code repository and project page in its abstract and comment: pure.

A code link is a repository on GitHub, GitLab or Hugging Face (a model, a Space or a
data set); a project page is a *.github.io page or a URL the text introduces as one
("project page", "website", "demo"...). Both are normalised, so that the same repository
written five ways is stored once: https, host in lower case without www., no .git, no
tree/blob/issues path beyond the repository, no query or fragment, no trailing punctuation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

GITHUB = "github.com"
GITLAB = "gitlab.com"
HUGGING_FACE = "huggingface.co"
CODE_HOSTS = (GITHUB, GITLAB, HUGGING_FACE)
MAX_URL_CHARS = 500
_HOST_ALIASES = {"hf.co": HUGGING_FACE}
# Paths on a code host that are the host's own pages, never a repository owner.
_GITHUB_RESERVED = frozenset(
    [
        "about",
        "account",
        "advisories",
        "apps",
        "blog",
        "codespaces",
        "collections",
        "contact",
        "customer-stories",
        "dashboard",
        "enterprise",
        "enterprises",
        "events",
        "explore",
        "features",
        "home",
        "issues",
        "join",
        "login",
        "logout",
        "marketplace",
        "new",
        "notifications",
        "organizations",
        "orgs",
        "pricing",
        "pulls",
        "readme",
        "search",
        "security",
        "settings",
        "site",
        "solutions",
        "sponsors",
        "stars",
        "team",
        "topics",
        "trending",
        "user-attachments",
        "users",
        "watching",
    ]
)
_GITLAB_RESERVED = frozenset(
    ["-", "admin", "api", "dashboard", "explore", "groups", "help", "projects", "search", "users"]
)
_GITLAB_PATH_ENDS = frozenset(
    [
        "-",
        "tree",
        "blob",
        "raw",
        "issues",
        "merge_requests",
        "wikis",
        "wiki",
        "commits",
        "commit",
        "releases",
        "tags",
        "branches",
        "pipelines",
        "jobs",
        "activity",
        "graphs",
        "network",
        "archive",
        "snippets",
    ]
)
_HF_RESERVED = frozenset(
    [
        "about",
        "api",
        "blog",
        "changelog",
        "chat",
        "collections",
        "docs",
        "enterprise",
        "join",
        "learn",
        "login",
        "models",
        "new",
        "organizations",
        "papers",
        "posts",
        "pricing",
        "privacy",
        "search",
        "settings",
        "tasks",
        "terms-of-service",
        "welcome",
    ]
)
_HF_KINDS = frozenset({"spaces", "datasets"})
# Hosts a "demo" or "website" may point at that are no project page of the paper.
_NOT_PROJECT_HOSTS = frozenset(
    [
        "arxiv.org",
        "doi.org",
        "dx.doi.org",
        "youtube.com",
        "youtu.be",
        "twitter.com",
        "x.com",
        "zenodo.org",
        "drive.google.com",
        "openreview.net",
        "bit.ly",
    ]
)
_OWNER_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,38})$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_URL_RE = re.compile(
    # A scheme may follow a word ("athttps://..."): the text lost its space, not the URL.
    r"(?:(?P<scheme>https?://)|(?<![\w.@/-]))(?P<host>(?:[a-z0-9-]+\.)+[a-z]{2,})"
    r"(?P<rest>[/?#][^\s<>\"'{}|\\^`\[\]()]*)?",
    re.IGNORECASE,
)
# Printable ASCII without the characters RFC 3986 never allows in a URL ("<>`{}|\^ and
# space): a link with them is refused rather than stored.
_URL_CHARS_RE = re.compile(r"^[!#-;=?-\[\]_a-z~]+$", re.IGNORECASE)
_TRAILING = ".,;:!?*+'\""
_LATEX_ESCAPE_RE = re.compile(r"\\([_%#&~])")
_BROKEN_SCHEME_RE = re.compile(r"\b(https?):\s*/+\s*", re.IGNORECASE)  # "https: //", "https:/"
# arXiv wraps abstracts at 80 columns and stored text joins the lines with a space, so a
# URL its author broke reads "github.com/ owner/repo", "github.com/owner/ Repo-name" or
# "github.com/owner/repo- name". Each pattern is tried right after a code host's name.
_BREAK_AFTER_HOST_RE = re.compile(r"\s+(?=[\w.-]+/[\w.-])")
_BREAK_AFTER_OWNER_RE = re.compile(r"[\w.-]+/(\s+)([\w.-]+)")
_BREAK_AFTER_DASH_RE = re.compile(r"[\w./-]*[-_](\s+)\w")
_REPO_LIKE_RE = re.compile(r"[-_0-9A-Z.]")
_PAGE_WORDS_RE = re.compile(
    r"(?:project|demo|web)\s*(?:page|site)|website|home\s*page|\bdemos?\b|\bproject\s*:",
    re.IGNORECASE,
)
_PAGE_WORDS_BEFORE_CHARS = 80  # how far before a URL its introducing words may be
_PAGE_WORDS_GAP_CHARS = 40  # at most this much text between those words and the URL
# The only words that may stand between "project page" and its URL: "is available at".
_GAP_WORDS = frozenset(
    [
        "is",
        "are",
        "will",
        "be",
        "can",
        "now",
        "available",
        "publicly",
        "released",
        "found",
        "accessed",
        "hosted",
        "at",
        "on",
        "in",
        "via",
        "here",
        "see",
        "visit",
        "our",
        "the",
        "this",
        "its",
        "and",
        "code",
        "data",
        "with",
        "videos",
        "more",
        "details",
        "results",
        "url",
        "href",
        "link",
        "for",
        "visualizations",
        "weights",
        "accessible",
    ]
)
_GAP_SPLIT_RE = re.compile(r"[a-z]+")
_CODE_HOST_HINTS = ("github.com/", "gitlab.com/", "huggingface.co/", "hf.co/")


@dataclass(frozen=True, slots=True)
class CodeUrl:
    """A repository: its host (github.com...), its path as written (owner/name, or
    spaces/owner/name and datasets/owner/name on Hugging Face) and its normal URL."""

    host: str
    path: str
    url: str


@dataclass(frozen=True, slots=True)
class FoundLinks:
    code_url: str | None = None
    project_url: str | None = None


NO_LINKS = FoundLinks()


def find_links(abstract: str, comment: str | None = None) -> FoundLinks:
    """The first repository the abstract names (else the comment), and likewise the first
    project page; either may be None."""
    code: str | None = None
    project: str | None = None
    for text in (abstract, comment) if comment else (abstract,):
        for kind, url in _links_in(text):
            if kind == "code" and code is None:
                code = url
            elif kind == "project" and project is None:
                project = url
    return FoundLinks(code, project)


def normalise_code_url(text: str) -> CodeUrl | None:
    """The repository a URL (or a bare host/path such as github.com/owner/repo) points at,
    or None when it points at no repository of a supported host."""
    parts = _split(text)
    if parts is None:
        return None
    host, path = parts
    return _repository(host, path)


def normalise_project_url(text: str) -> str | None:
    """An http(s) URL as stored for a project page (host in lower case, no query, no
    fragment, no trailing slash or punctuation), or None when it is not one."""
    parts = _split(text, keep_scheme=True)
    if parts is None:
        return None
    host, path = parts
    if "." not in host:
        return None
    url = _page_url(host, path, text.strip())
    return url if len(url) <= MAX_URL_CHARS else None


def _split(text: str, *, keep_scheme: bool = False) -> tuple[str, str] | None:
    """(host, path) of an http(s) URL; a URL without scheme is read as https."""
    candidate = text.strip()
    if not candidate or len(candidate) > MAX_URL_CHARS or not _URL_CHARS_RE.match(candidate):
        return None
    if "://" not in candidate:
        candidate = "https://" + candidate
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host = parts.hostname.lower() + (f":{parts.port}" if parts.port is not None else "")
    return host, parts.path or "/"


def _links_in(text: str) -> list[tuple[str, str]]:
    """("code" or "project", normal URL) for each link found in text, in order."""
    lowered = text.lower()
    if not _may_hold_links(lowered):
        return []  # most abstracts: no regular expression runs at all
    prepared = _prepared(text, lowered)
    found: list[tuple[str, str]] = []
    for match in _URL_RE.finditer(prepared):
        link = _classify(prepared, match)
        if link is not None:
            found.append(link)
    return found


def _may_hold_links(lowered: str) -> bool:
    # Spelled out rather than any() over a tuple: this runs for every abstract ingested.
    return (
        "://" in lowered
        or "www." in lowered
        or "github" in lowered
        or "gitlab" in lowered
        or "huggingface" in lowered
        or "hf.co" in lowered
    )


def _prepared(text: str, lowered: str) -> str:
    """text with LaTeX escapes undone and URLs broken across lines joined again; each
    repair runs only where a plain substring test says it may be needed (ingest speed)."""
    if "\\" in text or "{_}" in text or "$_$" in text:
        text = _LATEX_ESCAPE_RE.sub(r"\1", text).replace("{_}", "_").replace("$_$", "_")
    if lowered.count(":/") != lowered.count("://") or ": /" in lowered or ":// " in lowered:
        text = _BROKEN_SCHEME_RE.sub(r"\1://", text)
    return _join_broken_code_urls(text)


def _join_broken_code_urls(text: str) -> str:
    """text without the spaces that break its code URLs."""
    spans = sorted(span for start in _after_code_hosts(text) for span in _breaks(text, start))
    if not spans:
        return text
    pieces, last = [], 0
    for begin, end in spans:
        pieces.append(text[last:begin])
        last = end
    return "".join([*pieces, text[last:]])


def _after_code_hosts(text: str) -> Iterator[int]:
    """Where the path after each code host's name begins."""
    lowered = text.lower()
    for host in _CODE_HOST_HINTS:
        found = lowered.find(host)
        while found != -1:
            yield found + len(host)
            found = lowered.find(host, found + 1)


def _breaks(text: str, start: int) -> list[tuple[int, int]]:
    """The span of the space that breaks the code URL whose path begins at start, if any."""
    if match := _BREAK_AFTER_HOST_RE.match(text, start):
        return [match.span()]
    match = _BREAK_AFTER_OWNER_RE.match(text, start)
    if match is not None and _looks_like_name(match.group(2)):
        return [match.span(1)]
    if match := _BREAK_AFTER_DASH_RE.match(text, start):
        return [match.span(1)]
    return []


def _looks_like_name(word: str) -> bool:
    # "github.com/owner/ Name-2" continues the URL; "github.com/owner/ soon." does not.
    return word[:1].isupper() or _REPO_LIKE_RE.search(word.rstrip(_TRAILING)[1:]) is not None


def _classify(text: str, match: re.Match[str]) -> tuple[str, str] | None:
    host = match.group("host").lower().removeprefix("www.")
    host = _HOST_ALIASES.get(host, host)
    rest = match.group("rest") or ""
    path = re.split(r"[?#]", rest, maxsplit=1)[0].rstrip(_TRAILING)
    if host in CODE_HOSTS:
        found = _repository(host, path)
        return ("code", found.url) if found is not None else None
    written = match.group(0).rstrip(_TRAILING)
    if host.endswith(".github.io"):
        return "project", _page_url(host, path, "https")
    has_scheme = match.group("scheme") is not None
    if not (has_scheme or match.group("host").lower().startswith("www.")):
        return None
    if host in _NOT_PROJECT_HOSTS or not _introduced_as_page(text, match.start()):
        return None
    # A page keeps its www.: not every site answers without it.
    return "project", _page_url(match.group("host").lower(), path, written)


def _introduced_as_page(text: str, start: int) -> bool:
    """Whether words like "project page" or "website" come shortly before start, with
    nothing between but "is available at" and the like."""
    before = text[max(0, start - _PAGE_WORDS_BEFORE_CHARS) : start]
    words = list(_PAGE_WORDS_RE.finditer(before))
    if not words:
        return False
    gap = before[words[-1].end() :]
    return len(gap) <= _PAGE_WORDS_GAP_CHARS and all(
        word in _GAP_WORDS for word in _GAP_SPLIT_RE.findall(gap.lower())
    )


def _page_url(host: str, path: str, written: str) -> str:
    """The stored form of a project page: the scheme as written (https for github.io and
    for a page written without one)."""
    plain_http = written.lower().startswith("http://") and not host.endswith(".github.io")
    return f"{'http' if plain_http else 'https'}://{host}{path.rstrip(_TRAILING).rstrip('/')}"


def _repository(host: str, path: str) -> CodeUrl | None:
    host = _HOST_ALIASES.get(host.removeprefix("www."), host.removeprefix("www."))
    segments = [segment for segment in path.split("/") if segment]
    if host == GITHUB:
        found = _github_path(segments)
    elif host == GITLAB:
        found = _gitlab_path(segments)
    elif host == HUGGING_FACE:
        found = _hugging_face_path(segments)
    else:
        return None
    return CodeUrl(host, found, f"https://{host}/{found}") if found else None


def _github_path(segments: list[str]) -> str | None:
    if len(segments) < 2 or segments[0].lower() in _GITHUB_RESERVED:
        return None
    return _owner_and_name(segments[0], segments[1])


def _gitlab_path(segments: list[str]) -> str | None:
    if not segments or segments[0].lower() in _GITLAB_RESERVED:
        return None
    kept: list[str] = []
    for segment in segments:
        if segment.lower() in _GITLAB_PATH_ENDS and len(kept) >= 2:
            break
        kept.append(segment)
    if len(kept) < 2:
        return None
    name = _owner_and_name(kept[-2], kept[-1])
    groups = kept[:-2]
    if name is None or not all(_NAME_RE.match(group) for group in groups):
        return None
    return "/".join([*groups, name])


def _hugging_face_path(segments: list[str]) -> str | None:
    if segments and segments[0].lower() in _HF_KINDS:
        found = _owner_and_name(*segments[1:3]) if len(segments) >= 3 else None
        return f"{segments[0].lower()}/{found}" if found else None
    if len(segments) < 2 or segments[0].lower() in _HF_RESERVED:
        return None
    return _owner_and_name(segments[0], segments[1])


def _owner_and_name(owner: str, name: str) -> str | None:
    """owner/name with .git and trailing dots dropped from name; None when either is no
    valid name."""
    name = name.rstrip(".")
    if name.lower().endswith(".git"):
        name = name[:-4].rstrip(".")
    if not _OWNER_RE.match(owner) or not _NAME_RE.match(name) or name in (".", ".."):
        return None
    return f"{owner}/{name}"
