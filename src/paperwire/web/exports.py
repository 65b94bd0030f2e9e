"""Export routes: a paper as BibTeX or Markdown, and a list page's papers as BibTeX."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from paperwire import citations
from paperwire.papers import Paper
from paperwire.ranking.calendar import PeriodKind, newest_listing_day
from paperwire.web import views
from paperwire.web.views import PageNumber

router = APIRouter(responses=views.PAGE_ERRORS)
BIBTEX_MEDIA_TYPE = "text/x-bibtex; charset=utf-8"
MARKDOWN_MEDIA_TYPE = "text/markdown; charset=utf-8"
PaperId = Annotated[str, Path(max_length=64)]
_OTHER_ID_FORM: dict[int | str, dict[str, Any]] = {
    308: {"description": "Another form of the id (2404.02258v2, arXiv:2404.02258): to this file"}
}


class BibTeXResponse(Response):
    """A BibTeX file (the type OpenAPI documents for these routes)."""

    media_type = BIBTEX_MEDIA_TYPE


class MarkdownResponse(Response):
    media_type = MARKDOWN_MEDIA_TYPE


# The list routes come first: /papers/{arxiv_id:path}.bib would also match
# /papers/date/2024-01-03.bib and /papers/trending.bib.


@router.get(
    "/papers/date/{label}.bib",
    summary="One listing day's page as BibTeX",
    response_class=BibTeXResponse,
)
def day_bibtex(request: Request, label: views.DayLabel, page: PageNumber = 1) -> Response:
    return _period_bibtex(request, "day", label, page)


@router.get(
    "/papers/week/{label}.bib",
    summary="One ISO week's page as BibTeX",
    response_class=BibTeXResponse,
)
def week_bibtex(request: Request, label: views.WeekLabel, page: PageNumber = 1) -> Response:
    return _period_bibtex(request, "week", label, page)


@router.get(
    "/papers/month/{label}.bib", summary="One month's page as BibTeX", response_class=BibTeXResponse
)
def month_bibtex(request: Request, label: views.MonthLabel, page: PageNumber = 1) -> Response:
    return _period_bibtex(request, "month", label, page)


@router.get(
    "/papers/trending.bib", summary="The trending page as BibTeX", response_class=BibTeXResponse
)
def trending_bibtex(request: Request, page: PageNumber = 1) -> Response:
    trending = views.trending_page(request, page, newest_listing_day(datetime.now(UTC)))
    papers = [paper for paper, _entry in trending.entries]
    return _bibtex_response(citations.bibtex_list(papers), _list_file_name("trending", page))


@router.get(
    "/papers/{arxiv_id:path}.bib",
    summary="A paper as BibTeX",
    response_class=BibTeXResponse,
    responses=_OTHER_ID_FORM,
)
def paper_bibtex(request: Request, arxiv_id: PaperId) -> Response:
    redirect = views.redirect_to_canonical(arxiv_id, ".bib")
    if redirect is not None:
        return redirect
    paper = views.paper_or_404(request, arxiv_id)
    return _bibtex_response(citations.bibtex_entry(paper), _paper_file_name(paper, "bib"))


@router.get(
    "/papers/{arxiv_id:path}.md",
    summary="A paper as Markdown",
    response_class=MarkdownResponse,
    responses=_OTHER_ID_FORM,
)
def paper_markdown(request: Request, arxiv_id: PaperId) -> Response:
    redirect = views.redirect_to_canonical(arxiv_id, ".md")
    if redirect is not None:
        return redirect
    paper = views.paper_or_404(request, arxiv_id)
    text = citations.markdown_paper(paper, views.base_url(request))
    return _text_response(text, MARKDOWN_MEDIA_TYPE, _paper_file_name(paper, "md"))


def _period_bibtex(request: Request, kind: PeriodKind, label: str, page: int) -> Response:
    period = views.period_from(kind, label)
    found = views.period_page(request, period, page)
    return _bibtex_response(
        citations.bibtex_list(found.papers), _list_file_name(period.label, page)
    )


def _bibtex_response(text: str, file_name: str) -> Response:
    return _text_response(text, BIBTEX_MEDIA_TYPE, file_name)


def _text_response(text: str, media_type: str, file_name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{file_name}"'}
    return Response(text.encode("utf-8"), media_type=media_type, headers=headers)


def _paper_file_name(paper: Paper, extension: str) -> str:
    """'2401.00974.bib'; an old-style id's slash becomes '_': 'hep-th_9901001.bib'."""
    return f"{paper.arxiv_id.replace('/', '_')}.{extension}"


def _list_file_name(label: str, page: int) -> str:
    suffix = f"-page{page}" if page > 1 else ""
    return f"paperwire-{label}{suffix}.bib"
