"""Cached list pages never outlive a change to the papers they show."""

from __future__ import annotations

from dataclasses import replace

from factories import make_paper
from live_server import LATEST_DAY, Site

from paperwire.storage.papers import get_paper, upsert_papers


def test_new_paper_appears_on_cached_pages_at_once(site: Site) -> None:
    paths = ["/", f"/papers/date/{LATEST_DAY}", "/papers/week/2026-W25", "/papers/trending"]
    before = {path: site.get(path).text for path in paths}
    assert all(site.get(path).text == before[path] for path in paths)  # served from cache
    upsert_papers(
        site.db,
        [
            make_paper(
                arxiv_id="2606.29999",
                listing_day=LATEST_DAY,
                imported_upvotes=500,
                title="A paper ingested while pages were cached",
            )
        ],
    )
    for path in paths:
        assert "A paper ingested while pages were cached" in site.get(path).text, path


def test_changed_upvotes_reorder_a_cached_day(site: Site) -> None:
    day = f"/papers/date/{LATEST_DAY}"
    site.get(day)
    stored = get_paper(site.db, "2606.20002")
    assert stored is not None
    upsert_papers(site.db, [replace(stored, imported_upvotes=10_000)])
    html = site.get(day).text
    assert html.index("&lt;script&gt;") < html.index("Most upvoted paper of the latest day")
