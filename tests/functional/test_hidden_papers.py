"""A paper hidden or removed with `paperwire papers` leaves every page, feed, search and API
answer of a running server at once, and a hidden one comes back when shown again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from factories import add_user, make_paper
from personas import SECOND, TODAY, TOP, community_server, people

from paperwire.cli.main import cli
from paperwire.community.submissions import SubmissionError, submit_paper
from paperwire.config import Settings
from paperwire.search.embedder import load_embedder
from paperwire.search.indexing import embed_pending
from paperwire.storage import Database
from paperwire.storage.papers import hidden_papers, hide_papers, upsert_papers

SPAM = "2606.30009"
QUERY = "hydrogen+storage+catalysts"
# Every place a reader could meet the paper, each showing it before it is hidden.
LISTS = (
    "/",
    f"/papers/date/{TODAY}",
    "/papers/trending",
    f"/search?q={QUERY}",
    f"/search?q={QUERY}&mode=keyword",
    f"/search?q={QUERY}&mode=semantic",
    f"/papers/{TOP}",  # its similar papers
    "/feeds/daily.rss",
    f"/papers/date/{TODAY}.atom",
    "/papers/trending.rss",
    "/feeds/category/cs.AI.atom",
    f"/feeds/search.rss?q={QUERY}",
    f"/papers/date/{TODAY}.bib",
    "/api/daily_papers",
    "/api/daily_papers?sort=trending",
    "/api/papers",
    f"/api/papers/search?q={QUERY}",
    f"/api/papers/search?q={QUERY}&mode=keyword",
    f"/api/papers/{TOP}/similar",
)
OWN_PAGES = (
    f"/papers/{SPAM}",
    f"/papers/{SPAM}.bib",
    f"/papers/{SPAM}.md",
    f"/api/papers/{SPAM}",
    f"/api/papers/{SPAM}/similar",
)


@pytest.fixture
def url(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PAPERWIRE_DATABASE_URL", db.engine.url.render_as_string(False))
    monkeypatch.setenv("PAPERWIRE_DATA_DIR", str(tmp_path / "cli"))
    with community_server(db, tmp_path) as base:
        spam = make_paper(
            arxiv_id=SPAM,
            listing_day=TODAY,
            imported_upvotes=7,
            title="Cheap hydrogen storage catalysts for everything",
            abstract="Hydrogen storage with catalysts, storage of hydrogen, and catalysts.",
        )
        upsert_papers(db, [spam])  # stored while the server runs, as a harvest would
        embed_pending(db, load_embedder("bundled"))
        yield base


def _papers(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["papers", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _shown(client: httpx.Client, arxiv_id: str) -> dict[str, bool]:
    """Which lists show the paper (each must answer 200)."""
    found = {}
    for path in LISTS:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found[path] = arxiv_id in response.text
    return found


def _statuses(client: httpx.Client) -> set[int]:
    return {client.get(path).status_code for path in OWN_PAGES}


def test_a_hidden_paper_is_gone_everywhere_and_back_when_shown(url: str) -> None:
    with people(url, "alice") as (alice,):
        client = alice.client
        assert all(_shown(client, SPAM).values()), _shown(client, SPAM)
        assert _statuses(client) == {200}
        _papers("hide", f"arXiv:{SPAM}v1", "--reason", "spam")
        assert not any(_shown(client, SPAM).values()), _shown(client, SPAM)
        assert _statuses(client) == {404}
        assert TOP in alice.page(f"/papers/date/{TODAY}")  # the others stay
        alice.sign_up()
        assert alice.vote(SPAM).status_code == 404
        assert alice.post("/comments", {"paper": SPAM, "body": "Spam!"}).status_code == 404
        _papers("unhide", SPAM)
        assert all(_shown(client, SPAM).values()), _shown(client, SPAM)
        assert _statuses(client) == {200}
        assert alice.vote(SPAM).status_code == 303


def test_a_removed_paper_goes_with_its_votes_and_comments(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert alice.vote(SECOND).status_code == 303
        assert alice.post("/comments", {"paper": SECOND, "body": "Nice."}).status_code == 303
        assert SECOND in alice.page("/users/alice")
        assert SECOND in alice.page(f"/api/papers/{TOP}/similar")  # the index holds it
        assert SECOND in alice.page(f"/papers/date/{TODAY}")
        result = _papers("remove", SECOND)
        assert result.stdout == f"removed {SECOND} with its 1 vote, 1 comment\n"
        assert alice.client.get(f"/papers/{SECOND}").status_code == 404
        assert not any(_shown(alice.client, SECOND).values()), _shown(alice.client, SECOND)
        assert SECOND not in alice.page("/users/alice")
        assert alice.vote(SECOND).status_code == 404


def test_a_hidden_paper_cannot_be_submitted_even_when_arxiv_has_it(
    db: Database, tmp_path: Path
) -> None:
    fresh = make_paper(arxiv_id=SPAM, published_at=datetime.now(UTC) - timedelta(days=1))
    upsert_papers(db, [fresh])
    hide_papers(db, [SPAM], reason="taken down")
    alice = add_user(db, "alice")
    with pytest.raises(SubmissionError, match="cannot be submitted"):
        submit_paper(db, Settings(data_dir=tmp_path), alice, SPAM, lambda _arxiv_id: fresh)
    assert [paper.arxiv_id for paper in hidden_papers(db)] == [SPAM]
