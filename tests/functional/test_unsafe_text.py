"""Control and bidi-override characters a database holds never reach a page, feed or export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import httpx
import pytest
from factories import add_user, make_paper
from personas import TODAY, community_server, people

from paperwire.storage import Database
from paperwire.storage.comments import add_comment
from paperwire.storage.papers import upsert_papers
from paperwire.storage.submissions import submitted_by

HOSTILE_ID = "2606.30009"
# What paperwire.text removes, and the character references that would spell it in HTML.
UNSAFE_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
UNSAFE_REFERENCE_RE = re.compile(r"&#(?:x0*(?:202[a-e]|206[6-9])|0*(?:823[4-8]|837[4-7]));", re.I)


def _hostile_paper_and_comment(db: Database) -> None:
    """Stored as a database could already hold them, past every check at ingest and input.

    No NUL: PostgreSQL cannot store one in text.
    """
    hostile = make_paper(
        arxiv_id=HOSTILE_ID,
        listing_day=TODAY,
        imported_upvotes=3,
        title="Unsafe\u202e fdp.exe\x0b title\x1b[31m",
        authors=("Eve\u202d Override\x85", "Mallory \u2066Isolate\u2069"),
        abstract="First\x07 paragraph \u202eevil.\n\nSecond\x9b paragraph\x0c.",
        comment="12 pages\u202e\x1b",
        journal_ref="J. Unsafe\u202a 1 (2026)\x7f",
    )
    upsert_papers(db, [hostile])
    mallory = add_user(db, "mallory")
    add_comment(db, mallory.id, HOSTILE_ID, "nice \u202efdp.exe\x1b[0m &#x202e; done\x08")


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    _hostile_paper_and_comment(db)
    with community_server(db, tmp_path) as base:
        yield base


def _get(url: str, path: str) -> httpx.Response:
    response = httpx.get(url + path, timeout=10)
    assert response.status_code == 200, (path, response.text[:300])
    return response


def _assert_clean(path: str, text: str) -> None:
    assert not UNSAFE_RE.findall(text), path
    assert not UNSAFE_REFERENCE_RE.findall(text), path


@pytest.mark.parametrize(
    "path",
    [
        f"/papers/{HOSTILE_ID}",
        f"/papers/date/{TODAY}",
        "/",
        "/search?q=unsafe&mode=keyword",
        "/search?q=%E2%80%AEfdp%1B&mode=keyword",
    ],
)
def test_pages_hold_no_control_or_override_character(url: str, path: str) -> None:
    page = _get(url, path).text
    _assert_clean(path, page)


def test_the_paper_page_still_shows_the_text_around_them(url: str) -> None:
    page = _get(url, f"/papers/{HOSTILE_ID}").text
    assert "<h1>Unsafe fdp.exe title[31m</h1>" in page
    assert "Eve Override, Mallory Isolate" in page
    assert "<p>First paragraph evil.</p><p>Second paragraph.</p>" in page
    assert "nice fdp.exe[0m  done" in page  # the comment, its &#x202e; reference included


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/daily.rss",
        "/feeds/daily.atom",
        f"/papers/date/{TODAY}.rss",
        "/feeds/category/cs.AI.atom",
        "/feeds/search.rss?q=%E2%80%AEunsafe%1B",
    ],
)
def test_feeds_parse_as_xml_and_hold_no_control_or_override_character(url: str, path: str) -> None:
    response = _get(url, path)
    ElementTree.fromstring(response.content)  # raises on anything XML 1.0 forbids
    assert feedparser.parse(response.content).bozo == 0
    _assert_clean(path, response.text)
    assert "Unsafe fdp.exe title[31m" in response.text


@pytest.mark.parametrize(
    "path", [f"/papers/{HOSTILE_ID}.bib", f"/papers/{HOSTILE_ID}.md", f"/papers/date/{TODAY}.bib"]
)
def test_exports_hold_no_control_or_override_character(url: str, path: str) -> None:
    text = _get(url, path).text
    _assert_clean(path, text)
    assert "Unsafe fdp.exe title" in text


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/papers/{HOSTILE_ID}",
        f"/api/daily_papers?date={TODAY}",
        "/api/papers/search?q=unsafe",
        f"/api/papers?ids={HOSTILE_ID}",
    ],
)
def test_api_answers_hold_no_control_or_override_character(url: str, path: str) -> None:
    # A client may put these fields straight into its own page.
    answer = _get(url, path).json()
    strings = list(_strings(answer))
    assert any("Unsafe fdp.exe title[31m" in text for text in strings), path
    assert not [text for text in strings if UNSAFE_RE.search(text)], path


def test_a_submission_pasted_with_controls_is_the_paper_and_is_never_echoed(
    db: Database, url: str
) -> None:
    now = datetime.now(UTC)
    fresh = make_paper(arxiv_id=f"{now:%y%m}.00042", published_at=now - timedelta(days=1))
    upsert_papers(db, [fresh])
    alice_id = add_user(db, "alice", password=True).id
    with people(url, "alice") as (alice,):
        alice.log_in()
        response = alice.post("/submit", {"paper": f"\u202e{fresh.arxiv_id}\x1b\u2069"})
        assert response.status_code == 303, response.text.split("form-error", 1)[-1][:300]
        assert response.headers["location"] == f"/papers/{fresh.arxiv_id}"
        bad = alice.post("/submit", {"paper": "not\u202e an id\x1b"})
        assert bad.status_code == 400 and "Give an arXiv id" in bad.text
        _assert_clean("/submit", bad.text)
    assert submitted_by(db, alice_id, 10) == [fresh.arxiv_id]
