"""Exports over real HTTP: a paper as BibTeX and Markdown, list pages as BibTeX, the Cite box."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from live_server import LATEST_DAY, Site

BIBTEX = "text/x-bibtex; charset=utf-8"
MARKDOWN = "text/markdown; charset=utf-8"


def _page_ids(page_html: str) -> list[str]:
    """The ids of the papers a list page shows, in order."""
    return re.findall(r'<h2><a href="/papers/([^"]+)">', page_html)


def _eprints(bibtex: str) -> list[str]:
    return re.findall(r"^  eprint = \{(.+)\},$", bibtex, re.MULTILINE)


def _keys(bibtex: str) -> list[str]:
    return re.findall(r"^@\w+\{([^,]+),$", bibtex, re.MULTILINE)


def test_paper_as_bibtex_is_an_arxiv_style_entry(site: Site) -> None:
    response = site.get("/papers/2401.00974.bib")
    assert response.status_code == 200
    assert response.headers["content-type"] == BIBTEX
    assert response.headers["content-disposition"] == 'inline; filename="2401.00974.bib"'
    entry = response.text
    assert entry.startswith("@misc{cheng2024downstream,\n")
    assert "  title = {{Downstream Task-Oriented Generative Model Selections" in entry
    assert "  author = {Yinan Cheng and Chi-Hua Wang and Vamsi K. Potluru and " in entry
    assert "  year = {2024},\n  eprint = {2401.00974},\n  archivePrefix = {arXiv},\n" in entry
    assert "  primaryClass = {cs.LG},\n  url = {https://arxiv.org/abs/2401.00974}\n}\n" in entry


def test_old_style_id_exports_with_a_slash_free_file_name(site: Site) -> None:
    bib = site.get("/papers/hep-th/9504118.bib")
    assert bib.status_code == 200 and bib.headers["content-type"] == BIBTEX
    assert bib.headers["content-disposition"] == 'inline; filename="hep-th_9504118.bib"'
    assert bib.text.startswith("@misc{requardt1995discrete,\n")
    assert _eprints(bib.text) == ["hep-th/9504118"]
    markdown = site.get("/papers/hep-th/9504118.md")
    assert markdown.status_code == 200 and markdown.headers["content-type"] == MARKDOWN
    assert markdown.headers["content-disposition"] == 'inline; filename="hep-th_9504118.md"'
    assert markdown.text.startswith("# Discrete Mathematics and Physics on the Planck-Scale\n")


def test_paper_as_markdown_links_arxiv_and_this_site(site: Site) -> None:
    response = site.get("/papers/2401.00974.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == MARKDOWN
    text = response.text
    assert text.startswith("# Downstream Task-Oriented Generative Model Selections")
    assert "\nYinan Cheng, Chi-Hua Wang, Vamsi K. Potluru, Tucker Balch, Guang Cheng\n" in text
    assert "[PDF](https://arxiv.org/pdf/2401.00974)" in text
    assert f"[paperwire]({site.url}/papers/2401.00974)" in text
    assert "- Listed: 2024-01-03\n" in text and "- Categories: cs.LG (primary), cs.AI\n" in text
    assert "\n## Abstract\n\nDevising procedures for downstream task-oriented" in text


def test_hostile_paper_exports_escaped_text_and_no_html(site: Site) -> None:
    bib = site.get("/papers/2606.20002.bib")
    assert bib.headers["content-type"] == BIBTEX
    assert 'title = {{<script>alert("x")</script> \\& <b>bold</b> $\\mathcal{O}(n^2)$ bounds}}' in (
        bib.text
    )
    markdown = site.get("/papers/2606.20002.md").text
    assert markdown.startswith('# \\<script\\>alert("x")\\</script\\> \\& \\<b\\>bold\\</b\\>')
    assert "$\\mathcal{O}(n^2)$ bounds\n" in markdown
    assert "\nMallory \\<img src=x onerror=alert(1)\\>\n" in markdown


@pytest.mark.parametrize(
    "path",
    [
        "/papers/2401.99999.bib",
        "/papers/2401.99999.md",
        "/papers/not-an-id.bib",
        "/papers/hep-th/0000000.md",
        "/papers/.bib",
        "/papers/date/2026-02-30.bib",
        "/papers/week/2026-W60.bib",
        "/papers/month/2026-13.bib",
        "/papers/month/2025-03.bib?page=3",
    ],
)
def test_unknown_papers_and_lists_are_html_404_pages(site: Site, path: str) -> None:
    response = site.get(path)
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Not found" in response.text


def test_bad_page_number_is_a_client_error(site: Site) -> None:
    assert site.get("/papers/trending.bib?page=0").status_code == 400
    assert site.get("/papers/date/2026-06-18.bib?page=abc").status_code == 400


def test_suffixed_urls_reach_the_exports_and_plain_ones_the_pages(site: Site) -> None:
    for path in ("/papers/2401.00974.bib", "/papers/hep-th/9504118.bib", "/papers/trending.bib"):
        assert site.get(path).headers["content-type"] == BIBTEX, path
    assert site.get("/papers/hep-th/9504118.md").headers["content-type"] == MARKDOWN
    for path in ("/papers/2401.00974", "/papers/hep-th/9504118", "/papers/trending"):
        response = site.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path


@pytest.mark.parametrize(
    "path",
    [
        f"/papers/date/{LATEST_DAY}",
        "/papers/date/2024-01-03",
        "/papers/week/2026-W25",
        "/papers/month/2026-06",
        "/papers/month/2025-03",
        "/papers/month/2025-03?page=2",
        "/papers/trending",
    ],
)
def test_list_bibtex_holds_the_papers_of_that_page_in_its_order(site: Site, path: str) -> None:
    page_path, _, query = path.partition("?")
    page_ids = _page_ids(site.get(path).text)
    response = site.get(f"{page_path}.bib" + (f"?{query}" if query else ""))
    assert response.status_code == 200
    assert response.headers["content-type"] == BIBTEX
    assert page_ids and _eprints(response.text) == page_ids
    keys = _keys(response.text)
    assert len(keys) == len(page_ids) == len(set(keys))


def test_list_bibtex_file_names_say_which_list_and_page(site: Site) -> None:
    def name(path: str) -> str:
        return site.get(path).headers["content-disposition"]

    assert name("/papers/week/2026-W25.bib") == 'inline; filename="paperwire-2026-W25.bib"'
    assert name("/papers/month/2025-03.bib?page=2") == (
        'inline; filename="paperwire-2025-03-page2.bib"'
    )
    assert name("/papers/trending.bib") == 'inline; filename="paperwire-trending.bib"'


def test_day_without_papers_is_an_empty_bibtex_file(site: Site) -> None:
    response = site.get("/papers/date/2026-06-20.bib")
    assert response.status_code == 200 and response.text == ""


def test_paper_page_cite_box_shows_citation_bibtex_and_links(site: Site) -> None:
    page = site.get("/papers/2401.00974").text
    assert '<section class="cite" aria-labelledby="cite-heading">' in page
    assert (
        "Yinan Cheng, Chi-Hua Wang, Vamsi K. Potluru, Tucker Balch and Guang Cheng (2024). "
        "Downstream Task-Oriented Generative Model Selections on Synthetic Data Training for "
        "Fraud Detection Models. arXiv:2401.00974."
    ) in page
    assert re.search(r'<button type="button" class="button"[^>]* hidden>Copy BibTeX</button>', page)
    assert 'role="status" aria-live="polite"' in page
    assert 'href="/papers/2401.00974.bib"' in page and ">Download .bib</a>" in page
    assert 'href="/papers/2401.00974.md"' in page and ">Markdown</a>" in page
    assert re.search(r'<script src="[^"]*/static/copy-citation\.js" defer></script>', page)


def test_bibtex_on_the_page_is_the_exported_entry(site: Site) -> None:
    for arxiv_id in ("2401.00974", "2606.20002", "hep-th/9504118"):
        page = site.get(f"/papers/{arxiv_id}").text
        shown = re.search(r'<pre class="bibtex" id="bibtex">(.*?)</pre>', page, re.DOTALL)
        assert shown is not None, arxiv_id
        assert html.unescape(shown.group(1)) == site.get(f"/papers/{arxiv_id}.bib").text


def test_copy_script_is_served_and_only_the_paper_page_loads_it(site: Site) -> None:
    script = site.get("/static/copy-citation.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "navigator.clipboard.writeText" in script.text
    for path in ("/", "/papers/trending", "/papers/month/2026-06"):
        assert "copy-citation.js" not in site.get(path).text, path


def test_exports_refuse_other_methods(site: Site) -> None:
    for path in ("/papers/2401.00974.bib", "/papers/2401.00974.md", "/papers/trending.bib"):
        assert httpx.post(site.url + path, timeout=10).status_code == 405, path
