"""Ids as readers type or paste them: redirected to the paper's page, served by the API."""

from __future__ import annotations

import httpx
import pytest
from live_server import Site

FORMS = [
    "2606.20001v2",
    "arXiv:2606.20001",
    "arxiv:2606.20001v1",
    "https://arxiv.org/abs/2606.20001v3",
    "https:/arxiv.org/abs/2606.20001",  # a client folded the pasted URL's //
    "http://arxiv.org/pdf/2606.20001v1",
]


@pytest.mark.parametrize("typed", FORMS)
@pytest.mark.parametrize("suffix", ["", ".bib", ".md"])
def test_other_forms_of_an_id_redirect_to_the_canonical_page(
    site: Site, typed: str, suffix: str
) -> None:
    response = httpx.get(f"{site.url}/papers/{typed}{suffix}", timeout=10)
    assert response.status_code == 308
    assert response.headers["location"] == f"/papers/2606.20001{suffix}"
    assert httpx.get(f"{site.url}/papers/{typed}{suffix}", follow_redirects=True).status_code == 200


def test_an_old_style_id_with_a_version_redirects_too(site: Site) -> None:
    response = httpx.get(f"{site.url}/papers/hep-th/9504118v2", timeout=10)
    assert response.status_code == 308 and response.headers["location"] == "/papers/hep-th/9504118"


def test_unknown_papers_in_another_form_are_still_404(site: Site) -> None:
    response = httpx.get(f"{site.url}/papers/arXiv:2401.99999", follow_redirects=True)
    assert response.status_code == 404
    assert httpx.get(f"{site.url}/papers/not-an-id").status_code == 404


@pytest.mark.parametrize("typed", FORMS)
def test_the_api_serves_a_paper_by_any_form_of_its_id(site: Site, typed: str) -> None:
    paper = httpx.get(f"{site.url}/api/papers/{typed}", timeout=10)
    assert paper.status_code == 200 and paper.json()["id"] == "2606.20001"
    similar = httpx.get(f"{site.url}/api/papers/{typed}/similar", timeout=10)
    assert similar.status_code == 200 and isinstance(similar.json(), list)
