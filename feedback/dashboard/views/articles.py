"""A site's articles: what readers think of each, ranked, searchable, sortable, in pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from feedback.archive.reports import ARTICLE_ORDER
from feedback.archive.sessions import Session
from feedback.dashboard.auth import page_number, site_view
from feedback.dashboard.templating import render
from feedback.services import Services

PER_PAGE = 50


@site_view
async def articles(request: Request, services: Services, session: Session, site: str) -> Response:
    user = session.user
    query = request.query_params
    order = query.get("sort", "ranked")
    order = order if order in ARTICLE_ORDER else "ranked"
    search = query.get("q", "")[:200]
    page = page_number(request)
    rows, matching = await services.reports.articles(site, search, order, page, PER_PAGE)
    return render(
        request,
        "articles.html",
        user,
        csrf_token=session.csrf_token,
        site=site,
        rows=rows,
        matching=matching,
        page=page,
        pages=max(1, -(-matching // PER_PAGE)),
        sort=order,
        sorts=list(ARTICLE_ORDER),
        search=search,
    )
