"""Upvotes over HTTP: plain forms and fetch, counts on every list, trending and its reasons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from factories import make_paper
from personas import OLDER, SECOND, TODAY, TOP, community_server, people

from paperwire.storage import Database
from paperwire.storage.papers import upsert_papers

DAY = f"/papers/date/{TODAY}"


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    with community_server(db, tmp_path) as base:
        yield base


def _count(html: str, arxiv_id: str) -> int:
    """The upvote count shown next to a paper on a list page."""
    entry = html.split(f'value="{arxiv_id}"', 1)[1] if f'value="{arxiv_id}"' in html else html
    found = re.search(r'<span class="count">(\d+)</span>', entry)
    assert found is not None
    return int(found.group(1))


def test_anonymous_vote_goes_to_log_in_and_counts_nothing(url: str) -> None:
    with people(url, "mallory") as (mallory,):
        html = mallory.page(DAY)
        assert f"/login?next={DAY}" in html.replace("%2F", "/")
        response = mallory.vote(TOP)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert '<span class="count">5</span>' in mallory.page(f"/papers/{TOP}")


def test_plain_form_vote_returns_to_the_page_and_counts_with_imported_upvotes(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        before = alice.page(DAY)  # cached before the vote: the vote must retire it
        assert _count(before, TOP) == 5
        response = alice.post("/vote", {"paper": TOP, "up": "1", "next": DAY})
        assert response.status_code == 303 and response.headers["location"] == DAY
        after = alice.page(DAY)
        assert _count(after, TOP) == 6
        assert 'aria-pressed="true"' in after.split(f'value="{TOP}"', 1)[1].split("</form>", 1)[0]


def test_fetch_vote_answers_json_and_toggles(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        bob.sign_up()
        token = alice.csrf()
        headers = {"Accept": "application/json", "X-CSRF-Token": token}
        first = alice.client.post("/vote", data={"paper": SECOND}, headers=headers)
        assert first.json() == {"paper": SECOND, "voted": True, "upvotes": 5}
        bob.vote(SECOND)
        second = alice.client.post("/vote", data={"paper": SECOND}, headers=headers)
        assert second.json() == {"paper": SECOND, "voted": False, "upvotes": 5}


def test_votes_reorder_the_day_list(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        for persona in (alice, bob):
            persona.sign_up()
            persona.vote(SECOND)
        html = alice.page(DAY)
        assert html.index("Second") < html.index("Top paper")  # 4 + 2 > 5


def test_vote_on_an_unknown_paper_is_404(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        assert alice.vote("2606.99999").status_code == 404


def test_trending_page_says_why_a_paper_is_there(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        for persona in (alice, bob):
            persona.sign_up()
            persona.vote(OLDER)
        html = alice.page("/papers/trending")
        entry = html.split(f"arXiv:{OLDER}", 1)[1].split("</li>", 1)[0]
        assert "+2 upvotes in the last 24 h · 11 upvotes, listed 3 days earlier" in entry


def test_fresh_votes_lift_a_paper_on_the_trending_page(url: str) -> None:
    with people(url, "alice", "bob", "carol") as voters:
        html = voters[0].page("/papers/trending")
        assert html.index("Older") > html.index("Top paper")  # 9 upvotes 3 days old: 4.5 < 5
        for persona in voters:
            persona.sign_up()
            persona.vote(OLDER)
        html = voters[0].page("/papers/trending")
        assert html.index("Older") < html.index("Top paper")


def test_sort_trending_on_day_week_and_month_lists(url: str) -> None:
    with people(url, "alice") as (alice,):
        for path in (DAY, "/papers/week/2026-W25", "/papers/month/2026-06"):
            html = alice.page(f"{path}?sort=trending")
            assert "by trending score" in html and "Top paper" in html
        assert alice.client.get(f"{DAY}?sort=sideways").status_code == 400


def test_paper_page_draws_its_upvote_history(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.vote(TOP)
        html = alice.page(f"/papers/{TOP}")
        svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
        assert 'role="img"' in svg and "5 to 6" in svg and "<polyline" in svg


def test_user_page_lists_upvotes(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        alice.vote(OLDER)
        html = bob.page("/users/alice")
        assert "Older" in html.split("<h2>Upvoted</h2>", 1)[1]
        assert bob.client.get("/users/nobody").status_code == 404


def test_votes_are_rate_limited_per_user(db: Database, tmp_path: Path) -> None:
    with (
        community_server(db, tmp_path, vote_limit_per_minute=2) as base,
        people(base, "alice") as (alice,),
    ):
        alice.sign_up()
        codes = [alice.vote(TOP, up=None).status_code for _ in range(3)]
        assert codes == [303, 303, 429]


def test_api_counts_votes_and_comments_at_once(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        before = bob.client.get(f"/api/daily_papers?date={TODAY}").json()
        assert [item["paper"]["upvotes"] for item in before][:2] == [5, 4]  # cached now
        alice.sign_up()
        alice.vote(SECOND)
        alice.vote(TOP, up="1")
        alice.post("/comments", {"paper": SECOND, "body": "worth reading"})
        daily = bob.client.get(f"/api/daily_papers?date={TODAY}").json()
        assert [(i["paper"]["id"], i["paper"]["upvotes"], i["numComments"]) for i in daily] == [
            (TOP, 6, 0),
            (SECOND, 5, 1),
        ]
        assert bob.client.get(f"/api/papers/{SECOND}").json()["upvotes"] == 5


def test_an_old_paper_voted_on_again_joins_the_trending_page(db: Database, url: str) -> None:
    rediscovered = "2301.00042"
    upsert_papers(
        db,
        [make_paper(arxiv_id=rediscovered, listing_day=date(2023, 1, 9), title="Rediscovered")],
    )
    with people(url, "alice", "bob") as (alice, bob):
        assert "Rediscovered" not in alice.page("/papers/trending")
        for persona in (alice, bob):
            persona.sign_up()
            persona.vote(rediscovered)
        html = alice.page("/papers/trending")
        entry = html.split(f"arXiv:{rediscovered}", 1)[1].split("</li>", 1)[0]
        assert "+2 upvotes in the last 24 h · 2 upvotes, listed 3 years earlier" in entry
        # Scored by its 2 fresh votes alone: below "Older" (9 upvotes 3 days old: 4.5).
        assert html.index("Rediscovered") > html.index("Older")
