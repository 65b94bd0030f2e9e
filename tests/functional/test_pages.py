"""Every page over real HTTP: content, navigation, escaping, errors and headers."""

from __future__ import annotations

import re

import httpx
from live_server import HOSTILE_TITLE, LATEST_DAY, Site
from sqlalchemy import event


def _links(html: str, kind: str) -> list[str]:
    """Targets of the earlier/later period arrows, or of the prev/next page links."""
    attribute = "class" if kind in ("earlier", "later") else "rel"
    return re.findall(rf'<a {attribute}="{kind}" href="([^"]+)"', html)


def test_front_page_shows_the_latest_day_best_first(site: Site) -> None:
    response = site.get("/")
    assert response.status_code == 200
    html = response.text
    assert "Thu, 18 Jun 2026" in html
    assert html.index("Most upvoted paper of the latest day") < html.index("&lt;script&gt;")
    assert f'rel="canonical" href="{site.url}/papers/date/{LATEST_DAY}"' in html


def test_list_entry_shows_title_authors_preview_upvotes_and_categories(site: Site) -> None:
    html = site.get(f"/papers/date/{LATEST_DAY}").text
    entry = html[html.index('href="/papers/2606.20001"') - 400 :][:1600]
    assert '<span class="count">40</span>' in entry
    assert "Ada Lovelace, Alan Turing" in entry
    assert "We study example" in entry
    assert '<span class="category primary">cs.AI</span>' in entry


def test_day_navigation_skips_to_days_with_papers(site: Site) -> None:
    html = site.get(f"/papers/date/{LATEST_DAY}").text
    assert _links(html, "earlier") == ["/papers/date/2026-06-17"]
    assert _links(html, "later") == []
    older = site.get("/papers/date/2026-06-17").text
    assert _links(older, "later") == [f"/papers/date/{LATEST_DAY}"]
    assert _links(older, "earlier") == ["/papers/date/2026-06-12"]


def test_day_without_papers_says_so_and_points_back(site: Site) -> None:
    response = site.get("/papers/date/2026-06-20")
    assert response.status_code == 200
    assert "No papers were listed" in response.text
    assert f'href="/papers/date/{LATEST_DAY}"' in response.text


def test_week_and_month_pages_gather_their_days(site: Site) -> None:
    week = site.get("/papers/week/2026-W25").text
    assert "Most upvoted paper of the latest day" in week and "Older but much upvoted" not in week
    assert _links(week, "earlier") == ["/papers/week/2026-W24"]
    month = site.get("/papers/month/2026-06").text
    assert "Most upvoted paper" in month and "Older but much upvoted" in month
    assert "June 2026" in month
    assert month.index("Older but much upvoted") < month.index("Most upvoted paper")


def test_long_lists_are_paginated(site: Site) -> None:
    first = site.get("/papers/month/2025-03").text  # 15 fixture papers, 10 a page
    assert "Page 1 of 2" in first
    assert _links(first, "next") == ["/papers/month/2025-03?page=2"]
    second = site.get("/papers/month/2025-03?page=2").text
    assert second.count('class="paper"') == 5
    assert 'start="11"' in second


def test_trending_ranks_recent_upvotes_and_explains_each_entry(site: Site) -> None:
    html = site.get("/papers/trending").text
    # 40 upvotes today beat 90 upvotes six days earlier (90 / 2^2 = 22.5).
    assert html.index("Most upvoted paper of the latest day") < html.index("Older but much upvoted")
    assert "40 upvotes, listed on the latest day" in html
    assert "90 upvotes, listed 6 days earlier" in html
    assert 'href="/about/trending"' in html


def test_about_trending_documents_the_formula(site: Site) -> None:
    html = site.get("/about/trending").text
    assert "PAPERWIRE_TRENDING_HALF_LIFE_HOURS" in html and "72.0 hours" in html


def test_paper_page_has_everything_and_citation_tags(site: Site) -> None:
    html = site.get("/papers/2401.00974").text
    assert "<h1>Downstream Task-Oriented Generative Model Selections" in html
    assert "Yinan Cheng, Chi-Hua Wang" in html
    assert "Devising procedures for downstream task-oriented generative model selections is" in html
    assert 'href="https://arxiv.org/abs/2401.00974"' in html
    assert 'href="https://arxiv.org/pdf/2401.00974"' in html
    assert '<meta name="citation_title" content="Downstream Task-Oriented' in html
    assert html.count('<meta name="citation_author"') == 5
    assert '<meta name="citation_publication_date" content="2024/01/01">' in html
    assert '<meta name="citation_arxiv_id" content="2401.00974">' in html
    assert 'href="/papers/date/2024-01-03"' in html  # its listing day


def test_a_paper_page_reads_through_one_database_connection(site: Site) -> None:
    site.get("/papers/2401.00974")  # the similar-papers index is open from here on
    checkouts: list[object] = []

    def count(*_: object) -> None:
        checkouts.append(1)

    event.listen(site.db.engine, "checkout", count)
    try:
        page = site.get("/papers/2606.20001")  # a page not served (nor cached) before
    finally:
        event.remove(site.db.engine, "checkout", count)
    assert "<h1>Most upvoted paper of the latest day" in page.text
    assert len(checkouts) == 1


def test_old_style_id_with_doi_and_journal_ref(site: Site) -> None:
    response = site.get("/papers/hep-th/9504118")
    assert response.status_code == 200
    assert "hep-th" in response.text
    assert 'href="https://arxiv.org/abs/hep-th/9504118"' in response.text


def test_user_text_is_escaped_everywhere(site: Site) -> None:
    for path in ("/", "/papers/2606.20002", "/papers/trending"):
        html = site.get(path).text
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    page = site.get("/papers/2606.20002").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "$\\mathcal{O}(n^2)$" in page  # TeX stays readable as written
    assert "<p>First paragraph with &lt;i&gt;tags&lt;/i&gt;.</p><p>Second paragraph.</p>" in page
    assert HOSTILE_TITLE not in page


def test_unknown_paper_is_a_real_404_page(site: Site) -> None:
    for path in ("/papers/2401.99999", "/papers/not-an-id", "/papers/../../etc/passwd"):
        response = site.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.headers["content-type"]
        assert "Not found" in response.text and 'href="/"' in response.text


def test_bad_dates_and_pages_are_client_errors(site: Site) -> None:
    assert site.get("/papers/date/2026-02-30").status_code == 404
    assert site.get("/papers/week/2026-W60").status_code == 404
    assert site.get("/papers/month/2026-13").status_code == 404
    assert site.get("/?page=0").status_code == 400
    assert site.get("/?page=abc").status_code == 400
    past_end = site.get("/papers/month/2025-03?page=3")
    assert past_end.status_code == 404 and "this list has 2" in past_end.text


def test_state_changing_methods_are_not_allowed(site: Site) -> None:
    response = httpx.post(site.url + "/", timeout=10)
    assert response.status_code == 405


def test_security_headers_are_sent(site: Site) -> None:
    headers = site.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_stylesheet_and_health_check(site: Site) -> None:
    assert site.get("/static/paperwire.css").status_code == 200
    health = site.get("/healthz").json()
    assert health["status"] == "ok" and health["papers"] == 79


def test_pages_are_never_kept_by_shared_caches(site: Site) -> None:
    for path in ("/", "/search?q=model", "/papers/2401.00974"):
        response = site.get(path)
        assert response.headers["Cache-Control"] == "private, no-cache"
        assert "Cookie" in response.headers["Vary"]
    assert "private" not in site.get("/api/papers/2401.00974").headers.get("Cache-Control", "")
