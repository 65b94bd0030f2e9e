"""The "for you" feed over HTTP: cold start, learning from saves and "not interested",
follows, explanations, and one reader's feed never shown to another."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from feed_papers import MOLECULES, SAVED_MOLECULE, SPEECH, add_feed_papers
from personas import TODAY, community_server, people

from paperwire.storage import Database


@pytest.fixture
def url(db: Database, tmp_path: Path) -> Iterator[str]:
    add_feed_papers(db)
    with community_server(db, tmp_path) as base:
        yield base


def _order(html: str) -> list[str]:
    """The arXiv ids of the feed, in order."""
    return re.findall(r'<h2><a href="/papers/([^"]+)">', html)


def test_a_new_reader_is_shown_how_to_start(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        html = alice.page("/for-you")
        assert "Follow categories" in html and 'value="cs.CL"' in html
        assert _order(html) == []


def test_saving_a_paper_ranks_papers_like_it_first_and_says_why(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": SAVED_MOLECULE[0]})
        html = alice.page("/for-you")
        order = _order(html)
        assert SAVED_MOLECULE[0] not in order  # what you saved is not news to you
        assert set(order[:3]) == {arxiv_id for arxiv_id, _, _ in MOLECULES}
        assert f'close to <a href="/papers/{SAVED_MOLECULE[0]}">' in html
        assert "which you saved" in html


def test_not_interested_takes_a_paper_out_of_the_feed_at_once(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": SAVED_MOLECULE[0]})
        first = _order(alice.page("/for-you"))[0]
        response = alice.post("/not-interested", {"paper": first, "next": "/for-you"})
        assert response.status_code == 303 and response.headers["location"] == "/for-you"
        assert first not in _order(alice.page("/for-you"))
        alice.post("/not-interested", {"paper": first, "undo": "1"})
        assert first in _order(alice.page("/for-you"))


def test_a_followed_author_comes_first_with_the_reason(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": SAVED_MOLECULE[0]})
        alice.post("/follow", {"kind": "author", "value": "grace  hopper"})
        html = alice.page("/for-you")
        assert _order(html)[0] == SPEECH[0][0]
        assert "by Grace Hopper, whom you follow" in html


def test_following_only_a_category_gives_a_feed_of_that_category(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/follow", {"kind": "category", "value": "eess.AS"})
        html = alice.page("/for-you")
        assert sorted(_order(html)) == [arxiv_id for arxiv_id, _, _ in SPEECH]
        assert "in eess.AS, which you follow" in html


def test_one_readers_feed_learns_nothing_from_another(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        bob.sign_up()
        alice.post("/library/save", {"paper": SAVED_MOLECULE[0]})
        alice.post("/follow", {"kind": "author", "value": "Grace Hopper"})
        html = bob.page("/for-you")
        assert "Follow categories" in html and "Grace Hopper" not in html


DAY_FOR_YOU = f"/papers/date/{TODAY}?sort=for-you"


def test_a_day_sorted_for_a_reader_puts_their_kind_of_paper_first(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        alice.post("/library/save", {"paper": SAVED_MOLECULE[0]})
        alice.post("/not-interested", {"paper": SPEECH[1][0]})
        html = alice.page(DAY_FOR_YOU)
        order = _order(html)
        molecules = {SAVED_MOLECULE[0], *(arxiv_id for arxiv_id, _, _ in MOLECULES)}
        assert set(order[:4]) == molecules  # the whole day, what you saved included…
        assert order[4:] == [SPEECH[0][0]]  # …but not what you set aside
        assert html.count(f'close to <a href="/papers/{SAVED_MOLECULE[0]}">') == 4  # not itself
        assert 'aria-current="page" title="Ranked by what you saved' in html
        assert 'href="/papers/date/2026-06-18?sort=for-you"' in alice.page(f"/papers/date/{TODAY}")
        week = "/papers/week/{}-W{:02d}?sort=for-you".format(*TODAY.isocalendar()[:2])
        assert _order(alice.page(week)) == order


def test_a_new_reader_sorting_for_themselves_gets_the_most_upvoted_and_a_hint(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        html = alice.page(DAY_FOR_YOU)
        assert "Nothing teaches this order yet" in html
        assert len(_order(html)) == len(MOLECULES) + len(SPEECH) + 1


def test_sorting_for_you_asks_an_anonymous_reader_to_log_in(url: str) -> None:
    with httpx.Client(base_url=url) as anonymous:
        response = anonymous.get(DAY_FOR_YOU)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert "sort=for-you" not in anonymous.get(f"/papers/date/{TODAY}").text
