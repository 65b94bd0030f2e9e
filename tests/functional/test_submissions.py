"""Submitting a paper over HTTP: found here or fetched from (a recorded) arXiv, kindly refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arxiv_server import Reply, Script, params_include
from arxiv_server import serving as arxiv_serving
from factories import make_paper
from personas import TODAY, community_server, people

from paperwire.storage import Database
from paperwire.storage.papers import get_paper, upsert_papers

FRESH = "2606.40001"


def _atom_entry(arxiv_id: str, published: datetime) -> bytes:
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v1</id>
    <published>{stamp}</published>
    <updated>{stamp}</updated>
    <title>A freshly fetched paper</title>
    <summary>Fetched through the arXiv API during a submission.</summary>
    <author><name>Grace Hopper</name></author>
    <arxiv:primary_category term="cs.AI"/>
    <category term="cs.AI"/>
  </entry>
</feed>""".encode()


@pytest.fixture
def arxiv() -> Iterator[tuple[str, Script]]:
    published = datetime.now(UTC) - timedelta(days=1)
    script = Script().on(params_include(id_list=FRESH), Reply(_atom_entry(FRESH, published)))
    script.on(params_include(id_list="2606.40404"), Reply(_atom_entry("2606.40405", published)))
    with arxiv_serving(script) as base:
        yield base, script


@pytest.fixture
def url(db: Database, tmp_path: Path, arxiv: tuple[str, Script]) -> Iterator[str]:
    api = arxiv[0] + "/api/query"
    with community_server(db, tmp_path, arxiv_api_url=api, arxiv_delay_seconds=0) as base:
        yield base


def test_submitted_paper_is_fetched_and_joins_the_current_day_with_its_submitter(
    db: Database, url: str, arxiv: tuple[str, Script]
) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.post("/submit", {"paper": f"https://arxiv.org/abs/{FRESH}v1"})
        assert response.status_code == 303, response.text.split("form-error", 1)[-1][:300]
        assert response.headers["location"] == f"/papers/{FRESH}"
        assert get_paper(db, FRESH) is not None and len(arxiv[1].seen) == 1
        day = alice.page(f"/papers/date/{TODAY}")
        entry = day.split(f"arXiv:{FRESH}", 1)[1].split("</li>", 1)[0]
        assert 'submitted by <a href="/users/alice">alice</a>' in entry
        assert "A freshly fetched paper" in alice.page("/users/alice").split("<h2>Upvoted", 1)[0]


def test_a_second_submission_is_refused_kindly(url: str) -> None:
    with people(url, "alice", "bob") as (alice, bob):
        alice.sign_up()
        bob.sign_up()
        alice.post("/submit", {"paper": FRESH})
        again = bob.post("/submit", {"paper": FRESH})
        assert again.status_code == 400 and "already submitted" in again.text


def test_old_papers_and_bad_ids_are_refused(db: Database, url: str) -> None:
    old = make_paper(arxiv_id="2601.00001", published_at=datetime.now(UTC) - timedelta(days=40))
    upsert_papers(db, [old])
    with people(url, "alice") as (alice,):
        alice.sign_up()
        too_old = alice.post("/submit", {"paper": "2601.00001"})
        assert too_old.status_code == 400 and "last 14 days" in too_old.text
        bad = alice.post("/submit", {"paper": "<script>alert(1)</script>"})
        assert bad.status_code == 400 and "Give an arXiv id" in bad.text
        assert "<script>alert(1)</script>" not in bad.text


def test_an_old_paper_fetched_from_arxiv_is_refused_and_not_stored(
    db: Database, tmp_path: Path
) -> None:
    old = datetime.now(UTC) - timedelta(days=40)
    script = Script().on(
        params_include(id_list="2604.40002"), Reply(_atom_entry("2604.40002", old))
    )
    with (
        arxiv_serving(script) as base,
        community_server(
            db, tmp_path, arxiv_api_url=base + "/api/query", arxiv_delay_seconds=0
        ) as url,
        people(url, "alice") as (alice,),
    ):
        alice.sign_up()
        refused = alice.post("/submit", {"paper": "2604.40002"})
        assert refused.status_code == 400 and "last 14 days" in refused.text
    assert get_paper(db, "2604.40002") is None


def test_paper_arxiv_does_not_return_is_refused(url: str) -> None:
    with people(url, "alice") as (alice,):
        alice.sign_up()
        response = alice.post("/submit", {"paper": "2606.40404"})
        assert response.status_code == 400 and "arXiv does not know" in response.text


def test_mallory_cannot_submit_without_an_account(db: Database, url: str) -> None:
    with people(url, "mallory") as (mallory,):
        response = mallory.post("/submit", {"paper": FRESH})
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert get_paper(db, FRESH) is None
