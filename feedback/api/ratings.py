"""Endpoints for readers' votes and articles' summaries."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from feedback import validation
from feedback.api.body import json_object
from feedback.api.clients import address_hash
from feedback.api.paths import article_about, article_request, site_request
from feedback.api.responses import JSONResponse
from feedback.models import Scale, Summary, VoteChange


async def put_rating(request: Request) -> Response:
    services, site, article = await article_request(request)
    body = await json_object(request)
    score = validation.score(body.get("score"), site.scale)
    reader = validation.reader_token(body.get("reader"))
    about = article_about(body, site)
    address = await address_hash(request, services, site.id)
    summary = await services.ratings.change_vote(VoteChange(site.id, article, reader, score, address, about=about))
    return JSONResponse(_summary_json(summary, site.scale, with_reader=True))


async def delete_rating(request: Request) -> Response:
    services, site, article = await article_request(request)
    reader = validation.reader_token(request.query_params.get("reader"))
    address = await address_hash(request, services, site.id)
    summary = await services.ratings.change_vote(VoteChange(site.id, article, reader, None, address))
    return JSONResponse(_summary_json(summary, site.scale, with_reader=True))


async def get_summary(request: Request) -> Response:
    services, site, article = await article_request(request)
    # Parsing the query string costs every summary: most ask without one (docs/performance.md).
    reader = request.query_params.get("reader") if request.scope["query_string"] else None
    if reader is not None:
        reader = validation.reader_token(reader)
    (summary,) = await services.ratings.summaries(site.id, [article], reader)
    return JSONResponse(_summary_json(summary, site.scale, with_reader=reader is not None))


async def get_summaries(request: Request) -> Response:
    services, site = await site_request(request)
    articles = validation.article_list(request.query_params.get("articles"))
    summaries = await services.ratings.summaries(site.id, articles)
    return JSONResponse({"summaries": [_summary_json(summary, site.scale, with_reader=False) for summary in summaries]})


def _summary_json(summary: Summary, scale: Scale, with_reader: bool) -> dict[str, Any]:
    one, two, three, four, five = summary.histogram
    count = one + two + three + four + five
    body: dict[str, Any] = {
        "site": summary.site,
        "article": summary.article,
        "count": count,
        "average": _average(one + 2 * two + 3 * three + 4 * four + 5 * five, count),
        "histogram": {"1": one, "2": two, "3": three, "4": four, "5": five},
        "comments": summary.comments,
        "scale": scale,
    }
    if with_reader:
        body["mine"] = summary.reader_score
    return body


def _average(total: int, count: int) -> float | None:
    """The mean score rounded half up to 2 decimals, in integers: `round(x, 2)` on a float
    rounds its binary value (4.625 to 4.62), and costs more (docs/performance.md)."""
    if not count:
        return None
    hundredths = (200 * total + count) // (2 * count)
    return hundredths / 100  # the float nearest the 2-decimal value, as round() gives
